package store

import (
	"time"

	"github.com/hashicorp/go-hclog"
)

// Store is an open warm-tier store. All methods are safe for concurrent use.
//
// TEMPORARY: the method set below is the agreed API; the implementation is
// being written (issue 2). Every method returns ErrNotImplemented until then.
type Store struct{}

// ErrNotImplemented is returned by the API skeleton; it disappears with the implementation.
var ErrNotImplemented = errorString("store: not implemented yet")

type errorString string

func (e errorString) Error() string { return string(e) }

// Open creates the store in dir, or reopens and recovers the one there.
func Open(dir string, opts Options) (*Store, error) { return nil, ErrNotImplemented }

func (s *Store) Put(id string, m Memory) (Placement, error) { return Placement{}, ErrNotImplemented }
func (s *Store) Get(id string) (Memory, Lookup, error)      { return Memory{}, Missing, ErrNotImplemented }
func (s *Store) Remove(id string) (Lookup, error)           { return Missing, ErrNotImplemented }
func (s *Store) UpdateActivation(id string, v float32) (Lookup, error) {
	return Missing, ErrNotImplemented
}
func (s *Store) Recall(threshold float32) ([]RecallHit, error)   { return nil, ErrNotImplemented }
func (s *Store) Iterate(fn func(id string, m Memory) bool) error { return ErrNotImplemented }
func (s *Store) Compact() (CompactionStats, error)               { return CompactionStats{}, ErrNotImplemented }
func (s *Store) Sync() error                                     { return ErrNotImplemented }
func (s *Store) Stats() Stats                                    { return Stats{} }
func (s *Store) Layout() ([]LayoutEntry, error)                  { return nil, ErrNotImplemented }
func (s *Store) Close() error                                    { return ErrNotImplemented }

// Options configure Open. The zero value is valid: group commit every
// DefaultGroupCommit, no seeded bug, no failpoints armed.
type Options struct {
	// GroupCommit is the longest an acknowledged write waits before a
	// background Sync covers it. Zero means DefaultGroupCommit; a negative
	// value disables background syncing (only explicit Sync calls persist).
	GroupCommit time.Duration
	// SyncEveryOp makes every mutating call Sync before it returns.
	SyncEveryOp bool
	// Bugs switches on seeded bugs from the catalogue (see Bugs()).
	Bugs []Bug
	// Failpoints, when non-nil, is consulted at every named failpoint.
	Failpoints *Failpoints
	// DurableImage keeps, beside each data file, a ".disk" copy of exactly
	// what successful Syncs made durable, so that a power-loss nemesis can
	// rebuild what a disk would hold after a power cut.
	DurableImage bool
	// Logger receives recovery and compaction notes; nil discards them.
	Logger hclog.Logger
}

// DefaultGroupCommit is the default group-commit interval.
const DefaultGroupCommit = 5 * time.Millisecond
