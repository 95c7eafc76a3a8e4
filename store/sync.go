package store

import (
	"errors"
	"time"
)

// Sync makes everything acknowledged before it durable: content first, then
// blocks; then it frees the slots whose replacement is now durable (see
// pendingFree). It returns only when all of that is on disk.
func (s *Store) Sync() error {
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	return s.sync()
}

func (s *Store) sync() (err error) {
	defer s.counters.observeSync(time.Now(), &err)
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	// Taken before the dirty bits are swapped: every slot in these lists was
	// superseded or marked free by a write already marked dirty, so the
	// flushes below cover it.
	superseded, removed := s.pending.take()
	done := false
	defer func() {
		if !done {
			s.pending.putBack(superseded, removed)
		}
	}()
	if !s.bugs.syncSkipsContent {
		for _, cf := range s.epochs.Load().files {
			if err := cf.mf.flush(); err != nil {
				return err
			}
		}
	}
	if err := s.blocks.flush(); err != nil {
		return err
	}
	if err := s.fp(fpSyncMid); err != nil {
		return err
	}
	// Removed slots' free markers are durable now: reusable.
	s.alloc.release(removed...)
	removed = nil
	if len(superseded) > 0 {
		for _, slot := range superseded {
			setState(s.slotBytes(uint64(slot)), stateFree)
			s.blocks.markDirty(slotOffset(uint64(slot)), sectorSize)
		}
		if err := s.blocks.flush(); err != nil {
			// The markers are written but not durable: they become
			// reusable after a later successful Sync.
			removed, superseded = superseded, nil
			return err
		}
		s.alloc.release(superseded...)
	}
	done = true
	return nil
}

func (s *Store) needsSync() bool {
	if s.blocks.anyDirty.Load() {
		return true
	}
	for _, cf := range s.epochs.Load().files {
		if cf.mf.anyDirty.Load() {
			return true
		}
	}
	return !s.pending.empty()
}

// groupCommit syncs every interval while there is something to sync. An
// injected panic (failpoint sync-mid) is logged and survived: the background
// goroutine has no caller to receive it.
func (s *Store) groupCommit(interval time.Duration) {
	defer close(s.stopped)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.needsSync() {
				if err := s.backgroundSync(); err != nil && !errors.Is(err, ErrClosed) {
					s.log.Warn("group commit sync failed", "error", err)
				}
			}
		}
	}
}

func (s *Store) backgroundSync() (err error) {
	defer recoverInjected(&err)
	return s.Sync()
}

func (s *Store) stopGroupCommit() {
	if s.stop == nil {
		return
	}
	s.stopOnce.Do(func() { close(s.stop) })
	<-s.stopped
}
