package store

// Stats reports the store's own accounting at this moment. SlotsInUse counts
// every slot not on the free list: live records plus superseded or removed
// ones waiting for the Sync that frees them (after a quiet Sync it equals
// Live).
func (s *Store) Stats() Stats {
	s.closeMu.RLock()
	defer s.closeMu.RUnlock()
	es := s.epochs.Load()
	st := Stats{
		Live:             uint64(max(s.live.Load(), 0)),
		SlotsInUse:       s.alloc.inUse(),
		ContentBytesLive: uint64(max(s.liveBytes.Load(), 0)),
		Compactions:      s.compactions.Load(),
		BytesReclaimed:   s.bytesReclaimed.Load(),
		TornDiscarded:    s.tornDiscarded,
	}
	if s.blocks != nil {
		size := s.blocks.size.Load()
		st.FileBytes = size
		if size > fileHeaderSize {
			st.SlotsTotal = (size - fileHeaderSize) / slotSize
		}
	}
	if es != nil {
		st.ContentBytesTotal = es.totalBytes()
		st.Epoch = es.current().epoch
		for _, cf := range es.files {
			st.FileBytes += cf.mf.size.Load()
		}
	}
	if st.ContentBytesTotal > 0 {
		live := min(st.ContentBytesLive, st.ContentBytesTotal)
		st.Fragmentation = float64(st.ContentBytesTotal-live) / float64(st.ContentBytesTotal)
	}
	return st
}
