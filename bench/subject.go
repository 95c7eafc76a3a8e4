package bench

import (
	"fmt"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// subject is what a profile drives: the store or the raw baseline. Both get
// exactly the same calls, so their figures are comparable as ratios.
type subject interface {
	Name() string
	Put(id string, m store.Memory) error
	// Get returns the memory; found is false when it is missing.
	Get(id string) (m store.Memory, found bool, err error)
	Remove(id string) (found bool, err error)
	Iterate(fn func(id string, m store.Memory) bool) error
	// IterateView is Iterate without copies: m's slices are views valid
	// during the call only, and fn must not call the subject.
	IterateView(fn func(id string, m store.Memory) bool) error
	Compact() (compaction, error)
	Space() space
	Close() error
}

// opener opens (or reopens) a subject in dir.
type opener func(dir string) (subject, error)

// compaction is what one Compact did.
type compaction struct {
	Duration       time.Duration
	BytesReclaimed uint64
	Moved          uint64
}

// space is the content accounting used for fragmentation.
type space struct {
	ContentBytesTotal uint64
	ContentBytesLive  uint64
	Fragmentation     float64
	FileBytes         uint64
}

// storeSubject adapts *store.Store.
type storeSubject struct{ s *store.Store }

// openStore opens the real store with its defaults (group commit, no bugs)
// and tells opened (when set) about it.
func openStore(dir string, opened func(*store.Store)) (subject, error) {
	s, err := store.Open(dir, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("bench: open store in %s: %w", dir, err)
	}
	if opened != nil {
		opened(s)
	}
	return storeSubject{s}, nil
}

func (storeSubject) Name() string { return "store" }

func (a storeSubject) Put(id string, m store.Memory) error {
	_, err := a.s.Put(id, m)
	return err
}

func (a storeSubject) Get(id string) (store.Memory, bool, error) {
	m, l, err := a.s.Get(id)
	return m, l == store.Found, err
}

func (a storeSubject) Remove(id string) (bool, error) {
	l, err := a.s.Remove(id)
	return l == store.Found, err
}

func (a storeSubject) Iterate(fn func(string, store.Memory) bool) error { return a.s.Iterate(fn) }

func (a storeSubject) IterateView(fn func(string, store.Memory) bool) error {
	return a.s.IterateView(fn)
}

func (a storeSubject) Compact() (compaction, error) {
	start := time.Now()
	cs, err := a.s.Compact()
	return compaction{Duration: time.Since(start), BytesReclaimed: cs.BytesReclaimed, Moved: cs.Moved}, err
}

func (a storeSubject) Space() space {
	st := a.s.Stats()
	return space{ContentBytesTotal: st.ContentBytesTotal, ContentBytesLive: st.ContentBytesLive,
		Fragmentation: st.Fragmentation, FileBytes: st.FileBytes}
}

func (a storeSubject) Close() error { return a.s.Close() }
