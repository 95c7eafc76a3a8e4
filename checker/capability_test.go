package checker

import (
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// A target that does not report placements answers every put with the zero
// placement: slot 0, offset 0. Judged as placements, that is two live
// memories in one slot, an offset that did not grow and (with content
// lengths) overlapping ranges; the header's capabilities make these checks
// not-evaluated instead. The same history from a target that does report
// placements stays invalid.
func TestPlacementChecksNeedThePlacementsCapability(t *testing.T) {
	zero := wpl(0, 0, 100, 0)
	build := func(caps ...string) *wsb {
		b := newWSB()
		b.h.Target = &history.Target{Kind: "exec", Command: "./mystore", Name: "mystore", Protocol: 1, Capabilities: caps}
		b.put(1, "a", wval(1), zero)
		b.put(2, "b", wval(2), zero)
		stats := &history.Stats{Live: 2, ContentBytesLive: 7, ContentBytesTotal: 7}
		b.snapshot("final", stats, wentry("a", wval(1), zero), wentry("b", wval(2), zero))
		return b
	}
	checks := []Check{uniqueSlotsCheck{}, offsetMonotonicCheck{}, offsetOverlapCheck{}, contentLengthCheck{}}
	for _, c := range checks {
		t.Run(c.Name(), func(t *testing.T) {
			wantWS(t, runWS(t, c, build(capStats)), NotEvaluated)
			wantWS(t, runWS(t, c, build(capPlacements, capStats)), Invalid)
		})
	}
	// content-length also needs the statistics it compares.
	wantWS(t, runWS(t, contentLengthCheck{}, build(capPlacements)), NotEvaluated)
}

func TestHeaderWithoutTargetHasEveryCapability(t *testing.T) {
	var h history.Header
	if h.Lacks(capPlacements) {
		t.Fatal("a header without target (built-in store, older history) lacks placements")
	}
	h.Target = &history.Target{Capabilities: []string{capStats}}
	if !h.Lacks(capPlacements) || h.Lacks(capStats) {
		t.Fatalf("target %v: Lacks is wrong", h.Target.Capabilities)
	}
}
