package register

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker/internal/synth"
	"github.com/warmcheck/warmcheck/history"
)

// crossCheck compares, partition by partition, (1) the zone check against
// porcupine on the same pruned operations, wherever the zone check applies,
// and (2) porcupine on the pruned operations against porcupine on the raw
// ones (pruning must not change a verdict). Then the whole check against
// plain porcupine. It returns the verdict and how many partitions the zone
// check decided.
// pathCounts counts how often each path decided, across a cross-check run.
type pathCounts struct{ greedy, greedyMissed, relaxed, constructed int }

func crossCheck(t *testing.T, events []history.Event, label string, pc *pathCounts) (Verdict, int) {
	t.Helper()
	ctx := context.Background()
	h, err := extractRegister(events)
	if err != nil {
		t.Fatalf("%s: %v", label, err)
	}
	zones := 0
	for _, p := range h.partitions {
		raw := porcupineSearch(ctx, p.initial, p.ops, 20*time.Second, 0, 0, false)
		pruned, st := prune(p)
		ps := porcupineSearch(ctx, p.initial, pruned, 20*time.Second, 0, 0, false)
		if raw.verdict == Unknown || ps.verdict == Unknown {
			t.Fatalf("%s: porcupine undecided on a tiny history", label)
		}
		if raw.verdict != ps.verdict {
			t.Fatalf("%s: %s: pruning changed porcupine's verdict from %s to %s\nraw %+v\npruned %+v", label, partitionName(p), raw.verdict, ps.verdict, p.ops, pruned)
		}
		for _, sub := range [][]regOp{p.ops, pruned} {
			cv, order := runCompactSearch(nil, p.initial, sub, newSearchBudget(ctx, 0, 0), 1, nil)
			want := raw.verdict
			if cv != want || (cv == Valid && !verifyOrder(p.initial, sub, order)) {
				t.Fatalf("%s: %s: compact search says %s, porcupine %s", label, partitionName(p), cv, want)
			}
		}
		if _, guide := linearizeOrGuide(p, pruned); guide != nil {
			gv, order := runCompactSearch(nil, p.initial, pruned, newSearchBudget(ctx, 0, 0), 2, guide)
			if gv != ps.verdict || (gv == Valid && !verifyOrder(p.initial, pruned, order)) {
				t.Fatalf("%s: %s: guided search says %s, porcupine %s", label, partitionName(p), gv, ps.verdict)
			}
		}
		if order, ok := linearizeByZones(p, pruned); ok && verifyOrder(p.initial, pruned, order) {
			pc.constructed++
			if ps.verdict != Valid {
				t.Fatalf("%s: %s: verified zone construction on a history porcupine rejects", label, partitionName(p))
			}
		}
		if order, ok := linearizeGreedy(p, pruned); ok && verifyOrder(p.initial, pruned, order) {
			pc.greedy++
			if ps.verdict != Valid {
				t.Fatalf("%s: %s: verified greedy order on a history porcupine rejects", label, partitionName(p))
			}
		} else if ps.verdict == Valid && !fastPathApplies(p, pruned, st) {
			pc.greedyMissed++
		}
		if viols := relaxedZones(p, pruned, st); len(viols) > 0 {
			pc.relaxed++
			if ps.verdict != Invalid {
				t.Fatalf("%s: %s: relaxation (level %d) rejects what porcupine accepts\nops %+v", label, partitionName(p), viols[0].level, pruned)
			}
		}
		if fastPathApplies(p, pruned, st) {
			zones++
			zv := Valid
			if len(checkZones(p, pruned)) > 0 {
				zv = Invalid
			}
			if zv != ps.verdict {
				t.Fatalf("%s: %s: zone check says %s, porcupine %s\nops %+v", label, partitionName(p), zv, ps.verdict, pruned)
			}
		}
	}
	plain, _ := plainPorcupine(ctx, events, 20*time.Second, 0)
	r := runCheck(t, ctx, events, testConfig())
	if r.Verdict != plain {
		t.Fatalf("%s: check says %s, plain porcupine %s\n%s\n%s", label, r.Verdict, plain, r.Summary, r.Explanation)
	}
	if r.Verdict == Invalid && len(r.Witness) == 0 {
		t.Fatalf("%s: invalid without a witness", label)
	}
	return r.Verdict, zones
}

func crossCheckMany(t *testing.T, n int, mix func(rng *rand.Rand, cfg *synth.Config)) {
	valid, invalid, zones := 0, 0, 0
	var pc pathCounts
	for seed := uint64(1); seed <= uint64(n); seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		cfg := synth.Config{
			Seed:     seed,
			Workers:  2 + rng.IntN(4),
			Memories: 1 + rng.IntN(2),
			Ops:      4 + rng.IntN(20),
			InfoRate: []float64{0, 0.1, 0.3}[rng.IntN(3)],
			FailRate: []float64{0, 0.1}[rng.IntN(2)],
			Crashes:  []int{0, 0, 1}[rng.IntN(3)],
			Initial:  rng.IntN(3) == 0,
			// Short think times relative to durations: heavy overlap.
			MeanDuration: 1000, MeanGap: float64(50 + rng.IntN(1000)),
		}
		mix(rng, &cfg)
		events := synth.Generate(cfg)
		v, z := crossCheck(t, events, "valid seed "+itoa(seed), &pc)
		if v != Valid {
			t.Fatalf("seed %d: a generated linearizable history was judged %s", seed, v)
		}
		zones += z
		valid++
		if synth.Mutate(events, rng) {
			v, z := crossCheck(t, events, "mutated seed "+itoa(seed), &pc)
			zones += z
			if v == Invalid {
				invalid++
			}
		}
	}
	t.Logf("%d valid histories, %d mutated ones invalid; zone check decided %d partitions; zone construction verified %d; greedy order verified %d, missed %d valid non-put/get; relaxations rejected %d",
		valid, invalid, zones, pc.constructed, pc.greedy, pc.greedyMissed, pc.relaxed)
	if invalid < n/5 {
		t.Fatalf("only %d of %d mutations were invalid: the cross-check is not exercising rejection", invalid, n)
	}
}

func itoa(n uint64) string {
	const digits = "0123456789"
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{digits[n%10]}, b...)
	}
	return string(b)
}

func TestCrossCheckPutGetAgainstPorcupine(t *testing.T) {
	crossCheckMany(t, 2000, func(rng *rand.Rand, cfg *synth.Config) {
		cfg.Put, cfg.Get = 1+rng.IntN(3), 1+rng.IntN(3)
	})
}

func TestCrossCheckAllOpsAgainstPorcupine(t *testing.T) {
	crossCheckMany(t, 1000, func(rng *rand.Rand, cfg *synth.Config) {
		cfg.Put, cfg.Get, cfg.Remove, cfg.Update = 1+rng.IntN(3), 1+rng.IntN(3), rng.IntN(2), rng.IntN(2)
	})
}
