package checker

import (
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// An exec target with placements and layout but without stats: its
// snapshots carry no statistics (client.Recorder records none), so
// content-length has nothing to compare and is not evaluated, while the
// same history with stats declared is judged (and here rejected: the final
// statistics count 7 live bytes where the layout holds 200).
func TestContentLengthNeedsStats(t *testing.T) {
	build := func(caps ...string) *wsb {
		b := newWSB()
		b.h.Target = &history.Target{Kind: history.TargetExec, Command: "./mystore", Name: "mystore", Protocol: 1, Capabilities: caps}
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.put(2, "b", wval(2), wpl(1, 100, 100, 0))
		stats := &history.Stats{Live: 2, ContentBytesLive: 7, ContentBytesTotal: 200}
		b.snapshot("final", stats, wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)))
		return b
	}
	r := runWS(t, contentLengthCheck{}, build(history.ReportsPlacements, history.ReportsLayout))
	wantWS(t, r, NotEvaluated)
	if r.Details["unreported"] != history.ReportsStats {
		t.Fatalf("details %v, want stats named as unreported", r.Details)
	}
	wantWS(t, runWS(t, contentLengthCheck{}, build(history.ReportsPlacements, history.ReportsLayout, history.ReportsStats)), Invalid)
}
