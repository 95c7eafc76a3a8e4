package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// checkMetaMirrorsHeaders checks slotmeta.go's invariant when no
// compaction runs: for every published slot, the in-memory entry equals the
// header's fields, its content reference resolved through the relocation
// tables on disk.
func checkMetaMirrorsHeaders(t *testing.T, s *Store) int {
	t.Helper()
	tables, err := readRelocTables(s.dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range s.idx.shards {
		sh := &s.idx.shards[i]
		sh.mu.RLock()
		for id, slot := range sh.m {
			n++
			h := decodeHeader(s.slotBytes(uint64(slot)))
			newRelocator(tables).resolve(slot, &h)
			m := s.meta.header(uint64(slot))
			if h.confidence != m.confidence || h.activation != m.activation || h.decayRate != m.decayRate ||
				h.flags&flagHasContent != m.flags || h.createdAt != m.createdAt || h.lastAccess != m.lastAccess ||
				h.contentOff != m.contentOff || h.contentEpoch != m.contentEpoch || h.contentLen != m.contentLen || h.seq != m.seq {
				t.Errorf("%s (slot %d): meta %+v, header %+v", id, slot, m, h)
			}
		}
		sh.mu.RUnlock()
	}
	return n
}

// The meta table mirrors the headers after concurrent Puts, Removes,
// activation updates and compactions, and after a reopen.
func TestSlotMetaMirrorsHeaders(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for i := 0; i < 700; i++ {
				id := fmt.Sprint("k", r.IntN(200))
				var err error
				switch p := r.IntN(20); {
				case p < 10:
					m := Memory{Confidence: r.Float32(), Activation: r.Float32(), DecayRate: r.Float32()}
					if p > 0 {
						m.Content = make([]byte, r.IntN(300))
					}
					_, err = s.Put(id, m)
				case p < 13:
					_, err = s.Remove(id)
				case p < 19:
					_, err = s.UpdateActivation(id, r.Float32())
				default:
					_, err = s.Compact()
					if errors.Is(err, ErrCompactionInProgress) {
						err = nil
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := checkMetaMirrorsHeaders(t, s); n == 0 {
		t.Fatal("no memory left to check")
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	checkMetaMirrorsHeaders(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{})
	checkMetaMirrorsHeaders(t, s)
}

// The table grows by whole chunks and an entry never moves.
func TestMetaTableGrows(t *testing.T) {
	var mt metaTable
	first := mt.at(5)
	first.contentRef.Store(42)
	far := uint64(3*metaChunkSlots + 17)
	mt.set(far, &recordHeader{contentOff: 7, contentLen: 9, confidence: 0.5, flags: flagHasContent})
	if mt.at(5) != first || mt.at(5).contentRef.Load() != 42 {
		t.Fatal("entry 5 moved or changed when the table grew")
	}
	if h := mt.header(far); h.contentOff != 7 || h.contentLen != 9 || h.confidence != 0.5 || !h.hasContent() {
		t.Fatalf("entry %d: %+v", far, h)
	}
	// An empty content's offset (no bytes behind it) is clamped below the
	// flag bit, and stays past the file header.
	mt.set(6, &recordHeader{contentOff: 1 << 60, flags: flagHasContent})
	if h := mt.header(6); !h.hasContent() || h.contentOff != metaOffLimit || h.contentLen != 0 {
		t.Fatalf("empty content far out: %+v", h)
	}
	mt.set(6, &recordHeader{contentOff: 1 << 60})
	if h := mt.header(6); h.hasContent() {
		t.Fatalf("no content: %+v", h)
	}
	if got := len(*mt.chunks.Load()); got != 4 {
		t.Fatalf("%d chunks for slot %d, want 4", got, far)
	}
}
