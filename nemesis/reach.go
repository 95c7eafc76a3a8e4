package nemesis

import (
	"slices"
	"strings"

	"github.com/warmcheck/warmcheck/store"
)

// Reach is the set of failpoints the load passes while faults fire. Faults
// that act at a failpoint (panic, sleep, grow-failure) are aimed only at
// these, so that each one fires instead of waiting at a place no operation
// goes. The zero Reach means every failpoint (the load is not known).
type Reach struct {
	points []store.FailpointName // nil: all
}

// ReachOf is the set of failpoints passed by the given operations (history
// names: put, get, remove, update-activation, compact, sync), as the store
// declares in store.FailpointInfo.ReachedBy.
func ReachOf(ops []string) Reach {
	r := Reach{points: []store.FailpointName{}}
	for _, fi := range store.AllFailpoints() {
		for _, op := range fi.ReachedBy {
			if slices.Contains(ops, op) {
				r.points = append(r.points, fi.Name)
				break
			}
		}
	}
	return r
}

// Has reports whether the load passes fp.
func (r Reach) Has(fp store.FailpointName) bool {
	return r.points == nil || slices.Contains(r.points, fp)
}

// Only narrows r to the given failpoints (a recipe that knows where its bug's
// race window is). With no failpoints it returns r unchanged.
func (r Reach) Only(fps ...store.FailpointName) Reach {
	if len(fps) == 0 {
		return r
	}
	return Reach{points: append([]store.FailpointName{}, r.among(fps)...)}
}

// Without removes the given failpoints from r (a load known to miss them).
// From the zero Reach it removes them from every failpoint.
func (r Reach) Without(fps ...store.FailpointName) Reach {
	out := Reach{points: []store.FailpointName{}}
	for _, fi := range store.AllFailpoints() {
		if r.Has(fi.Name) && !slices.Contains(fps, fi.Name) {
			out.points = append(out.points, fi.Name)
		}
	}
	return out
}

// among keeps the candidates the load passes, in their order.
func (r Reach) among(candidates []store.FailpointName) []store.FailpointName {
	var out []store.FailpointName
	for _, fp := range candidates {
		if r.Has(fp) {
			out = append(out, fp)
		}
	}
	return out
}

// String lists the failpoints, "all" for the zero Reach.
func (r Reach) String() string {
	switch {
	case r.points == nil:
		return "all"
	case len(r.points) == 0:
		return "no failpoint"
	}
	names := make([]string, len(r.points))
	for i, fp := range r.points {
		names[i] = string(fp)
	}
	return strings.Join(names, ",")
}

// aimedNemesis is a fault that acts at a failpoint: candidates are the ones
// it may pick under reach (empty: it cannot fire under this load).
type aimedNemesis interface {
	candidates(reach Reach) []store.FailpointName
}
