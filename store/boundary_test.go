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
	huge := make([]byte, uint64(store.MaxContentLen)+1) // untouched: virtual memory only
	_, err := s.Put("huge", store.Memory{Content: huge})
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
	reopenAndInspect(t, s, dir, opts, map[string][]byte{"max": big})
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
