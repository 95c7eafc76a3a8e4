package store

import (
	"fmt"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// contentFile is one compaction epoch's append-only content region.
// Invariants: bytes [fileHeaderSize, tail) have been reserved by appends and
// are never rewritten; inflight counts Puts that may still write into this
// file or publish a record pointing at it (see acquireEpoch).
type contentFile struct {
	mf       *mappedFile
	epoch    uint64
	tail     atomic.Uint64
	inflight atomic.Int64
}

func contentFileName(dir string, epoch uint64) string {
	return filepath.Join(dir, "content."+strconv.FormatUint(epoch, 10)+".dat")
}

// parseContentFileName returns the epoch of a "content.<epoch>.dat" name.
func parseContentFileName(name string) (uint64, bool) {
	if !strings.HasPrefix(name, "content.") || !strings.HasSuffix(name, ".dat") {
		return 0, false
	}
	e, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, "content."), ".dat"), 10, 64)
	return e, err == nil
}

// epochSet is an immutable set of open content files, oldest first; the last
// one is the append target. Replaced wholesale through Store.epochs.
type epochSet struct {
	files []*contentFile
	// aliasOld is set only by the compaction-swap-window seeded bug: every
	// older epoch then resolves to the current file.
	aliasOld bool
}

func (es *epochSet) current() *contentFile { return es.files[len(es.files)-1] }

func (es *epochSet) lookup(epoch uint64) *contentFile {
	cur := es.current()
	if cur.epoch == epoch {
		return cur
	}
	if es.aliasOld {
		return cur
	}
	for _, cf := range es.files[:len(es.files)-1] {
		if cf.epoch == epoch {
			return cf
		}
	}
	return nil
}

func (es *epochSet) totalBytes() uint64 {
	var t uint64
	for _, cf := range es.files {
		t += cf.tail.Load() - fileHeaderSize
	}
	return t
}

// acquireEpoch registers a Put with the current content file. Compaction
// switches the current file and then waits for the old file's inflight count
// to reach zero, so once it proceeds every Put that could append to or point
// at the old file has published (or failed).
func (s *Store) acquireEpoch() *contentFile {
	for {
		cf := s.epochs.Load().current()
		cf.inflight.Add(1)
		if s.epochs.Load().current() == cf {
			return cf
		}
		cf.inflight.Add(-1)
	}
}

// appendContent appends b to cf and returns its absolute offset.
func (s *Store) appendContent(cf *contentFile, b []byte) (uint64, error) {
	n := uint64(len(b))
	if n == 0 {
		return cf.tail.Load(), nil
	}
	var off uint64
	if s.bugs.contentOffsetRace {
		// Seeded bug: the offset is read outside any reservation, so two
		// concurrent appends can get the same offset.
		off = cf.tail.Load()
		s.yield("content-offset-race window")
	} else {
		var err error
		if off, err = cf.reserve(n); err != nil {
			return 0, err
		}
	}
	if off+n < off {
		return 0, fmt.Errorf("%w: content offset overflow", ErrTooLarge)
	}
	if err := s.guardRange(cf, off, n); err != nil {
		return 0, err
	}
	if err := cf.mf.ensure(off + n); err != nil {
		if !s.bugs.contentOffsetRace {
			cf.unreserve(off, n)
		}
		return 0, err
	}
	s.point("put: copy content")
	copy(cf.mf.data[off:off+n], b)
	cf.mf.markDirty(off, n)
	if s.bugs.contentOffsetRace {
		cf.tail.Add(n)
	}
	return off, nil
}

// reserve takes n bytes at the tail of cf and returns their offset. The
// tail never passes the file's limit (its address reservation): an offset
// can neither wrap around nor point where the file can never grow to.
func (cf *contentFile) reserve(n uint64) (uint64, error) {
	limit := cf.mf.limit()
	for {
		t := cf.tail.Load()
		if t > limit || n > limit-t {
			return 0, fmt.Errorf("%w: %s: %d bytes at offset %d pass its %d-byte address reservation (Compact starts a new content file)", ErrGrowFailed, cf.mf.path, n, t, limit)
		}
		if cf.tail.CompareAndSwap(t, t+n) {
			return t, nil
		}
	}
}

// unreserve gives back the unused range [off, off+n) if no append took
// bytes after it; otherwise it stays a gap, which nothing refers to.
func (cf *contentFile) unreserve(off, n uint64) { cf.tail.CompareAndSwap(off+n, off) }

// contentBytes returns the bytes of a record's content, bounds-checked against
// the file so that a bad offset is an error, never a fault.
func contentBytes(es *epochSet, h *recordHeader) ([]byte, error) {
	cf := es.lookup(h.contentEpoch)
	if cf == nil {
		return nil, fmt.Errorf("%w: content epoch %d is gone", ErrCorrupt, h.contentEpoch)
	}
	if h.contentLen == 0 {
		// Zero bytes need no backing: an empty content's offset is only its
		// place in the append order, and may lie past the end of the file
		// when a failed growth left the tail beyond it.
		if h.contentOff < fileHeaderSize {
			return nil, fmt.Errorf("%w: content offset %d inside the header of content.%d.dat", ErrCorrupt, h.contentOff, cf.epoch)
		}
		return []byte{}, nil
	}
	end := h.contentOff + uint64(h.contentLen)
	if h.contentOff < fileHeaderSize || end < h.contentOff || end > cf.mf.size.Load() {
		return nil, fmt.Errorf("%w: content [%d,%d) outside content.%d.dat", ErrCorrupt, h.contentOff, end, cf.epoch)
	}
	return cf.mf.data[h.contentOff:end], nil
}

// waitDrained waits until no Put is registered with cf.
func waitDrained(cf *contentFile) {
	for i := 0; cf.inflight.Load() != 0; i++ {
		if i < 100 {
			runtime.Gosched()
		} else {
			time.Sleep(50 * time.Microsecond)
		}
	}
}
