package store

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

// inspectFixture is a cleanly closed store and where its memories landed.
type inspectFixture struct {
	dir string
	pl  map[string]Placement
}

// buildInspectFixture stores memories with content, without content and
// with empty content, replaces one, removes one, compacts (so the content
// lives in epoch 1) when compact is set, and closes cleanly.
func buildInspectFixture(t *testing.T, compact bool) inspectFixture {
	t.Helper()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	pl := map[string]Placement{}
	put := func(id string, c []byte) {
		p, err := s.Put(id, Memory{Embedding: testEmbedding(len(pl)), Content: c})
		if err != nil {
			t.Fatal(err)
		}
		pl[id] = p
	}
	for i := range 12 {
		put(fmt.Sprintf("m%02d", i), bytes.Repeat([]byte{byte('a' + i)}, 100+10*i))
	}
	put("nil", nil)
	put("empty", []byte{})
	put("m01", []byte("replaced"))
	if _, err := s.Remove("m02"); err != nil {
		t.Fatal(err)
	}
	delete(pl, "m02")
	if compact {
		if _, err := s.Compact(); err != nil {
			t.Fatal(err)
		}
		// Compaction moved the content: read the placements again.
		layout, err := s.Layout()
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range layout {
			pl[e.ID] = e.Placement
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return inspectFixture{dir: dir, pl: pl}
}

// clone copies the fixture's directory.
func (fx inspectFixture) clone(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(fx.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(fx.dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// patch rewrites bytes of file name in dir.
func patch(t *testing.T, dir, name string, fn func(b []byte) []byte) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, fn(b), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustInspect(t *testing.T, dir string) InspectReport {
	t.Helper()
	rep, err := Inspect(dir, InspectOptions{RereadDelay: 1, SettleWindow: 1})
	if err != nil {
		t.Fatalf("Inspect(%s): %v", dir, err)
	}
	return rep
}

// expectProblem checks that the report is v and names a problem of kind at
// slot (nil: any or none).
func expectProblem(t *testing.T, rep InspectReport, v InspectVerdict, kind ProblemKind, slot *uint64) {
	t.Helper()
	if rep.Verdict != v {
		t.Errorf("verdict %v, want %v; problems %v", rep.Verdict, v, rep.Problems)
	}
	for _, p := range rep.Problems {
		if p.Kind == kind && (slot == nil || (p.Slot != nil && *p.Slot == *slot)) {
			return
		}
	}
	where := "anywhere"
	if slot != nil {
		where = fmt.Sprintf("at slot %d", *slot)
	}
	t.Errorf("no %s problem %s; problems: %v", kind, where, rep.Problems)
}

func ptr[T any](v T) *T { return &v }

func TestInspectHealthyStore(t *testing.T) {
	for _, compact := range []bool{false, true} {
		t.Run(fmt.Sprintf("compacted=%v", compact), func(t *testing.T) {
			fx := buildInspectFixture(t, compact)
			rep := mustInspect(t, fx.dir)
			if rep.Verdict != Consistent || len(rep.Problems) != 0 || !rep.CleanClose {
				t.Fatalf("healthy store: verdict %v, clean %v, problems %v", rep.Verdict, rep.CleanClose, rep.Problems)
			}
			st := rep.Stats
			if st.Live != uint64(len(fx.pl)) || st.Superseded != 0 || st.Torn != 0 {
				t.Errorf("stats %+v, want %d live", st, len(fx.pl))
			}
			s := mustOpen(t, fx.dir, Options{GroupCommit: -1})
			want := s.Stats()
			s.Close()
			if st.ContentBytesLive != want.ContentBytesLive || st.ContentBytesTotal != want.ContentBytesTotal || st.Fragmentation != want.Fragmentation {
				t.Errorf("inspect content live/total/frag %d/%d/%.3f, the store after Open says %d/%d/%.3f",
					st.ContentBytesLive, st.ContentBytesTotal, st.Fragmentation, want.ContentBytesLive, want.ContentBytesTotal, want.Fragmentation)
			}
		})
	}
}

// Inspect changes nothing: every file's bytes are the same after it.
func TestInspectIsReadOnly(t *testing.T) {
	fx := buildInspectFixture(t, true)
	before := dirBytes(t, fx.dir)
	mustInspect(t, fx.dir)
	if after := dirBytes(t, fx.dir); !mapsEqual(before, after) {
		t.Fatal("Inspect changed the store's files")
	}
}

func dirBytes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// uncleanClose removes the clean-close record, as a crash or kill leaves
// the store.
func uncleanClose(t *testing.T, dir string) {
	patch(t, dir, blocksFileName, func(b []byte) []byte { clearCleanRecord(b); return b })
}

func TestInspectFindsDamage(t *testing.T) {
	fx := buildInspectFixture(t, false)
	slotOf := func(id string) uint64 { return fx.pl[id].Slot }
	content := filepath.Base(contentFileName(fx.dir, 0))
	cases := []struct {
		name  string
		file  string
		edit  func(b []byte) []byte
		kind  ProblemKind
		slot  *uint64
		crash Severity // the severity without a clean-close record
	}{
		{"header checksum byte", blocksFileName, func(b []byte) []byte {
			b[slotOffset(slotOf("m03"))+rhCRC] ^= 0x40
			return b
		}, ProblemHeaderChecksum, ptr(slotOf("m03")), SeverityTorn},
		{"embedding byte", blocksFileName, func(b []byte) []byte {
			b[slotOffset(slotOf("m04"))+sectorSize+100] ^= 1
			return b
		}, ProblemEmbeddingChecksum, ptr(slotOf("m04")), SeverityTorn},
		{"content byte", content, func(b []byte) []byte {
			b[fx.pl["m05"].Offset+7] ^= 1
			return b
		}, ProblemContentChecksum, ptr(slotOf("m05")), SeverityTorn},
		{"slot copied into another slot", blocksFileName, func(b []byte) []byte {
			src, dst := slotOffset(slotOf("m06")), slotOffset(40)
			copy(b[dst:dst+slotSize], b[src:src+slotSize])
			return b
		}, ProblemDuplicateID, ptr(uint64(40)), SeverityDamage},
		{"content ranges overlap", blocksFileName, func(b []byte) []byte {
			// m08 is pointed into m07's range, with a content CRC that
			// matches the bytes there: only the overlap is wrong.
			cb, err := os.ReadFile(filepath.Join(fx.dir, content))
			if err != nil {
				t.Fatal(err)
			}
			h := b[slotOffset(slotOf("m08")):]
			off, n := fx.pl["m07"].Offset+5, uint64(fx.pl["m08"].Length)
			le.PutUint64(h[rhContentOff:], off)
			le.PutUint32(h[rhContentCRC:], crc(cb[off:off+n]))
			sealHeader(h)
			return b
		}, ProblemContentOverlap, ptr(slotOf("m08")), SeverityDamage},
		{"garbage state word", blocksFileName, func(b []byte) []byte {
			setState(b[slotOffset(slotOf("m09")):], 0x12345678)
			return b
		}, ProblemStateWord, ptr(slotOf("m09")), SeverityDamage},
		{"removed record brought back", blocksFileName, func(b []byte) []byte {
			// m01's first record was superseded and freed: live again it
			// is stale, which a clean close cannot leave behind.
			setState(b[slotOffset(1):], stateLive)
			return b
		}, ProblemStaleRecord, ptr(uint64(1)), SeverityDamage},
		{"blocks file truncated", blocksFileName, func(b []byte) []byte {
			return b[:len(b)-slotSize]
		}, ProblemBlocksSize, nil, SeverityDamage},
		{"size record byte", blocksFileName, func(b []byte) []byte {
			b[sizeRecordOff+1] ^= 1
			return b
		}, ProblemSizeRecord, nil, SeverityDamage},
		{"content file header", content, func(b []byte) []byte {
			b[3] ^= 1
			return b
		}, ProblemFileHeader, nil, SeverityDamage},
		{"clean-close count", blocksFileName, func(b []byte) []byte {
			c, _ := cleanRecord(b)
			c.live++
			putCleanRecord(b, c)
			return b
		}, ProblemCount, nil, SeverityDamage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := fx.clone(t)
			patch(t, dir, tc.file, tc.edit)
			expectProblem(t, mustInspect(t, dir), Inconsistent, tc.kind, tc.slot)
			if tc.kind == ProblemCount || tc.kind == ProblemStaleRecord {
				return // checks of the clean-close record only
			}
			// Without the clean-close record (a crash), a torn record may be
			// an unsynced write: unknown, not damage.
			uncleanClose(t, dir)
			want := Inconsistent
			if tc.crash == SeverityTorn {
				want = InspectUnknown
			}
			rep := mustInspect(t, dir)
			expectProblem(t, rep, want, tc.kind, tc.slot)
			for _, p := range rep.Problems {
				if p.Kind == tc.kind && p.Severity != tc.crash {
					t.Errorf("after a crash: %v, want severity %v", p, tc.crash)
				}
			}
		})
	}
}

func TestInspectMissingContentFile(t *testing.T) {
	fx := buildInspectFixture(t, true)
	dir := fx.clone(t)
	if err := os.Remove(contentFileName(dir, 1)); err != nil {
		t.Fatal(err)
	}
	rep := mustInspect(t, dir)
	expectProblem(t, rep, Inconsistent, ProblemContentMissing, ptr(fx.pl["m00"].Slot))
	uncleanClose(t, dir)
	expectProblem(t, mustInspect(t, dir), Inconsistent, ProblemContentMissing, ptr(fx.pl["m00"].Slot))
}

func TestInspectUnreadable(t *testing.T) {
	fx := buildInspectFixture(t, false)
	if _, err := Inspect(filepath.Join(fx.dir, "nope"), InspectOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing directory: %v", err)
	}
	if _, err := Inspect(t.TempDir(), InspectOptions{}); !errors.Is(err, ErrNotStore) {
		t.Errorf("empty directory: %v", err)
	}
	for _, tc := range []struct {
		off  int
		want error
	}{{0, ErrBadMagic}, {8, ErrBadVersion}, {40, ErrHeaderChecksum}, {30, ErrHeaderChecksum}} {
		dir := fx.clone(t)
		patch(t, dir, blocksFileName, func(b []byte) []byte { b[tc.off] ^= 0x10; return b })
		if _, err := Inspect(dir, InspectOptions{}); !errors.Is(err, tc.want) {
			t.Errorf("blocks header byte %d flipped: %v, want %v", tc.off, err, tc.want)
		}
	}
	dir := fx.clone(t)
	patch(t, dir, blocksFileName, func(b []byte) []byte { return b[:20] })
	if _, err := Inspect(dir, InspectOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("blocks file cut inside its header: %v", err)
	}
}

func TestInspectCapsProblems(t *testing.T) {
	fx := buildInspectFixture(t, false)
	dir := fx.clone(t)
	patch(t, dir, blocksFileName, func(b []byte) []byte {
		for _, p := range fx.pl {
			b[slotOffset(p.Slot)+rhCRC] ^= 1
		}
		return b
	})
	rep, err := Inspect(dir, InspectOptions{MaxProblems: 3, RereadDelay: 1, SettleWindow: 1})
	if err != nil {
		t.Fatal(err)
	}
	all := mustInspect(t, dir)
	if len(all.Problems) < len(fx.pl) || all.MoreProblems != 0 {
		t.Fatalf("uncapped: %d problems listed, %d more; want every one of at least %d listed", len(all.Problems), all.MoreProblems, len(fx.pl))
	}
	if len(rep.Problems) != 3 || rep.MoreProblems != len(all.Problems)-3 || rep.Problems[0].String() != all.Problems[0].String() {
		t.Fatalf("listed %d, more %d; want the first 3 and %d more", len(rep.Problems), rep.MoreProblems, len(all.Problems)-3)
	}
}

// A seeded accounting bug is caught by the clean-close recount: the failed
// Put stays counted.
func TestInspectCatchesCountBug(t *testing.T) {
	fps := NewFailpoints()
	opts := Options{GroupCommit: -1, Bugs: []Bug{BugCountOnFailedStore}, Failpoints: fps}
	dir := t.TempDir()
	if msg := failedStoreCountIn(t, dir, opts); msg == "" {
		t.Fatal("the seeded bug did not misbehave")
	}
	expectProblem(t, mustInspect(t, dir), Inconsistent, ProblemCount, nil)
}

// A store killed with writes in flight, then cut by a power loss, then
// recovered: never damage, and consistent (closed cleanly) once recovery
// and Close ran.
func TestInspectAfterCrashRecovery(t *testing.T) {
	for seed := range int64(4) {
		dir := t.TempDir()
		s := mustOpen(t, dir, Options{GroupCommit: -1, DurableImage: true})
		for i := range 300 {
			id := fmt.Sprintf("k%03d", i%40)
			switch {
			case i%11 == 5:
				s.Remove(id)
			case i%7 == 3:
				s.UpdateActivation(id, float32(i))
			default:
				if _, err := s.Put(id, Memory{Embedding: testEmbedding(i), Content: bytes.Repeat([]byte{byte(i)}, 50+i)}); err != nil {
					t.Fatal(err)
				}
			}
			if i%50 == 20 {
				if err := s.Sync(); err != nil {
					t.Fatal(err)
				}
			}
			if i == 150 {
				if _, err := s.Compact(); err != nil {
					t.Fatal(err)
				}
			}
		}
		s.abandon()
		if rep := mustInspect(t, dir); rep.Verdict != Consistent || rep.CleanClose {
			t.Fatalf("killed store (page cache intact): %v, clean %v, %v", rep.Verdict, rep.CleanClose, rep.Problems)
		}
		if _, err := SimulatePowerLoss(dir, seed); err != nil {
			t.Fatal(err)
		}
		rep := mustInspect(t, dir)
		if rep.Verdict == Inconsistent {
			t.Fatalf("seed %d: power loss reported as damage: %v", seed, rep.Problems)
		}
		s = mustOpen(t, dir, Options{GroupCommit: -1, DurableImage: true})
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if rep := mustInspect(t, dir); rep.Verdict != Consistent || !rep.CleanClose {
			t.Fatalf("seed %d: recovered and closed: %v, clean %v, %v", seed, rep.Verdict, rep.CleanClose, rep.Problems)
		}
	}
}

// Inspect reads a store other goroutines are writing (group commit on,
// compactions, in-place activation updates in a tight loop), five times: it never
// reports a problem, and the writers never fail.
func TestInspectLiveStore(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: time.Millisecond})
	stop := make(chan struct{})
	werr := make(chan error, 2)
	want := map[string][]byte{}
	var wg sync.WaitGroup
	wg.Add(2)
	go untilStopped(stop, &wg, werr, func(i int) error { // Puts, Removes, Compacts
		id := fmt.Sprintf("w%04d", i%1000)
		var err error
		switch {
		case i%9 == 4:
			_, err = s.Remove(id)
			delete(want, id)
		case i%2000 == 1999:
			_, err = s.Compact()
		default:
			c := bytes.Repeat([]byte{byte(i)}, 30+i%500)
			_, err = s.Put(id, Memory{Embedding: testEmbedding(i), Content: c})
			want[id] = c
		}
		if err != nil {
			return fmt.Errorf("op %d on %s: %w", i, id, err)
		}
		return nil
	})
	go untilStopped(stop, &wg, werr, func(i int) error { // in-place header rewrites
		_, err := s.UpdateActivation(fmt.Sprintf("w%04d", i%50), float32(i))
		return err
	})
	for range 5 {
		// Default settling: a failing slot is judged only after it stayed
		// the same for 100 ms, far longer than any write takes.
		rep, err := Inspect(dir, InspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict != Consistent || len(rep.Problems) != 0 {
			t.Errorf("live store: %v, %d unsettled, problems %v", rep.Verdict, rep.Stats.Unsettled, rep.Problems)
		}
	}
	close(stop)
	wg.Wait()
	close(werr)
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	for id, c := range want {
		m, l, err := s.Get(id)
		if err != nil || l != Found || !bytes.Equal(m.Content, c) {
			t.Fatalf("after the inspections: Get(%s) = %v %v, content differs: %v", id, l, err, !bytes.Equal(m.Content, c))
		}
	}
}

// Any single flipped bit (24 drawn) in a live record of a cleanly closed store (its
// state word, header, embedding or content) is damage; Inspect never fails
// or panics on it.
func TestInspectEveryFlipInALiveRecord(t *testing.T) {
	fx := buildInspectFixture(t, false)
	content := filepath.Base(contentFileName(fx.dir, 0))
	r := rand.New(rand.NewPCG(7, 7))
	ids := make([]string, 0, len(fx.pl))
	for id := range fx.pl {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for i := range 24 {
		p := fx.pl[ids[r.IntN(len(ids))]]
		file, off := blocksFileName, slotOffset(p.Slot)
		switch k := r.IntN(3); {
		case k == 0 || (k == 2 && p.Length == 0):
			off += uint64(r.IntN(recordCRCEnd))
		case k == 1:
			off += sectorSize + uint64(r.IntN(embeddingBytes))
		default:
			file, off = content, p.Offset+uint64(r.IntN(int(p.Length)))
		}
		bit := byte(1) << r.IntN(8)
		dir := fx.clone(t)
		patch(t, dir, file, func(b []byte) []byte { b[off] ^= bit; return b })
		if rep := mustInspect(t, dir); rep.Verdict != Inconsistent {
			t.Errorf("flip %d: %s byte %d bit %02x (slot %d): %v %v", i, file, off, bit, p.Slot, rep.Verdict, rep.Problems)
		}
	}
}

// untilStopped calls op(0), op(1), ... until stop is closed or op fails
// (its error goes to errs), then marks wg done.
func untilStopped(stop <-chan struct{}, wg *sync.WaitGroup, errs chan<- error, op func(i int) error) {
	defer wg.Done()
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if err := op(i); err != nil {
			errs <- err
			return
		}
	}
}
