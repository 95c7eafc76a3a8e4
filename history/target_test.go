package history

import (
	"reflect"
	"testing"
)

// TestHeaderTarget: a user store's description survives both file forms,
// and Reports is true for everything only when there is none.
// An exec target keeps its command, version and protocol too.
func TestHeaderTarget(t *testing.T) {
	tg := &Target{Kind: TargetGo, Name: "mapstore", Capabilities: []string{ReportsLayout}}
	for form, got := range readBackHeaders(t, Header{Seed: 1, Workload: "mixed", Target: tg}) {
		if !reflect.DeepEqual(got.Target, tg) {
			t.Errorf("%s: target %+v, want %+v", form, got.Target, tg)
		}
		if !got.Reports(ReportsLayout) || got.Reports(ReportsPlacements) {
			t.Errorf("%s: Reports with %v: layout %v placements %v, want true false", form, tg.Capabilities, got.Reports(ReportsLayout), got.Reports(ReportsPlacements))
		}
	}
	builtin := Header{}
	if !builtin.Reports(ReportsLayout) || !builtin.Reports(ReportsPlacements) {
		t.Error("the built-in store (no target) must report everything")
	}
	none := Header{Target: &Target{Kind: TargetGo, Name: "bare"}}
	if none.Reports(ReportsLayout) || none.Reports(ReportsPlacements) {
		t.Error("a target that lists nothing must report nothing")
	}
}
