package warmtest

import (
	"fmt"
	"slices"

	"github.com/warmcheck/warmcheck/store"
)

// Failpointer is the optional capability of a store with failpoints: places
// in its code, named after warmcheck's (FailpointCatalogue), where the
// faults panic, sleep and grow-failure act. Without it those faults are
// refused.
type Failpointer interface {
	Failpoints() *Failpoints
}

// Failpoints are the failpoints a store placed in its code. A store calls
// Hit(name) at each; disarmed, Hit costs an atomic load and returns nil.
// Safe for concurrent use.
type Failpoints struct {
	set   *store.Failpoints
	names []store.FailpointName
}

// FailpointInfo describes one of warmcheck's failpoints: a store that places
// it must place it where every call of the ReachedBy operations passes it
// (faults are aimed by this list; one placed elsewhere may never fire, and
// the run is then unknown).
type FailpointInfo struct {
	Name        string
	Description string   // where the built-in store has it
	ReachedBy   []string // operations (put, get, remove, update-activation, compact, sync) that pass it
}

// FailpointCatalogue lists the failpoint names a store may place.
func FailpointCatalogue() []FailpointInfo {
	var out []FailpointInfo
	for _, fi := range store.AllFailpoints() {
		if fi.Name == store.FailRecovery { // reached only by the built-in store's Open
			continue
		}
		out = append(out, FailpointInfo{Name: string(fi.Name), Description: fi.Description, ReachedBy: fi.ReachedBy})
	}
	return out
}

// NewFailpoints returns the named failpoints, disarmed; each name must be
// in FailpointCatalogue.
func NewFailpoints(names ...string) (*Failpoints, error) {
	f := &Failpoints{set: store.NewFailpoints()}
	for _, n := range names {
		if !slices.ContainsFunc(FailpointCatalogue(), func(fi FailpointInfo) bool { return fi.Name == n }) {
			return nil, fmt.Errorf("%w: failpoint %q is not in warmcheck's catalogue", ErrConfig, n)
		}
		if !slices.Contains(f.names, store.FailpointName(n)) {
			f.names = append(f.names, store.FailpointName(n))
		}
	}
	return f, nil
}

// Hit is the store reaching failpoint name. When a fault has armed it,
// Hit panics (the panic fault: the store must stay usable, its locks
// released by defers), sleeps (the sleep fault: a wider race window), or
// returns an error (grow-failure at "grow": the growth fails as on a full
// disk, and the store must return it without changing anything). It
// returns nil when name is disarmed or was not given to NewFailpoints.
func (f *Failpoints) Hit(name string) error {
	if !slices.Contains(f.names, store.FailpointName(name)) {
		return nil
	}
	return f.set.Hit(store.FailpointName(name))
}
