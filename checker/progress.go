package checker

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// progressCheck (liveness): the store keeps answering while no fault
// stops it.
//
// Rule, for every worker (history.Event.Worker) separately:
//   - a drought is the time the worker spent waiting on calls that got no
//     answer, between two answers (ok or fail: a refusal is an answer, a
//     full store refusing puts is alive): each info call (timed out, lost,
//     panicked: outcome unknown) from its invoke to its completion, and a
//     call that never completed to the end of the history (to its invoke
//     if the history is torn or salvaged, Input.cut: cut off, not hung), joined
//     across gaps no longer than one operation timeout (a longer gap is
//     idleness, not waiting). The call that ends a drought with an answer
//     is not part of it: it made progress, however late;
//   - the part of a drought inside a fault window (any nemesis fault, from
//     its start event to its end event; a window that never ended lasts to
//     the end of a damaged history and explains nothing in an intact one,
//     where the nemesis hung on the store) is explained; windows are not
//     stretched past their end, so
//     frequent faults cannot hide a deadlock (the time to recover after a
//     panic is the recovery check's);
//   - the same holds for the calls of one key (callKey: reads of an id,
//     writes of an id, each whole-store operation), whichever workers made
//     them, their intervals joined only where they overlap: a lock held
//     forever on one memory or shard stalls the calls that need it while
//     every worker still gets ok answers elsewhere;
//   - a drought is a stall when its unexplained part reaches the stall
//     bound, StallBound(recovery bound, the header's op_timeout_ns, 5 s
//     when absent); or, however short, when a worker's last call never
//     completed, the history is intact and ends outside every fault window.
//     A stall is invalid.
//
// The runner's watchdog stops a load on the same rule with a margin of one
// operation timeout, so a run stopped on a stall holds a stall this check
// finds. A run that completed fewer operations than planned is the
// anti-vacuity check's (unknown there when no stall explains it).
type progressCheck struct{ recoveryBound time.Duration }

func (progressCheck) Name() string { return "progress" }
func (c progressCheck) Description() string {
	return "liveness: no worker, and no key's calls (reads or writes of an id, a whole-store operation), wait the stall bound (recovery bound + operation timeout) on calls that get no answer (info or never completed; ok and fail are answers), outside fault windows; a call that never returned counts until the history ends"
}

// defaultHistoryOpTimeout is the operation timeout assumed for a history
// whose header does not record one: the client's default, the larger of
// the defaults warmcheck has used, so an old history is judged leniently.
const defaultHistoryOpTimeout = 5 * time.Second

// StallBound is how long a worker may wait on calls that get no answer,
// outside fault windows, before the progress check calls it stalled: the
// recovery bound plus one operation timeout.
func StallBound(recoveryBound, opTimeout time.Duration) time.Duration {
	return recoveryBound + opTimeout
}

// drought is one stretch of a worker, or of a key's calls, without an
// answer.
type drought struct {
	key         string // "" for a worker's drought; else the calls' key (callKey)
	worker      int32
	from, to    int64    // ns
	unexplained int64    // ns of [from,to] outside every fault window
	hung        bool     // its last operation never completed (intact history)
	ops         []*opRec // the calls that got no answer, in order
	spans       []span   // when the worker was waiting on them
}

func (c progressCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	opTimeout := time.Duration(in.Header.OpTimeoutNanos)
	if opTimeout <= 0 {
		opTimeout = defaultHistoryOpTimeout
	}
	bound := StallBound(c.recoveryBound, opTimeout)
	details := map[string]any{"stall_bound_ns": int64(bound), "workers": 0}
	if len(x.ops) == 0 {
		return Result{Verdict: NotEvaluated, Details: details, Summary: "nothing to judge: no operation in the history"}
	}
	endTime := in.Events[len(in.Events)-1].Time
	explained := explainedSpans(in.Events, x.faults, endTime, in.cut())

	byWorker := map[int32][]*opRec{}
	for i := range x.ops {
		o := &x.ops[i]
		byWorker[o.Worker] = append(byWorker[o.Worker], o)
	}
	workers := make([]int32, 0, len(byWorker))
	for w := range byWorker {
		workers = append(workers, w)
	}
	sort.Slice(workers, func(i, j int) bool { return workers[i] < workers[j] })
	details["workers"] = len(workers)

	var worst *drought
	var longest int64
	for _, w := range workers {
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		for _, d := range droughts(w, byWorker[w], in.cut(), endTime, opTimeout) {
			for _, sp := range d.spans {
				d.unexplained += uncovered(sp.from, sp.to, explained)
			}
			longest = max(longest, d.unexplained)
			stalled := d.unexplained >= int64(bound) || (d.hung && !inSpans(endTime, explained))
			if stalled && (worst == nil || d.unexplained > worst.unexplained) {
				worst = &d
			}
		}
	}
	byKey := map[callKey][]*opRec{}
	for i := range x.ops {
		o := &x.ops[i]
		byKey[callKeyOf(o)] = append(byKey[callKeyOf(o)], o)
	}
	keys := make([]callKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].less(keys[j]) })
	var longestKey int64
	for _, k := range keys {
		if ctx.Err() != nil {
			return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
		}
		for _, d := range droughts(-1, byKey[k], in.cut(), endTime, 0) {
			d.key, d.hung = k.String(), false
			for _, sp := range d.spans {
				d.unexplained += uncovered(sp.from, sp.to, explained)
			}
			longestKey = max(longestKey, d.unexplained)
			if d.unexplained >= int64(bound) && (worst == nil || d.unexplained > worst.unexplained) {
				worst = &d
			}
		}
	}
	details["longest_unexplained_drought_ns"] = longest
	details["longest_unexplained_key_drought_ns"] = longestKey
	if worst == nil {
		return Result{Verdict: Valid, Details: details,
			Summary: fmt.Sprintf("%s and %s: none waited %v on calls without an answer outside fault windows (longest %v, %v)",
				humanfmt.Count(len(workers), "worker", "workers"), humanfmt.Count(len(keys), "key", "keys"), bound, time.Duration(longest).Round(time.Millisecond), time.Duration(longestKey).Round(time.Millisecond))}
	}
	return stallViolation(in, worst, bound, opTimeout)
}

// droughts lists the stretches without an answer of ops (one worker's, or
// one key's), in invoke order. A stretch is made of the calls that ended
// info or never completed, their intervals joined across gaps no longer than join (a
// worker's: one operation timeout, it went straight on; a key's: 0, its
// calls come from many workers, and time between them is not waiting).
func droughts(w int32, ops []*opRec, damaged bool, endTime int64, join time.Duration) []drought {
	var out []drought
	var cur *drought
	for _, o := range ops {
		if o.Type == history.OK || o.Type == history.Fail {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		to := o.DoneTime
		switch {
		case !o.pending():
		case damaged:
			to = o.CallTime
		default:
			to = endTime
		}
		if cur == nil {
			cur = &drought{worker: w, from: o.CallTime}
		}
		if n := len(cur.spans); n > 0 && o.CallTime-cur.spans[n-1].to <= int64(join) {
			cur.spans[n-1].to = max(cur.spans[n-1].to, to)
		} else {
			cur.spans = append(cur.spans, span{o.CallTime, to})
		}
		cur.to = max(cur.to, to)
		cur.hung = o.pending() && !damaged
		cur.ops = append(cur.ops, o)
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// callKey groups the calls that a lock held on one memory, or on the
// whole store, would stall together: reads of an id, writes of an id, and
// each whole-store operation.
type callKey struct {
	class history.Op // OpGet for reads, OpPut for every write of an id, else the operation
	id    string
}

func callKeyOf(o *opRec) callKey {
	switch o.Op {
	case history.OpGet:
		return callKey{history.OpGet, o.ID}
	case history.OpPut, history.OpRemove, history.OpUpdateActivation:
		return callKey{history.OpPut, o.ID}
	}
	return callKey{class: o.Op}
}

func (k callKey) less(l callKey) bool {
	if k.class != l.class {
		return k.class < l.class
	}
	return k.id < l.id
}

func (k callKey) String() string {
	switch k.class {
	case history.OpGet:
		return fmt.Sprintf("get %q", k.id)
	case history.OpPut:
		return fmt.Sprintf("writes of %q", k.id)
	}
	return k.class.String()
}

// span is a time interval [from, to] in ns.
type span struct{ from, to int64 }

// explainedSpans are the fault windows as time spans, merged and sorted. A
// window that never ended lasts to end in a damaged history (its end event
// was cut off) and explains nothing in an intact one (its end was never
// recorded: the nemesis hung on the store, a stall itself).
func explainedSpans(events []history.Event, faults []faultWindow, end int64, damaged bool) []span {
	spans := make([]span, 0, len(faults))
	for _, f := range faults {
		s := span{events[f.start].Time, events[f.end].Time}
		if f.endNemesis == nil {
			if !damaged {
				continue
			}
			s.to = max(s.to, end)
		}
		spans = append(spans, s)
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.from <= merged[n-1].to {
			merged[n-1].to = max(merged[n-1].to, s.to)
			continue
		}
		merged = append(merged, s)
	}
	return merged
}

// uncovered is how much of [from, to] lies outside the merged spans
// (sorted, disjoint).
func uncovered(from, to int64, spans []span) int64 {
	if to <= from {
		return 0
	}
	total := to - from
	for i := sort.Search(len(spans), func(i int) bool { return spans[i].to > from }); i < len(spans) && spans[i].from < to; i++ {
		lo, hi := max(spans[i].from, from), min(spans[i].to, to)
		if hi > lo {
			total -= hi - lo
		}
	}
	return total
}

// inSpans reports whether time t lies in one of the merged spans.
func inSpans(t int64, spans []span) bool {
	i := sort.Search(len(spans), func(i int) bool { return spans[i].to >= t })
	return i < len(spans) && spans[i].from <= t
}

// stallViolation says which worker (or which key's calls) waited on what
// since when.
func stallViolation(in *Input, d *drought, bound, opTimeout time.Duration) Result {
	first, last := d.ops[0], d.ops[len(d.ops)-1]
	ms := func(ns int64) time.Duration { return time.Duration(ns).Round(time.Millisecond) }
	waiting := "never completed"
	if !last.pending() {
		waiting = fmt.Sprintf("%s after %v", last.Type, ms(last.DoneTime-last.CallTime))
	}
	who := fmt.Sprintf("worker %d", d.worker)
	if d.key != "" {
		workers := map[int32]bool{}
		for _, o := range d.ops {
			workers[o.Worker] = true
		}
		who = fmt.Sprintf("%d calls of %s by %d workers", len(d.ops), d.key, len(workers))
	}
	summary := fmt.Sprintf("%s got no answer from %v to %v (%v outside fault windows, bound %v): last waited on %s %q invoked at %v, %s",
		who, ms(d.from), ms(d.to), ms(d.unexplained), bound, last.Op, last.ID, ms(last.CallTime), waiting)
	why := fmt.Sprintf("%v of it spent waiting outside every fault window, at least the stall bound %v (recovery bound + operation timeout %v)",
		ms(d.unexplained), bound, opTimeout)
	if d.unexplained < int64(bound) {
		summary = fmt.Sprintf("%s waited on %s %q since %v and the call never returned (the history ends at %v with it pending, outside every fault window)",
			who, last.Op, last.ID, ms(last.CallTime), ms(d.to))
		why = fmt.Sprintf("its last call never returned, and the history ended outside every fault window (stall bound %v, recovery bound + operation timeout %v)", bound, opTimeout)
	}
	expl := fmt.Sprintf("%s got no answer (ok or fail) from %v to %v (times since the run started); %s."+
		"\nno injected fault explains it: the store stopped answering.\n%d calls without an answer in that stretch; first: %s at %v; last: %s at %v, %s",
		who, ms(d.from), ms(d.to), why,
		len(d.ops), describe(in.Events, first), ms(first.CallTime), describe(in.Events, last), ms(last.CallTime), waiting)
	wit := []int{first.Call, last.Call}
	if last.Done >= 0 {
		wit = append(wit, last.Done)
	}
	r := violation(ErrStalled, summary, expl, eventIdx(in.Events, wit...))
	r.Details = map[string]any{"stall_bound_ns": int64(bound), "from_ns": d.from, "to_ns": d.to,
		"unexplained_ns": d.unexplained, "ops_without_ok": len(d.ops)}
	if d.key != "" {
		r.Details["key"] = d.key
	} else {
		r.Details["worker"] = d.worker
	}
	return r
}
