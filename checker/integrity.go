package checker

import (
	"context"
	"fmt"
	"strings"

	"github.com/warmcheck/warmcheck/history"
)

// corruptMarker is the text of store.ErrCorrupt ("store: corrupt file"). The
// store wraps it (fmt.Errorf("%w: ...") or "...: %w"), in process and across
// the process-mode socket (the child's error text is kept), so every
// corruption error the recorder saves in Event.Error contains it. The checker
// never imports store, so it matches the text; store/errors_text_test.go pins
// ErrCorrupt's message to this literal, and integrity_test.go pins this
// constant, so renaming either side breaks a test.
const corruptMarker = "store: corrupt file"

// maxIntegrityListed bounds how many corrupt operations the explanation and
// the witness list; Details count them all.
const maxIntegrityListed = 10

// integrityCheck: a correct store never reports its own data as corrupt.
//
// Rule: any client operation (get, iterate, recall, layout, compact, put,
// ...) whose fail or info completion carries the store's corruption error is
// a violation, wherever it lies in the history. There is no window in which
// it is allowed:
//   - no fault we inject damages the files behind the store's back: panic,
//     sleep, pause and grow-failure act through failpoints or the scheduler;
//     compact is an ordinary API call;
//   - after a kill or power loss the store is reopened, and its recovery
//     validates every record's checksum and discards torn ones (counted in
//     Stats.TornDiscarded) before serving. A file it cannot make sense of
//     makes Open fail, which is the nemesis's restart, not a client
//     operation. So once a client is served again, the store must serve
//     only records it has validated: a corruption error on a later call is
//     the store contradicting its own bookkeeping (an index entry or block
//     header pointing at content that is not there: a deleted compaction
//     epoch, bytes past the end of a file).
//
// Such errors are how unlocked-activation and compaction-lost-store often
// surface: no read returns a wrong value, so linearizability and iteration
// stay silent, but the store has lost track of data it acknowledged.
//
// The recorder completes a corrupt read as fail and a corrupt mutation as
// info (client.Classify); this check judges both the same way.
type integrityCheck struct{}

func (integrityCheck) Name() string { return "integrity" }
func (integrityCheck) Description() string {
	return "the store never reports its own data as corrupt: no client operation fails with a corruption error"
}

func (integrityCheck) Run(ctx context.Context, in *Input) Result {
	x, err := in.ops()
	if err != nil {
		return Result{Verdict: Unknown, Summary: "cannot pair operations: " + err.Error()}
	}
	var bad []*opRec
	byOp := map[string]int{}
	completed := 0
	for i := range x.ops {
		o := &x.ops[i]
		if o.pending() {
			continue
		}
		completed++
		if o.Type == history.OK || !strings.Contains(o.Err, corruptMarker) {
			continue
		}
		bad = append(bad, o)
		byOp[o.Op.String()]++
	}
	if ctx.Err() != nil {
		return Result{Verdict: Unknown, Summary: ErrDeadlineExceeded.Error()}
	}
	details := map[string]any{"completed": completed, "corrupt": len(bad)}
	if completed == 0 {
		return Result{Verdict: NotEvaluated, Details: details, Summary: "nothing to judge: no completed operation"}
	}
	if len(bad) == 0 {
		return Result{Verdict: Valid, Details: details,
			Summary: fmt.Sprintf("%d completed operations, none reported corruption", completed)}
	}
	details["corrupt_by_op"] = byOp
	var expl strings.Builder
	var witness []uint64
	for k, o := range bad {
		if k == maxIntegrityListed {
			fmt.Fprintf(&expl, "... and %d more\n", len(bad)-k)
			break
		}
		fmt.Fprintf(&expl, "%s, invoked t=%s, completed t=%s: %s\n",
			describe(in.Events, o), fmtTime(o.CallTime), fmtTime(o.DoneTime), o.Err)
		witness = append(witness, eventIdx(in.Events, o.Call, o.Done)...)
	}
	expl.WriteString("a correct store validates its records on open and never hands out a reference it cannot resolve; no injected fault touches its files, so these errors are the store losing track of its own data")
	first := bad[0]
	id := ""
	if first.ID != "" {
		id = fmt.Sprintf(" %q", first.ID)
	}
	return Result{Verdict: Invalid, Details: details, Witness: sortedUnique(witness),
		Summary: fmt.Sprintf("%d operations reported corruption, first %s%s at event %d (t=%s): %s",
			len(bad), first.Op, id, in.Events[first.Done].Index, fmtTime(first.DoneTime), firstLine(first.Err)),
		Explanation: ErrIntegrity.Error() + "\n" + expl.String()}
}
