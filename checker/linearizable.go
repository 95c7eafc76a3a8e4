package checker

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/checker/internal/register"
)

// linearizableCheck judges each memory's register history (put, get, remove,
// update-activation), per crash epoch, for linearizability. It adapts the
// register engine (checker/internal/register): the engine builds the
// register view over the shared op index, decides every partition under the
// budgets below, and explains and draws violations; this check composes its
// outcomes into one Result. A valid verdict always rests on an order that
// replays; running out of any budget yields Unknown, never Valid.
type linearizableCheck struct {
	// engine bounds each partition's search (time, heap, steps, workers,
	// witness minimization).
	engine register.Config
	// totalTimeout bounds the whole check.
	totalTimeout time.Duration
	// maxVisualOps caps the witness size drawn as HTML; maxVisualizations
	// how many failing partitions are drawn.
	maxVisualOps, maxVisualizations int
}

func newLinearizableCheck() Check {
	return &linearizableCheck{
		engine: register.Config{
			PartitionTimeout: 30 * time.Second,
			HeapLimitBytes:   2 << 30,
			MinimizeBudget:   20 * time.Second,
		},
		totalTimeout:      5 * time.Minute,
		maxVisualOps:      300,
		maxVisualizations: 5,
	}
}

func (c *linearizableCheck) Name() string { return "linearizable" }

func (c *linearizableCheck) Description() string {
	return "each memory's put/get/remove/update-activation history is linearizable, per crash epoch, from the recovered state"
}

func (c *linearizableCheck) Run(ctx context.Context, in *Input) (res Result) {
	start := time.Now()
	res = Result{Name: c.Name()}
	defer func() { res.ElapsedNanos = time.Since(start).Nanoseconds() }()
	if c.totalTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.totalTimeout)
		defer cancel()
	}

	x, err := in.ops()
	var view *register.View
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrMalformedRegister, err)
	} else {
		view, err = register.NewView(in.Events, registerPairing{x})
	}
	if err != nil {
		res.Verdict = Unknown
		res.Summary = err.Error()
		res.Explanation = "The history could not be read as register operations, so linearizability was not judged:\n" + err.Error()
		return res
	}
	outcomes := register.Check(ctx, in.Events, view, c.engine)

	// Compose.
	var invalid, unknown []*register.Outcome
	counts := map[register.Decision]int{}
	var readsDropped, writesDropped, writesClamped int
	var ops, steps, cuts int64
	for _, o := range outcomes {
		counts[o.Decision()]++
		r, w, cl := o.InfoDropped()
		readsDropped += r
		writesDropped += w
		writesClamped += cl
		ops += int64(o.Ops())
		steps += o.Steps()
		cuts += o.DoomedSteps()
		switch o.Verdict() {
		case register.Invalid:
			invalid = append(invalid, o)
		case register.Unknown:
			unknown = append(unknown, o)
		}
	}
	res.Details = map[string]any{
		"partitions":          len(outcomes),
		"crash_epochs":        view.Epochs(),
		"register_ops":        ops,
		"decided_by_zones":    counts[register.ByZones],
		"decided_by_search":   counts[register.BySearch],
		"decided_by_order":    counts[register.ByOrder],
		"decided_by_relaxed":  counts[register.ByRelaxation],
		"info_reads_dropped":  readsDropped,
		"info_writes_dropped": writesDropped,
		"info_writes_clamped": writesClamped,
		"search_steps":        steps,
		"search_doomed_steps": cuts,
		"invalid_partitions":  len(invalid),
		"unknown_partitions":  len(unknown),
	}
	switch {
	case len(invalid) > 0:
		sort.SliceStable(invalid, func(a, b int) bool { return invalid[a].Last() < invalid[b].Last() })
		first := invalid[0]
		res.Verdict = Invalid
		res.Summary = fmt.Sprintf("%d of %d memory histories not linearizable; first: %s", len(invalid), len(outcomes), first.Name())
		res.Witness = first.Witness()
		var b strings.Builder
		b.WriteString(first.Explanation())
		if len(invalid) > 1 {
			fmt.Fprintf(&b, "\nOther memory histories that are not linearizable (%d):\n", len(invalid)-1)
			for i, o := range invalid[1:] {
				if i == 10 {
					fmt.Fprintf(&b, "  ... and %d more\n", len(invalid)-11)
					break
				}
				fmt.Fprintf(&b, "  %s (witness ends at event #%d)\n", o.Name(), o.Last())
			}
		}
		if len(unknown) > 0 {
			fmt.Fprintf(&b, "\n%d memory histories were not decided.\n", len(unknown))
		}
		res.Explanation = b.String()
		if in.OutDir != "" {
			for i, o := range invalid {
				if i == c.maxVisualizations {
					break
				}
				name, err := register.Visualize(ctx, in.OutDir, i, in.Events, view, o, c.maxVisualOps)
				if err != nil {
					res.Explanation += fmt.Sprintf("\n(visualization of %s failed: %v)\n", o.Name(), err)
				} else if name != "" {
					res.Artifacts = append(res.Artifacts, name)
				}
			}
		}
	case len(unknown) > 0:
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("%d of %d memory histories undecided (%s); no violation found in the rest", len(unknown), len(outcomes), unknown[0].Reason())
		var b strings.Builder
		fmt.Fprintf(&b, "%v.\n", ErrLinearizabilityUndecided)
		for i, o := range unknown {
			if i == 20 {
				fmt.Fprintf(&b, "  ... and %d more\n", len(unknown)-20)
				break
			}
			fmt.Fprintf(&b, "  %s (%d operations, %d after pruning): %s\n", o.Name(), o.Ops(), o.Pruned(), o.Reason())
		}
		res.Explanation = b.String()
	case len(outcomes) == 0:
		res.Verdict = NotEvaluated
		res.Summary = "nothing to judge: no put/get/remove/update-activation operations"
	default:
		res.Verdict = Valid
		res.Summary = fmt.Sprintf("%d memory histories (%d operations) linearizable: %d by zone check, %d by a constructed order that replays, %d by search",
			len(outcomes), ops, counts[register.ByZones], counts[register.ByOrder], counts[register.BySearch])
	}
	return res
}
