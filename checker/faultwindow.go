package checker

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// faultWindow is one nemesis fault, from its start event to its end event
// (positions in the history). Starts and ends pair first in, first out per
// (fault, target). A fault that never ended (a cut history) lasts to the
// last event and has no endNemesis; an end without a start (a malformed
// history) starts where it ends.
type faultWindow struct {
	fault, target string
	start, end    int
	endNemesis    *history.Nemesis // the end event's payload; nil if it never ended
}

// faultWindows pairs the nemesis events of a history, sorted by start.
func faultWindows(events []history.Event) []faultWindow {
	type key struct{ fault, target string }
	var out []faultWindow
	open := map[key][]int{}
	for pos := range events {
		n := events[pos].Nemesis
		if events[pos].Kind != history.KindNemesis || n == nil {
			continue
		}
		k := key{n.Fault, n.Target}
		switch n.Phase {
		case history.NemesisStart:
			open[k] = append(open[k], pos)
		case history.NemesisEnd:
			start := pos
			if s := open[k]; len(s) > 0 {
				start, open[k] = s[0], s[1:]
			}
			out = append(out, faultWindow{fault: n.Fault, target: n.Target, start: start, end: pos, endNemesis: n})
		}
	}
	for k, starts := range open {
		for _, s := range starts {
			out = append(out, faultWindow{fault: k.fault, target: k.target, start: s, end: len(events) - 1})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].start < out[j].start })
	return out
}
