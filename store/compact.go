package store

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"time"
)

// move is one live memory whose content compaction copied to the new epoch:
// the record of id in slot whose content reference was (oldOff, oldLen) in
// epoch oldEpoch (as the scan table holds it, see slotmeta.go).
type move struct {
	id       string
	slot     uint32
	shard    uint8
	oldLen   uint32
	oldOff   uint64
	oldEpoch uint64
	newOff   uint64
}

// Compact copies every live memory's content into a new content epoch and
// deletes the old content files, concurrently with every other operation.
//
// Steps and why they are safe:
//  1. Install the new epoch as the append target, then wait until every Put
//     registered with an old epoch has published or failed (acquireEpoch):
//     from then on only old records that are already in the index point at
//     old files.
//  2. In slot order, under the read lock of each record's shard (a scan:
//     see scanBatches), copy each live record's content into the new file
//     (old content bytes are immutable).
//  3. Sync: the copies are durable before any header points at them.
//  4. In slot order, under the write lock of each record's shard, rewrite
//     the header (offset, epoch, CRC) of each moved record that is still the
//     current record of its id (see current). One sector: atomic on disk
//     (see rewriteMoves).
//     Readers hold the read lock while reading header and content, so they
//     see the old or the new placement, never a mix.
//  5. Sync, then drop the old files from the epoch set and delete them.
//
// A failure before step 4 leaves the old files in place; the next Compact
// moves their content too. Cost: step 4 rewrites the header sector of every
// live memory with content (one pwrite per run of slots, see rewriteMoves), so the
// Sync of step 5 writes back most of blocks.dat (about 4 KiB per memory):
// compaction is I/O bound on the blocks file.
func (s *Store) Compact() (CompactionStats, error) {
	if err := s.begin(); err != nil {
		return CompactionStats{}, err
	}
	defer s.end()
	if !s.compacting.CompareAndSwap(false, true) {
		return CompactionStats{}, ErrCompactionInProgress
	}
	defer s.compacting.Store(false)
	st, err := s.compactTimed()
	if err == nil {
		s.noteFragmentation(false)
	}
	return st, err
}

func (s *Store) compact() (CompactionStats, error) {
	start := time.Now()
	old := s.epochs.Load()
	epoch := old.current().epoch + 1
	if err := s.createContentFile(epoch); err != nil {
		return CompactionStats{}, err
	}
	mf, _, err := s.mapFile(contentFileName(s.dir, epoch), fileKindContent)
	if err != nil {
		return CompactionStats{}, err
	}
	s.bindFile(mf)
	cf := &contentFile{mf: mf, epoch: epoch}
	cf.tail.Store(fileHeaderSize)
	s.epochs.Store(&epochSet{files: append(append([]*contentFile(nil), old.files...), cf)})

	if err := s.fp(fpCompactStart); err != nil {
		return CompactionStats{}, err
	}
	if !s.bugs.compactionLostStore {
		for _, f := range old.files {
			s.waitDrained(f)
		}
	}
	bytesBefore := old.totalBytes()

	// Step 2: copy, in slot order (the scan reads blocks.dat front to back,
	// and content written in slot order is read back in that order too).
	// The content of each scan batch is written to the new file with one
	// pwrite into one reserved range (see copyBatch), not through the map:
	// a store through the map takes a page fault per new page, and again
	// after every group commit wrote the page back.
	c := copier{s: s, cf: cf, moves: make([]move, 0, max(s.live.Load(), 0))}
	err = s.scanHeld(func(id string, sh uint8, slot uint32, _ []byte, h *recordHeader, src []byte) error {
		if !h.hasContent() || h.contentEpoch == epoch {
			return nil
		}
		return c.add(move{id: id, slot: slot, shard: sh, oldLen: h.contentLen, oldOff: h.contentOff, oldEpoch: h.contentEpoch}, src)
	}, c.flush)
	if err == nil {
		err = c.err
	}
	if err != nil {
		return CompactionStats{}, fmt.Errorf("store: compact: %w", err)
	}
	moves, movedBytes := c.moves, c.bytes

	// Step 3.
	if err := s.sync(); err != nil {
		return CompactionStats{}, err
	}
	if s.bugs.compactionSwapWindow {
		// Seeded bug: readers resolve old epochs to the new file before the
		// offsets are rewritten (compact-mid widens the window).
		s.epochs.Store(&epochSet{files: s.epochs.Load().files, aliasOld: true})
	}
	if err := s.fp(fpCompactMid); err != nil {
		return CompactionStats{}, err
	}

	// Step 4: rewrite headers.
	moved, err := s.rewriteMoves(moves, epoch)
	if err != nil {
		return CompactionStats{}, err
	}

	// Step 5.
	if err := s.sync(); err != nil {
		return CompactionStats{}, err
	}
	s.retire(cf)
	reclaimed := bytesBefore - min(movedBytes, bytesBefore)
	s.compactions.Add(1)
	s.bytesReclaimed.Add(reclaimed)
	st := CompactionStats{
		Epoch:          epoch,
		BytesBefore:    bytesBefore,
		BytesAfter:     cf.tail.Load() - fileHeaderSize,
		BytesReclaimed: reclaimed,
		Moved:          moved,
		Duration:       time.Since(start),
	}
	s.log.Debug("compacted", "epoch", epoch, "moved", moved, "reclaimed", reclaimed)
	return st, nil
}

// copyBatchMax is the largest content compaction gathers into a batch;
// larger ones are appended on their own.
const copyBatchMax = 64 << 10

// copier is step 2 of Compact: it copies the content of the moves the scan
// hands it into cf, a scan batch at a time. add collects a batch (the
// source bytes are immutable and stay mapped until this compaction retires
// their file, so they may be copied after the batch's locks are released);
// flush reserves one range of cf for the whole batch, assembles the batch
// in buf and writes it with one pwrite. The bytes reserved are exactly the
// bytes referenced, so a compaction leaves no gap.
type copier struct {
	s     *Store
	cf    *contentFile
	moves []move   // done, newOff set
	batch []move   // pending; newOff set by flush
	srcs  [][]byte // content of batch
	buf   []byte
	bytes uint64 // content bytes copied
	err   error
}

func (c *copier) add(mv move, src []byte) error {
	if len(src) > copyBatchMax || c.s.bugs.contentOffsetRace {
		// Large content, or the seeded content-offset-race bug, whose
		// racy reservation lives in appendContent.
		off, err := c.s.appendContent(c.cf, src)
		if err != nil {
			return err
		}
		mv.newOff = off
		c.moves = append(c.moves, mv)
		c.bytes += uint64(len(src))
		return nil
	}
	c.batch = append(c.batch, mv)
	c.srcs = append(c.srcs, src)
	return nil
}

// flush writes the pending batch; false (with c.err set) ends the scan.
func (c *copier) flush() bool {
	if len(c.batch) == 0 {
		return true
	}
	var n uint64
	for _, b := range c.srcs {
		n += uint64(len(b))
	}
	off, err := c.cf.reserve(n)
	if err != nil {
		c.err = err
		return false
	}
	c.buf = c.buf[:0]
	for i, b := range c.srcs {
		c.batch[i].newOff = off + uint64(len(c.buf))
		c.buf = append(c.buf, b...)
	}
	if n > 0 {
		err := c.cf.mf.ensure(off + n)
		if err == nil {
			err = c.cf.mf.writeAt(c.buf, off)
		}
		if err != nil {
			c.cf.unreserve(off, n)
			c.err = err
			return false
		}
	}
	c.moves = append(c.moves, c.batch...)
	c.bytes += n
	clear(c.srcs)
	c.batch, c.srcs = c.batch[:0], c.srcs[:0]
	return true
}

// retire makes cf the only content file and deletes the others. Under syncMu
// so that no Sync is flushing a file being unmapped.
func (s *Store) retire(cf *contentFile) {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	old := s.epochs.Load()
	s.epochs.Store(&epochSet{files: []*contentFile{cf}, aliasOld: s.bugs.compactionLostStore})
	for _, f := range old.files {
		if f == cf {
			continue
		}
		if s.bugs.compactionLostStore {
			// Late Puts may still write into it: unlink, keep it mapped.
			s.retired = append(s.retired, f)
			if err := removeFiles(f.mf.path); err != nil {
				s.log.Warn("cannot delete content file", "path", f.mf.path, "error", err)
			}
			continue
		}
		if err := f.mf.remove(); err != nil {
			s.log.Warn("cannot delete content file", "path", f.mf.path, "error", err)
		}
	}
}

// rewriteWindow is how many moves step 4 rewrites under one set of locks.
const rewriteWindow = 256

// rewriteMoves is step 4 of Compact: it points every move that is still the
// current record of its id (see current) at its new offset in epoch, and
// returns how many it rewrote.
//
// Moves are taken in slot order, a window at a time. The fast path takes the
// write locks of every shard in the window at once (TryLock: it never waits
// for one lock while holding another) and writes each run of consecutive
// slots that are all current moves with one pwrite: the run's bytes are
// copied from the mapping, their header sectors patched, and written back.
// The embedding sectors in between are rewritten with the same bytes: the
// embedding of a published record never changes, and every other in-place
// write of a published slot (Remove, UpdateActivation, another compaction)
// holds its shard's write lock, which this path holds for every slot of the
// run. If a lock is busy, the window falls back to one shard at a time and
// one pwrite per header sector (rewriteContentRef).
func (s *Store) rewriteMoves(moves []move, epoch uint64) (uint64, error) {
	slices.SortFunc(moves, func(a, b move) int { return cmp.Compare(a.slot, b.slot) })
	var moved uint64
	var buf []byte
	var sector [sectorSize]byte
	for from := 0; from < len(moves); from += rewriteWindow {
		win := moves[from:min(from+rewriteWindow, len(moves))]
		var mask uint64
		for i := range win {
			mask |= uint64(1) << win[i].shard
		}
		var n uint64
		var err error
		if s.idx.lockAll(mask) {
			n, err = s.rewriteRuns(win, epoch, &buf)
			s.idx.unlockAll(mask)
		} else {
			n, err = s.rewriteByShard(win, mask, epoch, &sector)
		}
		moved += n
		if err != nil {
			return moved, err
		}
		if s.bugs.compactionSwapWindow {
			s.yield("compaction-swap-window window")
		}
	}
	return moved, nil
}

// current reports whether mv is still the current record of its id: id is
// still published in the same slot and that record still has content at
// the old reference. Caller holds mv's shard lock.
//
// This identifies the copied record without reading its header (a page
// per memory): a record of id that took the slot over after the copied one
// left it was published after step 1 (the copied one was in the slot during
// step 2, and a slot is reused only after a Sync frees it), so it has
// content in the new epoch or none, and differs. Only compaction rewrites
// a content reference, and one compaction runs at a time.
func (s *Store) current(mv *move) bool {
	cur, ok := s.idx.shards[mv.shard].m[mv.id]
	if !ok || cur != mv.slot {
		return false
	}
	h := s.meta.header(uint64(mv.slot))
	return h.hasContent() && h.contentOff == mv.oldOff && h.contentEpoch == mv.oldEpoch && h.contentLen == mv.oldLen
}

// rewriteRuns rewrites the current moves of win (sorted by slot), one pwrite
// per run of consecutive slots. Caller holds the write lock of every shard
// in win.
func (s *Store) rewriteRuns(win []move, epoch uint64, buf *[]byte) (uint64, error) {
	var moved uint64
	for i := 0; i < len(win); {
		if !s.current(&win[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(win) && win[j].slot == win[j-1].slot+1 && s.current(&win[j]) {
			j++
		}
		start := slotOffset(uint64(win[i].slot))
		end := slotOffset(uint64(win[j-1].slot)) + sectorSize
		*buf = append((*buf)[:0], s.blocks.data[start:end]...)
		for k := i; k < j; k++ {
			h := (*buf)[slotOffset(uint64(win[k].slot))-start:]
			le.PutUint64(h[rhContentOff:], win[k].newOff)
			le.PutUint64(h[rhContentEpoch:], epoch)
			sealHeader(h)
		}
		s.beginInPlace()
		err := s.blocks.pwrite(*buf, start)
		s.endInPlace()
		if err != nil {
			return moved, fmt.Errorf("store: compact: rewrite headers of slots %d..%d: %w", win[i].slot, win[j-1].slot, err)
		}
		for k := i; k < j; k++ {
			s.meta.setContentRef(uint64(win[k].slot), win[k].newOff, epoch)
		}
		s.blocks.markDirty(start, end-start)
		moved += uint64(j - i)
		i = j
	}
	return moved, nil
}

// rewriteByShard rewrites the current moves of win one shard at a time, one
// header sector each.
func (s *Store) rewriteByShard(win []move, mask uint64, epoch uint64, sector *[sectorSize]byte) (uint64, error) {
	var moved uint64
	for m := mask; m != 0; m &= m - 1 {
		i := uint8(bits.TrailingZeros64(m))
		sh := &s.idx.shards[i]
		err := func() error {
			sh.mu.Lock()
			defer sh.mu.Unlock()
			for k := range win {
				mv := &win[k]
				if mv.shard != i || !s.current(mv) {
					continue
				}
				if err := s.rewriteContentRef(mv.slot, s.slotBytes(uint64(mv.slot)), mv.newOff, epoch, sector); err != nil {
					return err
				}
				moved++
			}
			return nil
		}()
		if err != nil {
			return moved, err
		}
	}
	return moved, nil
}

// rewriteContentRef points the header of slot (bytes b) at newOff in epoch.
// The new header sector is built aside and written with one pwrite of the
// whole sector: the page cache is shared with the mapping, so readers (who
// hold the shard read lock, excluded by the caller's write lock) see it at
// once, and it avoids a write fault on the mapping per record (the page was
// write-protected by the last msync; on ext4 each such fault costs tens of
// microseconds). Caller holds the shard write lock.
func (s *Store) rewriteContentRef(slot uint32, b []byte, newOff, epoch uint64, sector *[sectorSize]byte) error {
	copy(sector[:], b[:sectorSize])
	le.PutUint64(sector[rhContentOff:], newOff)
	le.PutUint64(sector[rhContentEpoch:], epoch)
	sealHeader(sector[:])
	off := slotOffset(uint64(slot))
	s.beginInPlace()
	err := s.blocks.pwrite(sector[:], off)
	s.endInPlace()
	if err != nil {
		return fmt.Errorf("store: compact: rewrite header of slot %d: %w", slot, err)
	}
	s.meta.setContentRef(uint64(slot), newOff, epoch)
	s.blocks.markDirty(off, sectorSize)
	return nil
}
