package checker

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// LinearizableCheck judges each memory's register history (put, get, remove,
// update-activation), per crash epoch, for linearizability. Partitions that
// the zone check can decide (unique writes, only puts and gets after
// pruning) are decided in O(n log n). Partitions with removes go to the
// compact search first (searchFirst), under a step budget linear in their
// size; the rest, and those the budget did not cover, to the constructions
// (an order built from the zones, verified by replay), the relaxations (a
// zone violation of a weaker history, confirmed by porcupine) and the full
// search under a time, step and heap budget, porcupine where it cannot
// conclude. A valid verdict always rests on an order that replays; running
// out of any budget yields Unknown, never Valid.
type LinearizableCheck struct {
	// PartitionTimeout bounds one porcupine search.
	PartitionTimeout time.Duration
	// TotalTimeout bounds the whole check.
	TotalTimeout time.Duration
	// HeapLimitBytes: a search stops (unknown) once live heap exceeds it.
	HeapLimitBytes uint64
	// MaxSteps bounds model steps per search (0: none).
	MaxSteps int64
	// Workers is how many searches run at once (0: GOMAXPROCS).
	Workers int
	// MaxVisualOps caps the witness size drawn as HTML.
	MaxVisualOps int
	// MaxVisualizations caps how many failing partitions are drawn.
	MaxVisualizations int
	// MinimizeBudget bounds the witness minimization of search violations.
	MinimizeBudget time.Duration
}

func newLinearizableCheck() Check {
	return &LinearizableCheck{
		PartitionTimeout:  30 * time.Second,
		TotalTimeout:      5 * time.Minute,
		HeapLimitBytes:    2 << 30,
		MaxSteps:          0,
		MaxVisualOps:      300,
		MaxVisualizations: 5,
		MinimizeBudget:    20 * time.Second,
	}
}

func (c *LinearizableCheck) Name() string { return "linearizable" }

func (c *LinearizableCheck) Description() string {
	return "each memory's put/get/remove/update-activation history is linearizable, per crash epoch, from the recovered state"
}

// partitionOutcome is what the check concluded about one partition.
type partitionOutcome struct {
	p       *regPartition
	ops     []regOp // after pruning
	stats   pruneStats
	method  string // "zones", "search", "none"
	verdict Verdict
	reason  string // why unknown
	// Violation evidence (invalid only): witness ops (indices into wops),
	// the ops themselves, and the explanation.
	wops        []regOp
	witness     []uint64
	explanation string
	last        uint64 // latest event index in the witness: orders violations
	steps       int64
	cuts        int64 // search steps refused as doomed (register_doom.go)
}

func (c *LinearizableCheck) Run(ctx context.Context, in *Input) (res Result) {
	start := time.Now()
	res = Result{Name: c.Name()}
	defer func() { res.ElapsedNanos = time.Since(start).Nanoseconds() }()
	if c.TotalTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.TotalTimeout)
		defer cancel()
	}

	x, err := in.ops()
	var h *regHistory
	if err != nil {
		err = fmt.Errorf("%w: %w", ErrMalformedRegister, err)
	} else {
		h, err = registerView(in.Events, x)
	}
	if err != nil {
		res.Verdict = Unknown
		res.Summary = err.Error()
		res.Explanation = "The history could not be read as register operations, so linearizability was not judged:\n" + err.Error()
		return res
	}
	outcomes := make([]*partitionOutcome, len(h.partitions))
	for i, p := range h.partitions {
		outcomes[i] = &partitionOutcome{p: p}
	}
	// The polynomial paths, partitions in parallel (they share nothing).
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan *partitionOutcome)
	var wg sync.WaitGroup
	for range min(workers, len(outcomes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := new(searchScratch) // this worker's, reused partition after partition
			for o := range next {
				c.decideFast(ctx, in, o, sc)
			}
		}()
	}
	for _, o := range outcomes {
		next <- o
	}
	close(next)
	wg.Wait()
	var searchQueue []*partitionOutcome
	for _, o := range outcomes {
		if o.method == "search" && o.verdict == "" {
			searchQueue = append(searchQueue, o)
		}
	}
	c.runSearches(ctx, in, searchQueue)
	c.explainSearchFailures(ctx, in, outcomes)

	// Compose.
	var invalid, unknown []*partitionOutcome
	counts := map[string]int{}
	var st pruneStats
	var ops, steps, cuts int64
	for _, o := range outcomes {
		counts[o.method]++
		st.infoReadsDropped += o.stats.infoReadsDropped
		st.infoWritesDropped += o.stats.infoWritesDropped
		st.infoWritesClamped += o.stats.infoWritesClamped
		ops += int64(o.p.nops)
		steps += o.steps
		cuts += o.cuts
		switch o.verdict {
		case Invalid:
			invalid = append(invalid, o)
		case Unknown:
			unknown = append(unknown, o)
		}
	}
	res.Details = map[string]any{
		"partitions":          len(outcomes),
		"crash_epochs":        h.epochs,
		"register_ops":        ops,
		"decided_by_zones":    counts["zones"],
		"decided_by_search":   counts["search"],
		"decided_by_order":    counts["linearizer"],
		"decided_by_relaxed":  counts["relaxation"],
		"info_reads_dropped":  st.infoReadsDropped,
		"info_writes_dropped": st.infoWritesDropped,
		"info_writes_clamped": st.infoWritesClamped,
		"search_steps":        steps,
		"search_doomed_steps": cuts,
		"invalid_partitions":  len(invalid),
		"unknown_partitions":  len(unknown),
	}
	switch {
	case len(invalid) > 0:
		sort.SliceStable(invalid, func(a, b int) bool { return invalid[a].last < invalid[b].last })
		first := invalid[0]
		res.Verdict = Invalid
		res.Summary = fmt.Sprintf("%d of %d memory histories not linearizable; first: %s", len(invalid), len(outcomes), partitionName(first.p))
		res.Witness = first.witness
		var b strings.Builder
		b.WriteString(first.explanation)
		if len(invalid) > 1 {
			fmt.Fprintf(&b, "\nOther memory histories that are not linearizable (%d):\n", len(invalid)-1)
			for i, o := range invalid[1:] {
				if i == 10 {
					fmt.Fprintf(&b, "  ... and %d more\n", len(invalid)-11)
					break
				}
				fmt.Fprintf(&b, "  %s (witness ends at event #%d)\n", partitionName(o.p), o.last)
			}
		}
		if len(unknown) > 0 {
			fmt.Fprintf(&b, "\n%d memory histories were not decided.\n", len(unknown))
		}
		res.Explanation = b.String()
		if in.OutDir != "" {
			for i, o := range invalid {
				if i == c.MaxVisualizations {
					break
				}
				name, err := visualizeWitness(ctx, in.OutDir, i, in.Events, o.p, o.wops, h.faults, c.MaxVisualOps)
				if err != nil {
					res.Explanation += fmt.Sprintf("\n(visualization of %s failed: %v)\n", partitionName(o.p), err)
				} else if name != "" {
					res.Artifacts = append(res.Artifacts, name)
				}
			}
		}
	case len(unknown) > 0:
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("%d of %d memory histories undecided (%s); no violation found in the rest", len(unknown), len(outcomes), unknown[0].reason)
		var b strings.Builder
		fmt.Fprintf(&b, "%v.\n", ErrLinearizabilityUndecided)
		for i, o := range unknown {
			if i == 20 {
				fmt.Fprintf(&b, "  ... and %d more\n", len(unknown)-20)
				break
			}
			fmt.Fprintf(&b, "  %s (%d operations, %d after pruning): %s\n", partitionName(o.p), len(o.p.ops), len(o.ops), o.reason)
		}
		res.Explanation = b.String()
	case len(outcomes) == 0:
		res.Verdict = NotEvaluated
		res.Summary = "nothing to judge: no put/get/remove/update-activation operations"
	default:
		res.Verdict = Valid
		res.Summary = fmt.Sprintf("%d memory histories (%d operations) linearizable: %d by zone check, %d by a constructed order that replays, %d by search",
			len(outcomes), ops, counts["zones"], counts["linearizer"], counts["search"])
	}
	return res
}

// decideFast tries the paths that need no search: the zone check, a
// constructed order, the relaxations. What they cannot decide is left with
// method "search".
func (c *LinearizableCheck) decideFast(ctx context.Context, in *Input, o *partitionOutcome, sc *searchScratch) {
	p := o.p
	o.ops, o.stats = pruneIn(sc, p, true) // p.ops is not used after this
	switch {
	case !p.initialKnown:
		o.method, o.verdict = "none", Unknown
		o.reason = fmt.Sprintf("crash epoch %d has no \"restart\" snapshot, so the state it started from is unknown", p.key.epoch)
	case len(o.ops) == 0:
		o.method, o.verdict = "none", Valid
	case fastPathApplies(p, o.ops, o.stats):
		o.method = "zones"
		if viols := checkZones(p, o.ops); len(viols) == 0 {
			o.verdict = Valid
		} else {
			c.reportZoneViolation(ctx, in, o, viols)
		}
	default:
		if hasRemoves(o.ops) && c.searchFirst(ctx, in, o, sc) {
			return
		}
		// A construction that does not replay could guide the search
		// (searchCompact's guide), but measured on hot keys a wrong guide
		// costs more than it saves: the search runs unguided.
		if order, _ := linearizeOrGuide(p, o.ops); order != nil {
			o.method, o.verdict = "linearizer", Valid
		} else if order, ok := linearizeGreedy(p, o.ops); ok && verifyOrder(p.initial, o.ops, order) {
			o.method, o.verdict = "linearizer", Valid
		} else if viols := relaxedZones(p, o.ops, o.stats); len(viols) > 0 {
			o.method = "relaxation"
			c.reportZoneViolation(ctx, in, o, viols)
		} else {
			o.method = "search"
		}
	}
}

// Why removes defeat the polynomial paths. The zone check (Gibbons &
// Korach) needs every read to name the write it saw; unique put contents
// give that for gets that found a value and, through activations, for
// update-activations. Removes break it twice:
//   - a found remove reports only found=true, not the value it removed, so
//     which content it ends (after which put's cluster it sits) is a choice;
//   - a read of absence (get not found, remove or update-activation not
//     found) does not say which absence it saw: the initial one or the one
//     after which remove. "absent" is a value written many times, and
//     register checking with repeated values is NP-complete in general.
// The constructions guess both (a remove at the first content boundary that
// fits, reads of absence by call or return time) and verify by replay; on
// hot keys (20 workers, one memory: about 20 operations overlap everywhere)
// some guess is always wrong and nothing replays. The compact search does
// not guess; what made it blow up was finding a wrong choice only when a
// stranded read came due. Its doom cuts (register_doom.go) refuse such
// steps when they are taken, so on the hot-spot mix it needs 1-3 steps per
// operation. That is a measured property of this traffic, not a bound: the
// worst case stays exponential, and ends in Unknown under the budgets.
//
// What the store could record to make removes polynomial (a proposal; the
// checker does not rely on it):
//   - a found remove returns the value it removed (Output.Value with
//     Found=true, as a found get does: the version current at its
//     linearization point). The remove then joins that value's cluster as
//     its last operation, and the order of contents and removes is fixed by
//     zones as for puts and gets.
//   - every read of absence returns the absence it saw: a per-id tombstone
//     generation (Output.Tombstone, a uint64: 0 for "never present in this
//     crash epoch", else the sequence number the store gave the effective
//     remove that made the id absent, echoed by that remove's own output).
//     Then every value, absence included, is written once and named by
//     every read, and the whole partition is decided by the zone check in
//     O(n log n), with no search. It is sound because the names are outputs
//     the model checks, not trusted hints: the register state becomes
//     (value or tombstone), a read naming a tombstone no remove produced,
//     or one that cannot be current in its interval, is a violation.
// The cost is in the store: the last remove's sequence number per removed
// id must survive until that id is put again (compaction included).

// searchFirst decides a partition with removes by the compact search under
// a step budget linear in its size, before any construction is tried. The
// constructions must guess which content each found remove ends and which
// absence each read of absence saw (neither names it); on hot keys they
// guess wrong: measured on the hot-spot mix (put 45, get 45, update 6,
// remove 2), none of 20 one-memory 10K-op histories nor 10 100K-op ones
// replayed, and trying them cost more than the search, which with its doom
// cuts took 1-3 steps per operation there. It reports whether it decided:
// valid only with an order that replays; invalid (the search is exhaustive)
// explained by a relaxation's zone violation when one exists, else by the
// search's minimized witness. Out of budget, nothing is concluded and the
// partition takes the usual path (constructions, relaxations, the full
// search).
func (c *LinearizableCheck) searchFirst(ctx context.Context, in *Input, o *partitionOutcome, sc *searchScratch) bool {
	steps := int64(16*len(o.ops) + 100_000)
	if c.MaxSteps > 0 {
		steps = min(steps, c.MaxSteps)
	}
	budget := newSearchBudget(ctx, c.HeapLimitBytes, steps)
	budget.deadline = time.Now().Add(c.PartitionTimeout)
	v, order := searchCompactIn(sc, o.p.initial, o.ops, budget, searchSeed(o), nil)
	o.steps, o.cuts = budget.steps.Load(), budget.cuts.Load()
	switch {
	case v == Valid && verifyOrder(o.p.initial, o.ops, order):
		o.method, o.verdict = "search", Valid
		return true
	case v == Invalid:
		if viols := relaxedZones(o.p, o.ops, o.stats); len(viols) > 0 {
			o.method = "relaxation"
			c.reportZoneViolation(ctx, in, o, viols)
			if o.verdict == Invalid {
				return true
			}
		}
		o.method, o.verdict = "search", Invalid
		return true
	}
	return false
}

// hasRemoves says whether any remove is left in the partition.
func hasRemoves(ops []regOp) bool {
	for _, op := range ops {
		if op.op == history.OpRemove {
			return true
		}
	}
	return false
}

func searchSeed(o *partitionOutcome) uint64 {
	return uint64(len(o.ops))*0x9e3779b97f4a7c15 ^ uint64(o.p.key.epoch)
}

// reportZoneViolation picks the earliest of a zone check's violations; it is
// confirmed by porcupine on its (small) witness before it is reported. If
// porcupine disagrees, the zone check is not trusted for this partition and
// it goes to the search.
func (c *LinearizableCheck) reportZoneViolation(ctx context.Context, in *Input, o *partitionOutcome, viols []zoneViolation) {
	best, bestLast := -1, uint64(0)
	var bestIdx []int
	for i, v := range viols {
		idx := withClampObservers(o.ops, v.ops)
		w := witnessEvents(in.Events, o.p, o.ops, idx, false)
		if l := w[len(w)-1]; best < 0 || l < bestLast {
			best, bestLast, bestIdx = i, l, idx
		}
	}
	v := viols[best]
	var wops []regOp
	for _, i := range bestIdx {
		if i >= 0 {
			wops = append(wops, o.ops[i])
		}
	}
	confirm := searchRegister(ctx, o.p.initial, wops, 10*time.Second, c.HeapLimitBytes, 10_000_000, false)
	if confirm.verdict != Invalid {
		o.method = "search" // zone check and porcupine disagree: trust neither alone
		return
	}
	o.verdict = Invalid
	o.wops = wops
	o.witness = witnessEvents(in.Events, o.p, o.ops, bestIdx, false)
	o.last = bestLast
	o.explanation = explainZoneViolation(in.Events, o.p, o.ops, v)
}

func (c *LinearizableCheck) runSearches(ctx context.Context, in *Input, queue []*partitionOutcome) {
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Small partitions first: most are quick, and a hard one should not
	// hold up the rest.
	sort.SliceStable(queue, func(a, b int) bool { return len(queue[a].ops) < len(queue[b].ops) })
	work := make(chan *partitionOutcome)
	var wg sync.WaitGroup
	for range min(workers, len(queue)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := new(searchScratch)
			for o := range work {
				c.searchPartition(ctx, o, sc)
			}
		}()
	}
	for _, o := range queue {
		work <- o
	}
	close(work)
	wg.Wait()
}

// searchPartition decides a partition by exhaustive search: the compact
// search (hashed cache, bounded memory) first; a valid verdict needs its
// linearization to replay. porcupine is used on small partitions when the
// compact search cannot give a verdict it can stand behind.
func (c *LinearizableCheck) searchPartition(ctx context.Context, o *partitionOutcome, sc *searchScratch) {
	budget := newSearchBudget(ctx, c.HeapLimitBytes, c.MaxSteps)
	deadline := time.Now().Add(c.PartitionTimeout)
	budget.deadline = deadline
	v, order := searchCompactIn(sc, o.p.initial, o.ops, budget, searchSeed(o), nil)
	o.steps += budget.steps.Load()
	o.cuts += budget.cuts.Load()
	switch {
	case v == Valid && verifyOrder(o.p.initial, o.ops, order):
		o.verdict = Valid
	case v == Invalid:
		o.verdict = Invalid
	case v == Unknown:
		o.verdict, o.reason = Unknown, budget.why()
	default:
		// The search's order does not replay: do not trust it.
		sv := searchRegister(ctx, o.p.initial, o.ops, time.Until(deadline), c.HeapLimitBytes, c.MaxSteps, false)
		o.verdict, o.reason, o.steps = sv.verdict, sv.reason, o.steps+sv.steps
	}
}

// explainSearchFailures minimizes and explains partitions the search found
// invalid (a bounded number of them; the rest get the whole partition as
// witness).
func (c *LinearizableCheck) explainSearchFailures(ctx context.Context, in *Input, outcomes []*partitionOutcome) {
	minimized := 0
	for _, o := range outcomes {
		if o.method != "search" || o.verdict != Invalid {
			continue
		}
		wops := o.ops
		if minimized < 3 {
			minimized++
			wb := witnessBudget{deadline: time.Now().Add(c.MinimizeBudget), perSearch: 2 * time.Second,
				maxSteps: 2_000_000, heapLimit: c.HeapLimitBytes, maxTries: 200}
			wops = minimizeSearchWitness(ctx, o.p, o.ops, wb)
		}
		o.wops = wops
		idx := make([]int, len(wops))
		for i := range idx {
			idx[i] = i
		}
		o.witness = witnessEvents(in.Events, o.p, wops, idx, true)
		if len(o.witness) > 0 {
			o.last = o.witness[len(o.witness)-1]
		}
		if len(wops) <= 2000 {
			sv := searchRegister(ctx, o.p.initial, wops, 10*time.Second, c.HeapLimitBytes, 10_000_000, true)
			if sv.verdict == Invalid {
				o.explanation = explainSearchViolation(in.Events, o.p, wops, sv)
				continue
			}
		}
		o.explanation = fmt.Sprintf("%s is not linearizable (porcupine found no valid order of its %d operations; the witness was too large to explain step by step).\n", partitionName(o.p), len(wops))
	}
}
