package store_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

// The corruption suite damages a cleanly closed store's files (truncation,
// single flipped bits, a missing file) and reopens: Open must return one of
// the format sentinel errors, or succeed with every memory either exactly as
// written or absent (discarded and counted in Stats.TornDiscarded). Never a
// panic, never another value.

// corruptionFixture is a cleanly closed store and what it holds. files
// caches each data file's bytes and used length (up to its last non-zero
// byte), so that cloning a damaged copy is cheap even under -race.
type corruptionFixture struct {
	dir   string
	want  map[string]store.Memory
	files map[string][]byte
	used  map[string]int
}

func buildCorruptionFixture(t *testing.T, n int) corruptionFixture {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{GroupCommit: -1})
	r := rand.New(rand.NewPCG(42, 42))
	want := map[string]store.Memory{}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%02d", i)
		var content []byte
		switch i % 10 {
		case 3:
			content = nil
		case 6:
			content = []byte{}
		default:
			content = taggedContent(fmt.Sprintf("corrupt-%d|", i), 20+r.IntN(300))
		}
		m := store.Memory{Embedding: suiteEmbedding(uint64(i)), Confidence: 0.5, Activation: float32(i), CreatedAt: int64(i + 1), Content: content}
		if _, err := s.Put(id, m); err != nil {
			t.Fatal(err)
		}
		want[id] = m
	}
	// A replaced and a removed memory leave superseded records behind,
	// which recovery must not bring back.
	m := want["c01"]
	m.Content = []byte("replaced")
	if _, err := s.Put("c01", m); err != nil {
		t.Fatal(err)
	}
	want["c01"] = m
	if _, err := s.Remove("c02"); err != nil {
		t.Fatal(err)
	}
	delete(want, "c02")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fx := corruptionFixture{dir: dir, want: want, files: map[string][]byte{}, used: map[string]int{}}
	for _, f := range dataFiles(t, dir) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		fx.files[f], fx.used[f] = b, usedLen(b)
	}
	return fx
}

// usedLen is the length of f up to its last non-zero byte: the region where
// damage can matter (the rest is preallocated zeros).
func usedLen(b []byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0 {
			return i + 1
		}
	}
	return 0
}

// damage is one way to break a file of the fixture.
type damage struct {
	remove   bool         // delete the file
	truncate int          // new length; -1 keeps the length
	flipOff  int          // byte offset whose flipBit is flipped; -1 for none
	flipBit  byte         //
	fill     func([]byte) // overwrites bytes of the (at least 64-byte) head
}

func truncation(n int) damage          { return damage{truncate: n, flipOff: -1} }
func bitFlip(off int, bit byte) damage { return damage{truncate: -1, flipOff: off, flipBit: bit} }

// cloneDamaged copies the fixture into a fresh directory with file name
// damaged. Files are written sparsely (the used part, then extended to the
// full length), so a clone costs little even under -race.
func cloneDamaged(t *testing.T, fx corruptionFixture, name string, d damage) string {
	t.Helper()
	dst, err := os.MkdirTemp(t.TempDir(), "corrupt")
	if err != nil {
		t.Fatal(err)
	}
	for f, full := range fx.files {
		data, size := full[:fx.used[f]], len(full)
		if f == name {
			if d.remove {
				continue
			}
			if d.flipOff >= 0 || d.fill != nil {
				data = bytes.Clone(full[:max(len(data), d.flipOff+1, 64)])
				if d.flipOff >= 0 {
					data[d.flipOff] ^= d.flipBit
				}
				if d.fill != nil {
					d.fill(data)
				}
			}
			if d.truncate >= 0 {
				size = d.truncate
				data = data[:min(len(data), size)]
			}
		}
		p := filepath.Join(dst, f)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, int64(size)); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// corruptionOutcome summarises one damaged reopen.
type corruptionOutcome struct {
	openErr error
	missing int
	torn    uint64
}

// reopenDamaged opens dir and checks the suite's guarantee; what names the
// damage in failure messages.
func reopenDamaged(t *testing.T, fx corruptionFixture, dir, what string) (out corruptionOutcome) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("%s: panic: %v\n%s", what, p, debug.Stack())
		}
	}()
	s, err := store.Open(dir, store.Options{GroupCommit: -1})
	if err != nil {
		if !isFormatError(err) {
			t.Errorf("%s: Open error %v is not a format sentinel (ErrBadMagic/ErrBadVersion/ErrHeaderChecksum/ErrCorrupt)", what, err)
		}
		out.openErr = err
		return out
	}
	defer s.Close()
	found := map[string]store.Memory{}
	for id, w := range fx.want {
		got, l, err := s.Get(id)
		if err != nil {
			t.Errorf("%s: Get(%s): %v", what, id, err)
			continue
		}
		if l == store.Missing {
			out.missing++
			continue
		}
		if d := diffMemory(w, got); d != "" {
			t.Errorf("%s: Get(%s) returned wrong data: %s", what, id, d)
			continue
		}
		found[id] = got
	}
	if _, l, _ := s.Get("c02"); l != store.Missing {
		t.Errorf("%s: removed memory c02 came back", what)
	}
	st := s.Stats()
	out.torn = st.TornDiscarded
	if st.Live != uint64(len(found)) {
		t.Errorf("%s: Stats.Live %d, Get found %d", what, st.Live, len(found))
	}
	layout, err := s.Layout()
	if err != nil {
		t.Errorf("%s: Layout: %v", what, err)
	} else if err := checkLayout(layout, found); err != nil {
		t.Errorf("%s: Layout: %v", what, err)
	}
	n := 0
	if err := s.Iterate(func(id string, m store.Memory) bool {
		n++
		if w, ok := found[id]; !ok {
			t.Errorf("%s: Iterate visited %q, which Get did not return", what, id)
		} else if d := diffMemory(w, m); d != "" {
			t.Errorf("%s: Iterate %q: %s", what, id, d)
		}
		return true
	}); err != nil {
		t.Errorf("%s: Iterate: %v", what, err)
	}
	if n != len(found) {
		t.Errorf("%s: Iterate visited %d, Get found %d", what, n, len(found))
	}
	// A store that opened must be usable.
	if _, err := s.Put("fresh", store.Memory{Content: []byte("fresh")}); err != nil {
		t.Errorf("%s: Put after damaged reopen: %v", what, err)
	} else if got, l, err := s.Get("fresh"); err != nil || l != store.Found || string(got.Content) != "fresh" {
		t.Errorf("%s: Get(fresh) after damaged reopen: %v %v %q", what, l, err, got.Content)
	}
	return out
}

func TestCorruptionTruncate(t *testing.T) {
	fx := buildCorruptionFixture(t, 40)
	r := rand.New(rand.NewPCG(1, 2))
	randomCuts := 15
	if longRuns() {
		randomCuts = 500
	}
	for _, name := range dataFiles(t, fx.dir) {
		b, used := fx.files[name], fx.used[name]
		lengths := []int{0, 1, 4, 8, 16, 32, 43, 44, 45, 63, 64, 65, 128, 511, 512, 513, 4095, 4096, 4097, used - 1, used / 2}
		for k := 0; k < randomCuts; k++ {
			lengths = append(lengths, r.IntN(used+1))
		}
		var opened, errored, lost int
		for _, n := range lengths {
			if n < 0 || n > len(b) {
				continue
			}
			what := fmt.Sprintf("%s truncated to %d of %d (used %d)", name, n, len(b), used)
			out := reopenDamaged(t, fx, cloneDamaged(t, fx, name, truncation(n)), what)
			if out.openErr != nil {
				errored++
				continue
			}
			opened++
			lost += out.missing
			if out.missing > 0 && out.torn == 0 {
				t.Errorf("%s: %d memories silently dropped (TornDiscarded 0)", what, out.missing)
			}
		}
		t.Logf("%s: %d truncations opened (%d memories discarded in total), %d refused", name, opened, lost, errored)
	}
}

func TestCorruptionBitFlip(t *testing.T) {
	fx := buildCorruptionFixture(t, 40)
	r := rand.New(rand.NewPCG(3, 4))
	flips := 25
	if longRuns() {
		flips = 3000
	}
	for _, name := range dataFiles(t, fx.dir) {
		used := fx.used[name]
		var offsets []int
		// Every byte of the 44-byte file header of blocks.dat (every
		// fourth of the content files', same format), then random bytes.
		headerStep := 4
		if name == "blocks.dat" || longRuns() {
			headerStep = 1
		}
		for off := 0; off < 48 && off < used; off += headerStep {
			offsets = append(offsets, off)
		}
		for k := 0; k < flips; k++ {
			offsets = append(offsets, r.IntN(used))
		}
		var opened, errored, lost, silent int
		for _, off := range offsets {
			bit := byte(1) << r.IntN(8)
			what := fmt.Sprintf("%s bit %#x flipped at offset %d", name, bit, off)
			out := reopenDamaged(t, fx, cloneDamaged(t, fx, name, bitFlip(off, bit)), what)
			if out.openErr != nil {
				errored++
				continue
			}
			opened++
			lost += out.missing
			if out.missing > 0 && out.torn == 0 {
				silent++
				t.Errorf("%s: %d memories silently dropped (TornDiscarded 0)", what, out.missing)
			}
		}
		t.Logf("%s: %d flips opened (%d memories discarded), %d refused with a sentinel error, %d silent drops",
			name, opened, lost, errored, silent)
	}
}

// TestCorruptionMissingContentFile deletes each content file: the memories
// whose content lived there are discarded (or Open refuses); none returns
// bytes it no longer has.
func TestCorruptionMissingContentFile(t *testing.T) {
	fx := buildCorruptionFixture(t, 20)
	for _, name := range dataFiles(t, fx.dir) {
		if name == "blocks.dat" {
			continue
		}
		out := reopenDamaged(t, fx, cloneDamaged(t, fx, name, damage{remove: true}), name+" deleted")
		t.Logf("%s deleted: open error %v, %d memories discarded, TornDiscarded %d", name, out.openErr, out.missing, out.torn)
	}
}

// TestCorruptionGarbageHeader overwrites the first bytes of each file with
// patterns that must be refused with the matching sentinel.
func TestCorruptionGarbageHeader(t *testing.T) {
	fx := buildCorruptionFixture(t, 5)
	for _, name := range dataFiles(t, fx.dir) {
		for _, pat := range []struct {
			what string
			fill func(b []byte)
		}{
			{"zeroed header", func(b []byte) { clear(b[:64]) }},
			{"text header", func(b []byte) { copy(b, "GARBAGE GARBAGE GARBAGE GARBAGE") }},
			{"0xff header", func(b []byte) {
				for i := 0; i < 64; i++ {
					b[i] = 0xff
				}
			}},
		} {
			d := damage{truncate: -1, flipOff: -1, fill: pat.fill}
			out := reopenDamaged(t, fx, cloneDamaged(t, fx, name, d), name+": "+pat.what)
			if out.openErr == nil && name == "blocks.dat" {
				t.Errorf("%s: %s: Open succeeded on a block file with a destroyed header", name, pat.what)
			}
		}
	}
}

// TestCorruptionTruncateAligned cuts blocks.dat at page- and chunk-aligned
// lengths, where a size check based on alignment alone cannot notice: the
// records past the cut must not vanish silently.
func TestCorruptionTruncateAligned(t *testing.T) {
	fx := buildCorruptionFixture(t, 700) // > 2 MiB of slots
	b, used := fx.files["blocks.dat"], fx.used["blocks.dat"]
	step := 256 << 10
	if longRuns() {
		step = 4 << 10
	}
	var opened, refused int
	for n := step; n < used; n += step {
		for _, cut := range []int{n, n + 4096} {
			what := fmt.Sprintf("blocks.dat truncated to %d of %d (used %d)", cut, len(b), used)
			out := reopenDamaged(t, fx, cloneDamaged(t, fx, "blocks.dat", truncation(cut)), what)
			if out.openErr != nil {
				refused++
				continue
			}
			opened++
			if out.missing > 0 && out.torn == 0 {
				t.Errorf("%s: %d memories silently dropped (TornDiscarded 0)", what, out.missing)
			}
		}
	}
	t.Logf("aligned truncations: %d opened, %d refused", opened, refused)
}
