package checker

import (
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// Each case is a history a store that does not report placements or its
// layout produces (zero placements, snapshots without layout) that the
// check rejects when it comes from the built-in store: from such a target
// the check must be not evaluated, and from a target that reports what the
// check needs it must still be rejected.
func TestChecksNeedingUnreportedDataAreNotEvaluated(t *testing.T) {
	cases := []struct {
		name  string
		check Check
		needs []string
		build func(b *wsb)
	}{
		{"unique-slots: every put at slot 0", uniqueSlotsCheck{}, []string{history.ReportsPlacements}, func(b *wsb) {
			b.put(1, "a", wval(1), history.Placement{})
			b.put(2, "b", wval(2), history.Placement{})
		}},
		{"offset-monotonic: slot 0 reused while live", offsetMonotonicCheck{}, []string{history.ReportsPlacements}, func(b *wsb) {
			b.put(1, "a", wval(1), history.Placement{})
			b.put(2, "b", wval(2), history.Placement{})
		}},
		{"offset-overlap: two writes on one range", offsetOverlapCheck{}, []string{history.ReportsPlacements}, func(b *wsb) {
			b.put(1, "a", wval(1), wpl(1, 0, 100, 0))
			b.put(2, "b", wval(2), wpl(2, 50, 100, 0))
		}},
		{"content-length: final stats without a layout", contentLengthCheck{}, []string{history.ReportsPlacements, history.ReportsLayout, history.ReportsStats}, func(b *wsb) {
			b.put(1, "a", wval(1), history.Placement{})
			b.snapshot("final", &history.Stats{})
		}},
		{"durability: empty recovered layout", durabilityCheck{}, []string{history.ReportsLayout}, func(b *wsb) {
			b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
			b.sync(1)
			b.nemesis("kill", history.NemesisStart, history.Nemesis{})
			b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
			b.snapshot("restart", &history.Stats{})
		}},
		{"fields: a layout value no write gave", fieldsCheck{}, []string{history.ReportsLayout}, func(b *wsb) {
			b.h.StartedUnixNanos = 1
			v := wval(1)
			v.Recorded = true
			b.put(1, "a", v, wpl(0, 0, 100, 0))
			bad := v
			bad.Confidence = 0.75
			b.snapshot("final", &history.Stats{}, wentry("a", bad, wpl(0, 0, 100, 0)))
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			c.build(b)
			wantWS(t, runWS(t, c.check, b), Invalid)

			b.h.Target = &history.Target{Kind: history.TargetGo, Name: "mapstore"}
			r := runWS(t, c.check, b)
			wantWS(t, r, NotEvaluated)
			if c.check.Name() != "fields" && !strings.Contains(r.Summary, "does not report") {
				t.Errorf("summary %q does not say what the store does not report", r.Summary)
			}

			b.h.Target.Capabilities = c.needs
			wantWS(t, runWS(t, c.check, b), Invalid)
		})
	}
}

// A restart's snapshot from a store that does not report its layout says
// nothing about what survived: a get after it that finds a value written
// before the crash is not a resurrection.
func TestUnreportedLayoutLeavesRestartStateUnknown(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), history.Placement{})
	b.nemesis("kill", history.NemesisStart, history.Nemesis{})
	b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
	b.snapshot("restart", &history.Stats{})
	b.get(1, "a", true, wval(1))
	wantWS(t, runWS(t, newLinearizableCheck(), b), Invalid)

	b.h.Target = &history.Target{Kind: history.TargetGo, Name: "mapstore"}
	if r := runWS(t, newLinearizableCheck(), b); r.Verdict == Invalid {
		t.Fatalf("linearizable: invalid from an unreported layout: %s", r.Summary)
	}
}

// An explanation does not show the placements a store does not report.
func TestUnreportedPlacementsAreNotShown(t *testing.T) {
	b := newWSB()
	b.h.StartedUnixNanos = 1
	v := wval(1)
	v.Recorded = true
	b.put(1, "a", v, history.Placement{})
	bad := v
	bad.Confidence = 0.75
	b.get(2, "a", true, bad)
	r := runWS(t, fieldsCheck{}, b)
	wantWS(t, r, Invalid)
	if !strings.Contains(r.Explanation, "placed at slot 0") {
		t.Fatalf("built-in store: explanation does not show the placement:\n%s", r.Explanation)
	}
	b.h.Target = &history.Target{Kind: history.TargetGo, Name: "mapstore"}
	r = runWS(t, fieldsCheck{}, b)
	wantWS(t, r, Invalid)
	if strings.Contains(r.Explanation, "placed at") {
		t.Fatalf("explanation shows a placement the store does not report:\n%s", r.Explanation)
	}
}
