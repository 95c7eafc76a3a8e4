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
// epoch oldEpoch (as the scan table holds it, see slotmeta.go), found when
// its shard's version was version.
type move struct {
	id       string
	slot     uint32
	shard    uint8
	oldLen   uint32
	oldOff   uint64
	oldEpoch uint64
	newOff   uint64
	version  uint64
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
//  3. Sync: the copies are durable before any record is relocated to them.
//  4. In slot order, under the write lock of each record's shard, point
//     the in-memory content reference (slotmeta.go) of each moved record
//     that is still the current record of its id (see current) at its copy;
//     no header is rewritten (see relocateMoves). Readers hold the read lock
//     while resolving the reference and reading the content, so they see
//     the old or the new placement, never a mix.
//  5. Sync (whatever made a move not current, a Remove or a newer Put, is
//     durable now), write the relocation table of the moves made in step 4
//     (reloc.<epoch>.dat, created whole and durably: format.go), then drop
//     the old files from the epoch set and delete them and the older
//     tables.
//
// A failure before the table is durable leaves the old files in place and
// every durable header resolving to them; the next Compact moves their
// content too. Cost: compaction writes the live content once and a table of
// 24 bytes per moved memory; no blocks are written.
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
		mv := move{id: id, slot: slot, shard: sh, oldLen: h.contentLen, oldOff: h.contentOff, oldEpoch: h.contentEpoch, version: s.idx.shards[sh].version}
		return c.add(mv, src)
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
		// records are relocated (compact-mid widens the window).
		s.epochs.Store(&epochSet{files: s.epochs.Load().files, aliasOld: true})
	}
	if err := s.fp(fpCompactMid); err != nil {
		return CompactionStats{}, err
	}

	// Step 4: relocate.
	table := s.relocateMoves(moves, epoch)
	moved := uint64(len(table.entries))

	// Step 5.
	if err := s.sync(); err != nil {
		return CompactionStats{}, err
	}
	if err := s.writeRelocTable(table); err != nil {
		return CompactionStats{}, fmt.Errorf("store: compact: %w", err)
	}
	s.retire(cf)
	s.removeRelocTables(func(e uint64) bool { return e >= epoch })
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
	// written is the end of the bytes whose writeback was started
	// (startWriteback): the disk writes the copies while the scan goes on,
	// and step 3's Sync waits for less.
	written uint64
	err     error
}

// writebackEvery is how many copied bytes accumulate before their
// writeback is started.
const writebackEvery = 8 << 20

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
		// The online check learns the copies' ranges as it learns Puts':
		// after the relocation they are the moved memories' content.
		err := c.s.guardRange(c.cf, off, n)
		if err == nil {
			err = c.cf.mf.ensure(off + n)
		}
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
	if end := off + n; end >= c.written+writebackEvery {
		c.cf.mf.startWriteback(max(c.written, fileHeaderSize), end)
		c.written = end
	}
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

// relocateWindow is how many moves step 4 relocates under one set of locks.
const relocateWindow = 256

// relocateMoves is step 4 of Compact: it points the meta entry of every move
// that is still the current record of its id (see current) at its new offset
// in epoch, and returns the relocation table of those moves, in slot order.
// No header is written (format.go): the table, once durable, is what makes
// the moves survive a restart.
//
// Moves are taken in slot order, a window at a time, under the write locks
// of the window's shards: all at once when none is busy (TryLock: it never
// waits for one lock while holding another), else one shard at a time.
// Readers hold a read lock while resolving a content reference and reading
// its bytes, so they see the old or the new placement, never a mix.
func (s *Store) relocateMoves(moves []move, epoch uint64) *relocTable {
	slices.SortFunc(moves, func(a, b move) int { return cmp.Compare(a.slot, b.slot) })
	t := &relocTable{epoch: epoch, entries: make([]relocEntry, 0, len(moves))}
	for from := 0; from < len(moves); from += relocateWindow {
		win := moves[from:min(from+relocateWindow, len(moves))]
		var mask uint64
		for i := range win {
			mask |= uint64(1) << win[i].shard
		}
		if s.idx.lockAll(mask) {
			s.relocateShard(win, -1, t)
			s.idx.unlockAll(mask)
		} else {
			for m := mask; m != 0; m &= m - 1 {
				i := bits.TrailingZeros64(m)
				sh := &s.idx.shards[i]
				sh.mu.Lock()
				s.relocateShard(win, i, t)
				sh.mu.Unlock()
			}
		}
		if s.bugs.compactionSwapWindow {
			s.yield("compaction-swap-window window")
		}
	}
	// The per-shard path appends a window's entries shard by shard.
	slices.SortFunc(t.entries, func(a, b relocEntry) int { return cmp.Compare(a.slot, b.slot) })
	return t
}

// relocateShard relocates the current moves of win that belong to shard
// (every shard if shard < 0) and appends their entries to t. Caller holds
// the write lock of each of those shards.
func (s *Store) relocateShard(win []move, shard int, t *relocTable) {
	for k := range win {
		mv := &win[k]
		if (shard >= 0 && int(mv.shard) != shard) || !s.current(mv) {
			continue
		}
		s.meta.setContentRef(uint64(mv.slot), mv.newOff, t.epoch)
		t.entries = append(t.entries, relocEntry{slot: mv.slot, contentLen: mv.oldLen, seq: s.meta.seq(uint64(mv.slot)), off: mv.newOff})
	}
}

// current reports whether mv is still the current record of its id: id is
// still published in the same slot and that record still has content at
// the old reference. Caller holds mv's shard lock.
//
// If the shard's version is still the one the scan saw, no id of the shard
// was added, removed or moved since (index.go), and only compaction changes
// a content reference: mv is current without a lookup (the common case, and
// a map lookup per memory is most of step 4's cost). Otherwise this identifies the copied record without reading its header (a page
// per memory): a record of id that took the slot over after the copied one
// left it was published after step 1 (the copied one was in the slot during
// step 2, and a slot is reused only after a Sync frees it), so it has
// content in the new epoch or none, and differs. Only compaction changes
// a content reference, and one compaction runs at a time.
func (s *Store) current(mv *move) bool {
	if s.idx.shards[mv.shard].version == mv.version {
		return true
	}
	cur, ok := s.idx.shards[mv.shard].m[mv.id]
	if !ok || cur != mv.slot {
		return false
	}
	h := s.meta.header(uint64(mv.slot))
	return h.hasContent() && h.contentOff == mv.oldOff && h.contentEpoch == mv.oldEpoch && h.contentLen == mv.oldLen
}
