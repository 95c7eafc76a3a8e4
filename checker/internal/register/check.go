package register

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// decideAll decides every partition of h: the polynomial paths in parallel
// (partitions share nothing), then the searches, then the explanations of
// what the search found invalid. Partitions that the zone check can decide
// (unique writes, only puts and gets after pruning) are decided in
// O(n log n). Partitions with removes go to the compact search first
// (decideByBoundedSearch), under a step budget linear in their size; the
// rest, and those the budget did not cover, to the constructions (an order
// built from the zones, verified by replay), the relaxations (a zone
// violation of a weaker history, confirmed by porcupine) and the full search
// (decideByFullSearch) under a time, step and heap budget, porcupine where
// it cannot conclude.
func (c *Config) decideAll(ctx context.Context, events []history.Event, h *regHistory) []*Outcome {
	outcomes := make([]*Outcome, len(h.partitions))
	for i, p := range h.partitions {
		outcomes[i] = &Outcome{p: p}
	}
	// The polynomial paths, partitions in parallel (they share nothing).
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	next := make(chan *Outcome)
	var wg sync.WaitGroup
	for range min(workers, len(outcomes)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := new(searchScratch) // this worker's, reused partition after partition
			for o := range next {
				c.decideFast(ctx, events, o, sc)
			}
		}()
	}
	for _, o := range outcomes {
		next <- o
	}
	close(next)
	wg.Wait()
	var searchQueue []*Outcome
	for _, o := range outcomes {
		if o.decision == BySearch && o.verdict == undecided {
			searchQueue = append(searchQueue, o)
		}
	}
	c.runFullSearches(ctx, events, searchQueue)
	c.explainSearchFailures(ctx, events, outcomes)
	return outcomes
}

// decideFast tries the paths that need no search: the zone check, a
// constructed order, the relaxations. What they cannot decide is left with
// decision BySearch.
func (c *Config) decideFast(ctx context.Context, events []history.Event, o *Outcome, sc *searchScratch) {
	p := o.p
	o.ops, o.stats = pruneIn(sc, p, true) // p.ops is not used after this
	switch {
	case !p.initialKnown:
		o.decision, o.verdict = ByNothing, Unknown
		o.reason = fmt.Sprintf("crash epoch %d has no \"restart\" snapshot, so the state it started from is unknown", p.key.epoch)
	case len(o.ops) == 0:
		o.decision, o.verdict = ByNothing, Valid
	case fastPathApplies(p, o.ops, o.stats):
		o.decision = ByZones
		if viols := checkZones(p, o.ops); len(viols) == 0 {
			o.verdict = Valid
		} else {
			c.reportZoneViolation(ctx, events, o, viols)
		}
	default:
		if hasRemoves(o.ops) && c.decideByBoundedSearch(ctx, events, o, sc) {
			return
		}
		// The search runs unguided: on hot keys a construction that does not
		// replay cost more as a guide than it saved (DESIGN.md).
		if order, _ := linearizeOrGuide(p, o.ops); order != nil {
			o.decision, o.verdict = ByOrder, Valid
		} else if order, ok := linearizeGreedy(p, o.ops); ok && verifyOrder(p.initial, o.ops, order) {
			o.decision, o.verdict = ByOrder, Valid
		} else if viols := relaxedZones(p, o.ops, o.stats); len(viols) > 0 {
			o.decision = ByRelaxation
			c.reportZoneViolation(ctx, events, o, viols)
		} else {
			o.decision = BySearch
		}
	}
}

// decideByBoundedSearch decides a partition with removes by the compact
// search under a step budget linear in its size, before any construction is
// tried (decideByFullSearch is the unbounded one, for what is left): the
// constructions must guess which content each found remove ends and which
// absence each read of absence saw, since neither names it, and on hot keys
// they guess wrong (DESIGN.md). It reports whether it decided:
// valid only with an order that replays; invalid (the search is exhaustive)
// explained by a relaxation's zone violation when one exists, else by the
// search's minimized witness. Out of budget, nothing is concluded and the
// partition takes the usual path (constructions, relaxations, the full
// search).
func (c *Config) decideByBoundedSearch(ctx context.Context, events []history.Event, o *Outcome, sc *searchScratch) bool {
	steps := int64(16*len(o.ops) + 100_000)
	if c.MaxSteps > 0 {
		steps = min(steps, c.MaxSteps)
	}
	budget := newSearchBudget(ctx, c.HeapLimitBytes, steps)
	budget.deadline = time.Now().Add(c.PartitionTimeout)
	v, order := runCompactSearch(sc, o.p.initial, o.ops, budget, searchSeed(o), nil)
	o.steps, o.cuts = budget.steps.Load(), budget.cuts.Load()
	switch {
	case v == Valid && verifyOrder(o.p.initial, o.ops, order):
		o.decision, o.verdict = BySearch, Valid
		return true
	case v == Invalid:
		if viols := relaxedZones(o.p, o.ops, o.stats); len(viols) > 0 {
			o.decision = ByRelaxation
			c.reportZoneViolation(ctx, events, o, viols)
			if o.verdict == Invalid {
				return true
			}
		}
		o.decision, o.verdict = BySearch, Invalid
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

func searchSeed(o *Outcome) uint64 {
	return uint64(len(o.ops))*0x9e3779b97f4a7c15 ^ uint64(o.p.key.epoch)
}

// reportZoneViolation picks the earliest of a zone check's violations; it is
// confirmed by porcupine on its (small) witness before it is reported. If
// porcupine disagrees, the zone check is not trusted for this partition and
// it goes to the search.
func (c *Config) reportZoneViolation(ctx context.Context, events []history.Event, o *Outcome, viols []zoneViolation) {
	best, bestLast := -1, uint64(0)
	var bestIdx []int
	for i, v := range viols {
		idx := withClampObservers(o.ops, v.ops)
		w := witnessEvents(events, o.p, o.ops, idx, false)
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
	confirm := porcupineSearch(ctx, o.p.initial, wops, 10*time.Second, c.HeapLimitBytes, 10_000_000, false)
	if confirm.verdict != Invalid {
		o.decision = BySearch // zone check and porcupine disagree: trust neither alone
		return
	}
	o.verdict = Invalid
	o.wops = wops
	o.witness = witnessEvents(events, o.p, o.ops, bestIdx, false)
	o.last = bestLast
	o.explanation = explainZoneViolation(events, o.p, o.ops, v)
}

func (c *Config) runFullSearches(ctx context.Context, events []history.Event, queue []*Outcome) {
	workers := c.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// Small partitions first: most are quick, and a hard one should not
	// hold up the rest.
	sort.SliceStable(queue, func(a, b int) bool { return len(queue[a].ops) < len(queue[b].ops) })
	work := make(chan *Outcome)
	var wg sync.WaitGroup
	for range min(workers, len(queue)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := new(searchScratch)
			for o := range work {
				c.decideByFullSearch(ctx, o, sc)
			}
		}()
	}
	for _, o := range queue {
		work <- o
	}
	close(work)
	wg.Wait()
}

// decideByFullSearch decides a partition by exhaustive search under the
// Config's budgets: the compact search (runCompactSearch: hashed cache,
// bounded memory) first; a valid verdict needs its
// linearization to replay. porcupine is used on small partitions when the
// compact search cannot give a verdict it can stand behind.
func (c *Config) decideByFullSearch(ctx context.Context, o *Outcome, sc *searchScratch) {
	budget := newSearchBudget(ctx, c.HeapLimitBytes, c.MaxSteps)
	deadline := time.Now().Add(c.PartitionTimeout)
	budget.deadline = deadline
	v, order := runCompactSearch(sc, o.p.initial, o.ops, budget, searchSeed(o), nil)
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
		sv := porcupineSearch(ctx, o.p.initial, o.ops, time.Until(deadline), c.HeapLimitBytes, c.MaxSteps, false)
		o.verdict, o.reason, o.steps = sv.verdict, sv.reason, o.steps+sv.steps
	}
}

// explainSearchFailures minimizes and explains partitions the search found
// invalid (a bounded number of them; the rest get the whole partition as
// witness).
func (c *Config) explainSearchFailures(ctx context.Context, events []history.Event, outcomes []*Outcome) {
	minimized := 0
	for _, o := range outcomes {
		if o.decision != BySearch || o.verdict != Invalid {
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
		o.witness = witnessEvents(events, o.p, wops, idx, true)
		if len(o.witness) > 0 {
			o.last = o.witness[len(o.witness)-1]
		}
		if len(wops) <= 2000 {
			sv := porcupineSearch(ctx, o.p.initial, wops, 10*time.Second, c.HeapLimitBytes, 10_000_000, true)
			if sv.verdict == Invalid {
				o.explanation = explainSearchViolation(events, o.p, wops, sv)
				continue
			}
		}
		o.explanation = fmt.Sprintf("%s is not linearizable (porcupine found no valid order of its %d operations; the witness was too large to explain step by step).\n", partitionName(o.p), len(wops))
	}
}
