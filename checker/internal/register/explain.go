package register

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// describeOp renders one operation for an explanation: event indices,
// process, wall times since run start, input, output, outcome.
func describeOp(events []history.Event, o regOp) string {
	var b strings.Builder
	inv := &events[o.call]
	fmt.Fprintf(&b, "%s (event #%d, process %d) invoked t=%s", o.op.String(), inv.Index, o.process, fmtTime(inv.Time))
	switch o.op {
	case history.OpPut:
		fmt.Fprintf(&b, " value %s", describeValue(o.value))
	case history.OpUpdateActivation:
		fmt.Fprintf(&b, " activation %g", math.Float32frombits(o.activation))
	}
	switch {
	case o.complete >= 0 && o.status == statusOK:
		fmt.Fprintf(&b, ", ok at t=%s (event #%d)", fmtTime(events[o.complete].Time), events[o.complete].Index)
		switch o.op {
		case history.OpGet:
			if o.found {
				fmt.Fprintf(&b, " -> %s", describeValue(o.output))
			} else {
				b.WriteString(" -> absent")
			}
		case history.OpRemove, history.OpUpdateActivation:
			fmt.Fprintf(&b, " -> found=%v", o.found)
		}
	case o.complete >= 0:
		fmt.Fprintf(&b, ", info (outcome unknown) at t=%s (event #%d)", fmtTime(events[o.complete].Time), events[o.complete].Index)
	default:
		b.WriteString(", never completed (outcome unknown)")
	}
	if o.clampedBy >= 0 && o.ret != infinity {
		fmt.Fprintf(&b, "; its value was observed by the operation completing at event #%d, so it took effect by then", events[o.clampedBy].Index)
	}
	return b.String()
}

func fmtTime(ns int64) string { return time.Duration(ns).String() }

// posTime is the wall time of a position (-1: the epoch's start).
func posTime(events []history.Event, pos int64) string {
	if pos < 0 {
		return "the start of the epoch"
	}
	return "t=" + fmtTime(events[pos].Time) + fmt.Sprintf(" (event #%d)", events[pos].Index)
}

func partitionName(p *regPartition) string {
	if p.key.epoch == 0 {
		return fmt.Sprintf("memory %q", p.key.id)
	}
	return fmt.Sprintf("memory %q in crash epoch %d", p.key.id, p.key.epoch)
}

// initialName describes the epoch's initial value for cluster texts.
func initialName(events []history.Event, p *regPartition) string {
	where := "the history's start"
	if p.initialEvent >= 0 {
		where = fmt.Sprintf("the %s snapshot (event #%d)", events[p.initialEvent].Snapshot.Reason, events[p.initialEvent].Index)
	}
	return fmt.Sprintf("the initial state %s at %s", p.initial, where)
}

// clusterName names a cluster by its write.
func clusterName(events []history.Event, p *regPartition, ops []regOp, c cluster) string {
	if c.write < 0 {
		return initialName(events, p)
	}
	o := ops[c.write]
	at := events[o.call].Index
	switch {
	case o.op == history.OpRemove:
		return fmt.Sprintf("the absence made by the remove at event #%d", at)
	case o.op == history.OpUpdateActivation:
		return fmt.Sprintf("the version written by the update-activation at event #%d", at)
	case c.level == levelIdentity:
		return fmt.Sprintf("the content written by the put at event #%d (with any activation)", at)
	}
	return fmt.Sprintf("the value written by the put at event #%d", at)
}

// boundOp says which op fixes a zone bound of cluster c and what it did.
func boundOp(events []history.Event, ops []regOp, c cluster, e zoneEnd, atReturn bool) string {
	if e.op < 0 {
		return "the epoch's start"
	}
	o := ops[e.op]
	role := "read it"
	switch {
	case e.op == c.write && o.op == history.OpRemove:
		role = "made it"
	case e.op == c.write:
		role = "wrote it"
	case o.op == history.OpUpdateActivation:
		role = "updated it"
	}
	who := fmt.Sprintf("the %s at event #%d, which %s,", o.op.String(), events[o.call].Index, role)
	if !atReturn {
		return fmt.Sprintf("%s when %s was invoked", posTime(events, e.pos), who)
	}
	if o.clampedBy >= 0 && o.ret != infinity {
		return fmt.Sprintf("%s when an operation that observed it completed (%s ended info)", posTime(events, e.pos), strings.TrimSuffix(who, ","))
	}
	return fmt.Sprintf("%s when %s completed", posTime(events, e.pos), who)
}

// explainZoneViolation says, in plain words, why no order works.
func explainZoneViolation(events []history.Event, p *regPartition, ops []regOp, v zoneViolation) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not linearizable.\n", partitionName(p))
	switch v.kind {
	case violReadNeverWritten:
		fmt.Fprintf(&b, "A get returned a value that no put on this memory wrote and that was not its initial state:\n  %s\n", describeOp(events, ops[v.read]))
	case violReadCorrupted:
		fmt.Fprintf(&b, "A get returned %s's content but with fields no operation set (this partition has no update-activation):\n  %s\n", clusterName(events, p, ops, v.a), describeOp(events, ops[v.read]))
		if v.a.write >= 0 {
			fmt.Fprintf(&b, "  %s\n", describeOp(events, ops[v.a.write]))
		}
	case violReadAbsent:
		fmt.Fprintf(&b, "A get found the memory absent, but it held a value from the start of the epoch (%s) and no remove touched it:\n  %s\n", p.initial, describeOp(events, ops[v.read]))
	case violReadBeforeWrite:
		fmt.Fprintf(&b, "A get returned a value before the put that wrote it was even invoked:\n  %s\n  %s\n", describeOp(events, ops[v.read]), describeOp(events, ops[v.a.write]))
	case violForwardOverlap, violBackwardInside:
		a, c := v.a, v.b
		switch v.level {
		case levelVersion:
			b.WriteString("Every put, found update-activation and found remove makes a unique version (update activations are unique), so in any order a version is current from the operation that made it until the next such operation, and never again.\n")
		case levelIdentity:
			b.WriteString("Every put writes unique content; update-activations keep it, the next put or remove ends it. So in any order that content is current from its put until then, and never again.\n")
		default:
			b.WriteString("Every put writes a unique value, so in any order a value is current from its put until the next put, and never again.\n")
		}
		fmt.Fprintf(&b, "%s must stay current from %s, until %s.\n",
			capitalize(clusterName(events, p, ops, a)), boundOp(events, ops, a, a.f, true), boundOp(events, ops, a, a.s, false))
		fmt.Fprintf(&b, "%s can be neither wholly before nor wholly after that window:\n", capitalize(clusterName(events, p, ops, c)))
		fmt.Fprintf(&b, "  - not before it: at %s, after the window opened;\n", boundOp(events, ops, c, c.s, false))
		fmt.Fprintf(&b, "  - not after it: at %s, before the window closed.\n", boundOp(events, ops, c, c.f, true))
		b.WriteString("So it would be current inside the window, where the other value must stay current. No order works.\n")
	}
	b.WriteString("Operations involved:\n")
	for _, i := range v.ops {
		if i < 0 {
			fmt.Fprintf(&b, "  %s\n", initialName(events, p))
			continue
		}
		fmt.Fprintf(&b, "  %s\n", describeOp(events, ops[i]))
	}
	return b.String()
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// explainSearchViolation explains a porcupine verdict over a (minimized)
// witness: the longest order porcupine could build, and why every operation
// that could come next fails there.
func explainSearchViolation(events []history.Event, p *regPartition, ops []regOp, sv searchVerdict) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not linearizable: no order of these %d operations respects both real time and the register model (exhaustive search by porcupine).\n", partitionName(p), len(ops))
	var longest []int
	if parts := sv.info.PartialLinearizations(); len(parts) > 0 {
		for _, l := range parts[0] {
			if len(l) > len(longest) {
				longest = l
			}
		}
	}
	state := p.initial
	placed := map[int]bool{}
	for _, id := range longest {
		o := ops[id]
		_, state = registerStep(state, regInputOf(o), regOutput{found: o.found, value: o.output})
		placed[id] = true
	}
	fmt.Fprintf(&b, "The longest valid order found places %d of them and leaves the memory %s.\n", len(longest), state)
	minRet := int64(infinity)
	for i, o := range ops {
		if !placed[i] && o.ret < minRet {
			minRet = o.ret
		}
	}
	var stuck []string
	for i, o := range ops {
		if placed[i] || o.call > minRet {
			continue
		}
		if ok, _ := registerStep(state, regInputOf(o), regOutput{found: o.found, value: o.output}); !ok {
			stuck = append(stuck, "  "+describeOp(events, o)+fmt.Sprintf(" -- but the memory is %s", state))
		}
	}
	if len(stuck) > 0 {
		b.WriteString("Each operation that could come next contradicts that state:\n")
		b.WriteString(strings.Join(stuck, "\n"))
		b.WriteString("\n(and every other order fails sooner).\n")
	}
	b.WriteString("Operations involved:\n")
	if p.initialEvent >= 0 || p.key.epoch > 0 {
		fmt.Fprintf(&b, "  %s\n", initialName(events, p))
	}
	for _, o := range ops {
		fmt.Fprintf(&b, "  %s\n", describeOp(events, o))
	}
	return b.String()
}

func regInputOf(o regOp) regInput {
	return regInput{op: o.op, value: o.value, activation: o.activation, info: o.op != history.OpPut && o.status == statusInfo && o.ret == infinity, pos: int(o.call)}
}

// witnessEvents turns witness ops into sorted, unique event indices: each
// op's invoke and completion, the snapshot giving the initial state, and the
// completion that justified a clamp.
func witnessEvents(events []history.Event, p *regPartition, ops []regOp, idx []int, includeInitial bool) []uint64 {
	set := map[int]bool{}
	if includeInitial && p.initialEvent >= 0 {
		set[p.initialEvent] = true
	}
	for _, i := range idx {
		if i < 0 {
			if p.initialEvent >= 0 {
				set[p.initialEvent] = true
			}
			continue
		}
		o := ops[i]
		set[int(o.call)] = true
		if o.complete >= 0 {
			set[o.complete] = true
		}
		if o.clampedBy >= 0 && o.ret != infinity {
			set[o.clampedBy] = true
		}
	}
	out := make([]uint64, 0, len(set))
	for pos := range set {
		out = append(out, events[pos].Index)
	}
	sort.Slice(out, func(a, b int) bool { return out[a] < out[b] })
	return out
}

// withClampObservers adds, for each clamped put in idx, the get in ops whose
// completion clamped it, so the witness carries the evidence for the clamp.
func withClampObservers(ops []regOp, idx []int) []int {
	byComplete := map[int]int{}
	for i, o := range ops {
		if o.complete >= 0 {
			byComplete[o.complete] = i
		}
	}
	seen := map[int]bool{}
	for _, i := range idx {
		seen[i] = true
	}
	out := append([]int(nil), idx...)
	for _, i := range idx {
		if i < 0 || ops[i].clampedBy < 0 || ops[i].ret == infinity {
			continue
		}
		if j, ok := byComplete[ops[i].clampedBy]; ok && !seen[j] {
			seen[j] = true
			out = append(out, j)
		}
	}
	sort.Ints(out)
	return out
}
