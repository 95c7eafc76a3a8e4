package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/warmcheck/warmcheck/store"
)

// The boundary suite: content lengths at and past their limits, content
// offsets at their limit, a full disk during Put, Sync, compaction and
// growth, and ids at and past theirs. Each ends by reopening the store and
// inspecting it: what was acknowledged (and synced) is there, what failed
// is not, and the files are consistent.

// expectStore checks that s holds exactly want (id -> content; nil content
// is "no content").
func expectStore(t *testing.T, s *store.Store, want map[string][]byte) {
	t.Helper()
	for id, c := range want {
		m, l, err := s.Get(id)
		if err != nil || l != store.Found {
			t.Fatalf("Get(%q) = %v, %v", id, l, err)
		}
		if (m.Content == nil) != (c == nil) || !bytes.Equal(m.Content, c) {
			t.Fatalf("Get(%q): content of %d bytes (nil %v), want %d (nil %v)", id, len(m.Content), m.Content == nil, len(c), c == nil)
		}
	}
	if st := s.Stats(); st.Live != uint64(len(want)) {
		t.Fatalf("Live %d, want %d", st.Live, len(want))
	}
}

// reopenAndInspect closes s, inspects the directory (it must be
// consistent), reopens it with opts and checks that it holds want.
func reopenAndInspect(t *testing.T, s *store.Store, dir string, opts store.Options, want map[string][]byte) *store.Store {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rep, err := store.Inspect(dir, store.InspectOptions{})
	if err != nil || rep.Verdict != store.Consistent {
		t.Fatalf("Inspect after Close: %v %v %v", err, rep.Verdict, rep.Problems)
	}
	s = openStore(t, dir, opts)
	expectStore(t, s, want)
	return s
}

func TestBoundaryContentLengths(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	s := openStore(t, dir, opts)
	want := map[string][]byte{"nil": nil, "empty": {}, "one": {0x7f}, "two": {0, 1}, "page": bytes.Repeat([]byte{9}, 4096)}
	for id, c := range want {
		if _, err := s.Put(id, store.Memory{Content: c}); err != nil {
			t.Fatalf("Put(%q, %d bytes): %v", id, len(c), err)
		}
	}
	expectStore(t, s, want)
	s = reopenAndInspect(t, s, dir, opts, want)
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	reopenAndInspect(t, s, dir, opts, want)
}

// A content one byte over MaxContentLen is refused before anything is
// touched: no slot, no content byte, no file growth.
func TestBoundaryContentTooLarge(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{GroupCommit: -1})
	if _, err := s.Put("small", store.Memory{Content: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	before := s.Stats()
	// Zero pages mapped read-only outside the Go heap: reserving them costs
	// nothing (a make would be zeroed and shadowed under -race).
	huge, err := unix.Mmap(-1, 0, int(uint64(store.MaxContentLen)+1), unix.PROT_READ, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		t.Skipf("cannot map 4 GiB of address space: %v", err)
	}
	defer unix.Munmap(huge)
	_, err = s.Put("huge", store.Memory{Content: huge})
	if !errors.Is(err, store.ErrTooLarge) || !strings.Contains(err.Error(), fmt.Sprint(uint64(store.MaxContentLen))) {
		t.Fatalf("Put of MaxContentLen+1 bytes: %v, want ErrTooLarge naming the limit", err)
	}
	if after := s.Stats(); after != before {
		t.Fatalf("a refused Put changed the store: %+v -> %+v", before, after)
	}
	if _, l, _ := s.Get("huge"); l != store.Missing {
		t.Fatal("the refused memory is there")
	}
	reopenAndInspect(t, s, dir, store.Options{GroupCommit: -1}, map[string][]byte{"small": []byte("x")})
}

// MaxContentLen itself is stored and read back (4 GiB written: long test).
func TestBoundaryMaxContentLen(t *testing.T) {
	if os.Getenv("WARMCHECK_LONG") == "" {
		t.Skip("writes 4 GiB: set WARMCHECK_LONG=1")
	}
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	s := openStore(t, dir, opts)
	big := make([]byte, store.MaxContentLen)
	for i := 0; i < len(big); i += 1 << 20 {
		big[i] = byte(i >> 20)
	}
	big[len(big)-1] = 0xee
	pl, err := s.Put("max", store.Memory{Content: big})
	if err != nil {
		t.Fatalf("Put of MaxContentLen bytes: %v", err)
	}
	if pl.Length != store.MaxContentLen {
		t.Fatalf("placement length %d", pl.Length)
	}
	// Compared in place (IterateView): a Get would copy 4 GiB.
	sameContent := func(s *store.Store) {
		t.Helper()
		n := 0
		if err := s.IterateView(func(id string, m store.Memory) bool {
			n++
			if id != "max" || !bytes.Equal(m.Content, big) {
				t.Errorf("%q: %d bytes, differ from what was put", id, len(m.Content))
			}
			return true
		}); err != nil || n != 1 {
			t.Fatalf("IterateView: %v, %d memories", err, n)
		}
	}
	sameContent(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if rep, err := store.Inspect(dir, store.InspectOptions{}); err != nil || rep.Verdict != store.Consistent {
		t.Fatalf("Inspect: %v %v %v", err, rep.Verdict, rep.Problems)
	}
	sameContent(openStore(t, dir, opts))
}

// At the end of its address reservation a content file takes no more
// bytes: a clear error, nothing written, the store usable, and a Compact
// (a new epoch) makes room again.
func TestBoundaryContentOffsetLimit(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	store.WithReservation(&opts, 16<<20)
	s := openStore(t, dir, opts)
	limit := s.ContentLimit()
	want := map[string][]byte{"first": []byte("first")}
	if _, err := s.Put("first", store.Memory{Content: want["first"]}); err != nil {
		t.Fatal(err)
	}
	// Exactly up to the limit.
	fill := bytes.Repeat([]byte{'f'}, int(limit-4096-5))
	pl, err := s.Put("fill", store.Memory{Content: fill})
	if err != nil {
		t.Fatalf("Put ending exactly at the limit %d: %v", limit, err)
	}
	if pl.Offset+uint64(pl.Length) != limit {
		t.Fatalf("fill ends at %d, want %d", pl.Offset+uint64(pl.Length), limit)
	}
	want["fill"] = fill
	for range 3 {
		if _, err := s.Put("over", store.Memory{Content: []byte("x")}); !errors.Is(err, store.ErrGrowFailed) {
			t.Fatalf("Put past the limit: %v, want ErrGrowFailed", err)
		}
	}
	for id, c := range map[string][]byte{"nil": nil, "empty": {}} {
		if _, err := s.Put(id, store.Memory{Content: c}); err != nil {
			t.Fatalf("Put(%q) without content bytes at the limit: %v", id, err)
		}
		want[id] = c
	}
	expectStore(t, s, want)
	s = reopenAndInspect(t, s, dir, opts, want)
	if _, err := s.Remove("fill"); err != nil {
		t.Fatal(err)
	}
	delete(want, "fill")
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	want["after"] = []byte("room again")
	if _, err := s.Put("after", store.Memory{Content: want["after"]}); err != nil {
		t.Fatalf("Put after Compact: %v", err)
	}
	reopenAndInspect(t, s, dir, opts, want)
}

// Offsets near 2^64: the append must fail cleanly, never wrap around into
// the content file's header.
func TestBoundaryContentOffsetNoWrap(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	s := openStore(t, dir, opts)
	want := map[string][]byte{"before": []byte("before")}
	if _, err := s.Put("before", store.Memory{Content: want["before"]}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	store.WithContentTail(&opts, math.MaxUint64-50)
	s = openStore(t, dir, opts)
	for _, n := range []int{100, 10, 1} {
		if _, err := s.Put(fmt.Sprint("wrap", n), store.Memory{Content: bytes.Repeat([]byte{'w'}, n)}); !errors.Is(err, store.ErrGrowFailed) && !errors.Is(err, store.ErrTooLarge) {
			t.Fatalf("Put of %d bytes at offset 2^64-50: %v, want a clear error", n, err)
		}
	}
	expectStore(t, s, want)
	reopenAndInspect(t, s, dir, store.Options{GroupCommit: -1}, want)
}

// Growth that fails (a full disk) gives its reservation back: a client
// retrying big Puts while the disk is full must not use up the content
// file's address space, so that the store works once space returns.
func TestBoundaryFailedGrowthDoesNotLeak(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	store.WithReservation(&opts, 16<<20)
	disk := store.WithDisk(&opts)
	s := openStore(t, dir, opts)
	disk.FillAllocate()
	for i := range 10 {
		if _, err := s.Put("retry", store.Memory{Content: make([]byte, 4<<20)}); !errors.Is(err, syscall.ENOSPC) {
			t.Fatalf("try %d under a full disk: %v, want ENOSPC", i, err)
		}
	}
	disk.Free()
	want := map[string][]byte{"retry": bytes.Repeat([]byte{'r'}, 4<<20)}
	if _, err := s.Put("retry", store.Memory{Content: want["retry"]}); err != nil {
		t.Fatalf("Put once space returned: %v", err)
	}
	reopenAndInspect(t, s, dir, opts, want)
}

// storeOnDisk opens a store on a simulated disk and puts one memory.
func storeOnDisk(t *testing.T, opts *store.Options) (string, *store.Store, store.Disk, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	disk := store.WithDisk(opts)
	s := openStore(t, dir, *opts)
	want := map[string][]byte{"a": []byte("before the disk filled")}
	if _, err := s.Put("a", store.Memory{Content: want["a"]}); err != nil {
		t.Fatal(err)
	}
	return dir, s, disk, want
}

// isENOSPC reports whether err is a full disk, as the caller sees it.
func isENOSPC(err error) bool { return errors.Is(err, syscall.ENOSPC) }

// A full disk fails the Puts that need new space (content growth, blocks
// growth) with ENOSPC and nothing else; what was acknowledged stays, and
// the store works once space returns.
func TestBoundaryDiskFullPut(t *testing.T) {
	opts := store.Options{GroupCommit: -1}
	dir, s, disk, want := storeOnDisk(t, &opts)
	disk.FillAllocate()
	// Allocated space still takes writes, as on ext4.
	want["fits"] = []byte("in the allocated part")
	if _, err := s.Put("fits", store.Memory{Content: want["fits"]}); err != nil {
		t.Fatalf("Put into allocated space on a full disk: %v", err)
	}
	if _, err := s.Put("big", store.Memory{Content: make([]byte, 2<<20)}); !errors.Is(err, store.ErrGrowFailed) || !isENOSPC(err) {
		t.Fatalf("Put needing content growth: %v, want ErrGrowFailed with ENOSPC", err)
	}
	// Slots until the blocks file must grow.
	for i := 0; ; i++ {
		id := fmt.Sprintf("slot%04d", i)
		_, err := s.Put(id, store.Memory{})
		if err != nil {
			if !errors.Is(err, store.ErrGrowFailed) || !isENOSPC(err) {
				t.Fatalf("Put needing blocks growth: %v", err)
			}
			break
		}
		want[id] = nil
		if i > 10000 {
			t.Fatal("the blocks file never needed to grow")
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync on a full disk with everything allocated: %v", err)
	}
	expectStore(t, s, want)
	disk.Free()
	want["big"] = bytes.Repeat([]byte{'b'}, 2<<20)
	want["more"] = nil
	for _, id := range []string{"big", "more"} {
		if _, err := s.Put(id, store.Memory{Content: want[id]}); err != nil {
			t.Fatalf("Put(%q) once space returned: %v", id, err)
		}
	}
	reopenAndInspect(t, s, dir, opts, want)
}

// A Sync that cannot flush fails with ENOSPC and loses nothing it was
// given: once space returns a Sync makes it durable. A power cut after
// the failed Sync keeps everything synced before.
func TestBoundaryDiskFullSync(t *testing.T) {
	for _, crashWhileFull := range []bool{false, true} {
		t.Run(fmt.Sprintf("crashWhileFull=%v", crashWhileFull), func(t *testing.T) {
			dir := t.TempDir()
			opts := store.Options{GroupCommit: -1, DurableImage: true}
			disk := store.WithDisk(&opts)
			s := openStore(t, dir, opts)
			synced := map[string][]byte{"synced": []byte("synced before the disk filled")}
			if _, err := s.Put("synced", store.Memory{Content: synced["synced"]}); err != nil {
				t.Fatal(err)
			}
			if err := s.Sync(); err != nil {
				t.Fatal(err)
			}
			acked := []byte("acknowledged, not synced")
			if _, err := s.Put("acked", store.Memory{Content: acked}); err != nil {
				t.Fatal(err)
			}
			disk.FillAll()
			if err := s.Sync(); !isENOSPC(err) {
				t.Fatalf("Sync on a full disk: %v, want ENOSPC", err)
			}
			if _, err := s.Put("during", store.Memory{Content: []byte("x")}); !isENOSPC(err) {
				t.Fatalf("Put whose write fails: %v, want ENOSPC", err)
			}
			expectStore(t, s, map[string][]byte{"synced": synced["synced"], "acked": acked})
			if !crashWhileFull {
				disk.Free()
				if err := s.Sync(); err != nil {
					t.Fatalf("Sync once space returned: %v", err)
				}
				synced["acked"] = acked
			}
			s.Kill()
			if _, err := store.SimulatePowerLoss(dir, 1); err != nil {
				t.Fatal(err)
			}
			s = openStore(t, dir, store.Options{GroupCommit: -1, DurableImage: true})
			for id, c := range synced {
				if m, l, err := s.Get(id); err != nil || l != store.Found || !bytes.Equal(m.Content, c) {
					t.Fatalf("synced %q after the power cut: %v %v %q", id, l, err, m.Content)
				}
			}
			if m, l, _ := s.Get("acked"); l == store.Found && !bytes.Equal(m.Content, acked) {
				t.Fatalf("unsynced write came back torn: %q", m.Content)
			}
			if _, l, _ := s.Get("during"); l != store.Found {
				return
			}
			t.Fatal("the failed Put came back after the power cut")
		})
	}
}

// With SyncEveryOp a Put whose Sync fails is applied and says so
// (ErrNotSynced); the next successful Sync makes it durable.
func TestBoundaryDiskFullSyncEveryOp(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1, SyncEveryOp: true, DurableImage: true}
	disk := store.WithDisk(&opts)
	s := openStore(t, dir, opts)
	disk.FillFlush()
	if _, err := s.Put("y", store.Memory{Content: []byte("applied")}); !errors.Is(err, store.ErrNotSynced) || !isENOSPC(err) {
		t.Fatalf("Put whose Sync fails: %v, want ErrNotSynced with ENOSPC", err)
	}
	disk.Free()
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	if _, err := store.SimulatePowerLoss(dir, 2); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, store.Options{GroupCommit: -1, DurableImage: true})
	expectStore(t, s, map[string][]byte{"y": []byte("applied")})
}

// Compaction on a full disk fails at each of its steps with an error and
// leaves every memory readable; once space returns it succeeds.
func TestBoundaryDiskFullCompaction(t *testing.T) {
	dir := t.TempDir()
	fps := store.NewFailpoints()
	opts := store.Options{GroupCommit: -1, Failpoints: fps}
	disk := store.WithDisk(&opts)
	s := openStore(t, dir, opts)
	want := map[string][]byte{}
	for i := range 300 {
		id := fmt.Sprintf("c%03d", i)
		want[id] = taggedContent(id, 200+i)
		if _, err := s.Put(id, store.Memory{Content: want[id]}); err != nil {
			t.Fatal(err)
		}
		if i%2 == 0 {
			s.Remove(id)
			delete(want, id)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	// 1. The new content file cannot be created.
	disk.FillAllocate()
	if _, err := s.Compact(); !isENOSPC(err) {
		t.Fatalf("Compact, no room for its file: %v", err)
	}
	expectStore(t, s, want)
	// 2. Created, but it cannot grow: the copy fails.
	disk.Free()
	fps.Arm(store.FailGrow, store.Action{Kind: store.ActionError})
	if _, err := s.Compact(); !isENOSPC(err) {
		t.Fatalf("Compact, its file cannot grow: %v", err)
	}
	fps.Disarm(store.FailGrow)
	expectStore(t, s, want)
	// 3. Copied and synced, then the relocation table cannot be created.
	fps.Arm(store.FailCompactMid, store.Action{Kind: store.ActionPause})
	done := make(chan error)
	go func() { _, err := s.Compact(); done <- err }()
	waitHit(t, fps, store.FailCompactMid)
	disk.FillAll()
	fps.Disarm(store.FailCompactMid)
	if err := <-done; !isENOSPC(err) {
		t.Fatalf("Compact, relocation table on a full disk: %v", err)
	}
	expectStore(t, s, want)
	disk.Free()
	want["after"] = []byte("after the failed compactions")
	if _, err := s.Put("after", store.Memory{Content: want["after"]}); err != nil {
		t.Fatal(err)
	}
	st, err := s.Compact()
	if err != nil {
		t.Fatalf("Compact once space returned: %v", err)
	}
	if st.BytesReclaimed == 0 {
		t.Errorf("the compaction reclaimed nothing: %+v", st)
	}
	reopenAndInspect(t, s, dir, opts, want)
}

func waitHit(t *testing.T, fps *store.Failpoints, name store.FailpointName) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for fps.Hits()[name] == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("failpoint %s never reached", name)
		}
		time.Sleep(time.Millisecond)
	}
}

// Ids: 1..MaxIDLen bytes of any value; empty and longer ones are ErrBadID
// for every call that takes an id.
func TestBoundaryIDs(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	s := openStore(t, dir, opts)
	want := map[string][]byte{}
	for _, id := range []string{
		strings.Repeat("m", store.MaxIDLen), "x", "\x00", "\x00\x00nul", "\xff\xfe invalid utf-8", "new\nline", "sp ace/slash", strings.Repeat("\xff", store.MaxIDLen),
	} {
		want[id] = []byte("value of " + id)
		if _, err := s.Put(id, store.Memory{Content: want[id]}); err != nil {
			t.Fatalf("Put(%q): %v", id, err)
		}
	}
	expectStore(t, s, want)
	seen := map[string]bool{}
	if err := s.Iterate(func(id string, _ store.Memory) bool { seen[id] = true; return true }); err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(want) {
		t.Fatalf("Iterate saw %d ids, want %d", len(seen), len(want))
	}
	for _, id := range []string{"", strings.Repeat("m", store.MaxIDLen+1)} {
		var m store.Memory
		calls := map[string]error{}
		_, calls["Put"] = s.Put(id, store.Memory{})
		_, _, calls["Get"] = s.Get(id)
		_, calls["GetInto"] = s.GetInto(id, &m)
		_, calls["Remove"] = s.Remove(id)
		_, calls["UpdateActivation"] = s.UpdateActivation(id, 1)
		for call, err := range calls {
			if !errors.Is(err, store.ErrBadID) || !strings.Contains(err.Error(), fmt.Sprint(len(id))) {
				t.Errorf("%s with a %d-byte id: %v, want ErrBadID naming the length", call, len(id), err)
			}
		}
	}
	reopenAndInspect(t, s, dir, opts, want)
}

// Close and Open on a full disk fail with ENOSPC; Close then leaves no
// clean-close record (its last Sync failed), and the store opens with
// everything once space returns.
func TestBoundaryDiskFullCloseOpen(t *testing.T) {
	opts := store.Options{GroupCommit: -1}
	dir, s, disk, want := storeOnDisk(t, &opts)
	disk.FillFlush()
	if err := s.Close(); !isENOSPC(err) {
		t.Fatalf("Close on a full disk: %v, want ENOSPC", err)
	}
	rep, err := store.Inspect(dir, store.InspectOptions{})
	if err != nil || rep.CleanClose || rep.Verdict != store.Consistent {
		t.Fatalf("after a failed Close: %v, clean %v, %v %v", err, rep.CleanClose, rep.Verdict, rep.Problems)
	}
	if _, err := store.Open(dir, opts); !isENOSPC(err) {
		t.Fatalf("Open (recovery must sync) on a full disk: %v, want ENOSPC", err)
	}
	disk.Free()
	s = openStore(t, dir, opts)
	reopenAndInspect(t, s, dir, opts, want)
}

// At the end of its address reservation the blocks file takes no more
// slots: a clear ErrGrowFailed, and a slot freed by a Remove and a Sync is
// reused.
func TestBoundarySlotLimit(t *testing.T) {
	dir := t.TempDir()
	opts := store.Options{GroupCommit: -1}
	store.WithReservation(&opts, 4<<20)
	s := openStore(t, dir, opts)
	want := map[string][]byte{}
	var full error
	for i := 0; full == nil; i++ {
		id := fmt.Sprintf("s%05d", i)
		if _, full = s.Put(id, store.Memory{}); full == nil {
			want[id] = nil
		}
		if i > 2000 {
			t.Fatal("a 4 MiB blocks file took more than 2000 slots")
		}
	}
	if !errors.Is(full, store.ErrGrowFailed) || !strings.Contains(full.Error(), "reservation") {
		t.Fatalf("Put past the last slot: %v, want ErrGrowFailed naming the reservation", full)
	}
	t.Logf("%d slots fit the reservation", len(want))
	if st := s.Stats(); st.SlotsTotal != uint64(len(want)) {
		t.Fatalf("%d slots total, %d memories", st.SlotsTotal, len(want))
	}
	if _, err := s.Put("one-more", store.Memory{}); !errors.Is(err, store.ErrGrowFailed) {
		t.Fatalf("second Put past the last slot: %v", err)
	}
	if _, err := s.Remove("s00007"); err != nil {
		t.Fatal(err)
	}
	delete(want, "s00007")
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	want["one-more"] = nil
	if pl, err := s.Put("one-more", store.Memory{}); err != nil || pl.Slot != 7 {
		t.Fatalf("Put into the freed slot: %+v %v", pl, err)
	}
	reopenAndInspect(t, s, dir, opts, want)
}
