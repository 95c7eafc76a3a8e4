package store

import (
	"fmt"
	"slices"
)

// recover rebuilds the in-memory state from the files: for every id the live
// record with the highest sequence number whose header, embedding and content
// checksums all hold (its content found through the relocation tables, see
// format.go) wins; every other live record is freed (and a checked
// record that failed and would have won is counted in TornDiscarded). Before
// any free marker is written the whole file is msynced, so the winners are
// durable first; the markers are msynced before Open returns, so every slot
// on the free list is durably free.
func (s *Store) recover() error {
	tables, err := readRelocTables(s.dir)
	if err != nil {
		return err
	}
	reloc := newRelocator(tables)
	size := s.blocks.size.Load()
	var nslots uint64
	if size > fileHeaderSize {
		nslots = (size - fileHeaderSize) / slotSize
	}
	es := s.epochs.Load()
	trust := s.bugs.recoveryTrustsTorn

	type cand struct {
		slot uint32
		seq  uint64
	}
	type rejected struct {
		id  string
		seq uint64
	}
	winners := make(map[string]cand)
	var (
		rejects   []rejected
		losers    []uint32
		free      []uint32
		torn      uint64
		maxSeq    = reloc.maxSeq()
		highWater uint64 // one past the highest slot ever written
		tails     = make(map[uint64]uint64)
	)
	for slot := uint64(0); slot < nslots; slot++ {
		b := s.slotBytes(slot)
		st := getState(b)
		if st == 0 && le.Uint64(b[rhSeq:]) == 0 && le.Uint32(b[rhCRC:]) == 0 {
			free = append(free, uint32(slot))
			continue
		}
		highWater = slot + 1
		if st != stateLive {
			free = append(free, uint32(slot))
			continue
		}
		if !trust && !headerValid(b) {
			torn++
			losers = append(losers, uint32(slot))
			continue
		}
		h := decodeHeader(b)
		reloc.resolve(uint32(slot), &h)
		id := string(headerID(b))
		maxSeq = max(maxSeq, h.seq)
		if h.hasContent() {
			if end := h.contentOff + uint64(h.contentLen); end >= h.contentOff {
				tails[h.contentEpoch] = max(tails[h.contentEpoch], end)
			}
		}
		if len(id) == 0 || (!trust && !recordValid(b, &h, es)) {
			rejects = append(rejects, rejected{id, h.seq})
			losers = append(losers, uint32(slot))
			continue
		}
		c := cand{uint32(slot), h.seq}
		if w, ok := winners[id]; ok {
			if h.seq > w.seq {
				losers = append(losers, w.slot)
				winners[id] = c
			} else {
				losers = append(losers, uint32(slot))
			}
			continue
		}
		winners[id] = c
	}
	for _, r := range rejects {
		if w, ok := winners[r.id]; !ok || r.seq > w.seq {
			torn++
		}
	}
	if err := s.fp(fpRecovery); err != nil {
		return fmt.Errorf("store: recovery: %w", err)
	}

	// Content tails: past every byte any checked header refers to, within
	// the file.
	for _, cf := range es.files {
		t := max(uint64(fileHeaderSize), tails[cf.epoch])
		t = min(t, max(cf.mf.size.Load(), fileHeaderSize))
		cf.tail.Store(t)
	}

	// Make what the winners hold durable before freeing anything.
	for _, cf := range es.files {
		if err := cf.mf.syncAll(cf.tail.Load()); err != nil {
			return err
		}
	}
	if err := s.blocks.syncAll(slotOffset(highWater)); err != nil {
		return err
	}
	if len(losers) > 0 {
		for _, slot := range losers {
			setState(s.slotBytes(uint64(slot)), stateFree)
		}
		if err := s.blocks.syncAll(slotOffset(highWater)); err != nil {
			return err
		}
	}

	// Free list: below the high-water mark only; slots above it are handed
	// out in order by nextSlot.
	s.alloc.nextSlot.Store(highWater)
	free = slices.DeleteFunc(free, func(x uint32) bool { return uint64(x) >= highWater })
	free = append(free, losers...)
	slices.Sort(free)
	slices.Reverse(free) // lowest slots are reused first
	s.alloc.free = free
	s.alloc.freeCount.Store(int64(len(free)))

	referenced := make(map[uint64]bool)
	var live, liveBytes int64
	for id, w := range winners {
		s.idx.shardOf(id).m[id] = w.slot
		h := decodeHeader(s.slotBytes(uint64(w.slot)))
		reloc.find(w.slot, &h)
		s.meta.set(uint64(w.slot), &h)
		live++
		if h.hasContent() {
			liveBytes += int64(h.contentLen)
			referenced[h.contentEpoch] = true
		}
	}
	s.live.Store(live)
	s.liveBytes.Store(liveBytes)
	s.seq.Store(maxSeq)
	s.tornDiscarded = torn

	// Older content epochs nothing refers to any more (a compaction that
	// finished, or crashed before rewriting anything) are deleted.
	keep := &epochSet{}
	cur := es.current()
	for _, cf := range es.files {
		if cf == cur || referenced[cf.epoch] {
			keep.files = append(keep.files, cf)
			continue
		}
		if err := cf.mf.remove(); err != nil {
			s.log.Warn("cannot delete unreferenced content file", "path", cf.mf.path, "error", err)
		}
	}
	s.epochs.Store(keep)
	s.removeRelocTables(func(epoch uint64) bool { return keep.lookup(epoch) != nil })
	if torn > 0 {
		s.log.Info("recovery discarded torn records", "count", torn)
	}
	s.log.Debug("recovered", "live", live, "slots", highWater, "epoch", cur.epoch)
	return nil
}

// recordValid checks the embedding and content checksums of a record whose
// header checksum already holds.
func recordValid(b []byte, h *recordHeader, es *epochSet) bool {
	if crc(b[sectorSize:sectorSize+embeddingBytes]) != h.embeddingCRC {
		return false
	}
	if !h.hasContent() {
		return h.contentLen == 0
	}
	c, err := contentBytes(es, h)
	return err == nil && crc(c) == h.contentCRC
}
