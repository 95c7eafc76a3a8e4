package register

import (
	"context"
	"math/rand/v2"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/checker/internal/synth"
)

// TestCrossCheckSearchHotMix holds the exhaustive search (runCompactSearch,
// with its doom tracker cutting branches) to plain porcupine on small
// one-memory histories in the hot-spot mix with removes made frequent:
// generated linearizable ones and mutated, mostly invalid, ones. Every
// partition must get the same verdict from both, on the raw operations and
// on the pruned ones, and a valid search verdict must come with an order
// that replays. The cuts must actually fire, or the test proves nothing.
func TestCrossCheckSearchHotMix(t *testing.T) {
	ctx := context.Background()
	n := 300
	if testing.Short() {
		n = 100
	}
	if os.Getenv("WARMCHECK_LONG") != "" {
		n = 30000
	}
	var valid, invalid, partitions int
	var cuts int64
	// The check reuses one scratch per worker across partitions of every
	// size and verdict: so does this, next to fresh maps (nil scratch).
	sc := new(searchScratch)
	for seed := uint64(1); seed <= uint64(n); seed++ {
		rng := rand.New(rand.NewPCG(seed, 11))
		cfg := synth.Config{
			Seed:     seed,
			Workers:  3 + rng.IntN(6),
			Memories: 1,
			Ops:      10 + rng.IntN(30),
			Put:      45, Get: 45,
			Update:       []int{0, 6, 20}[rng.IntN(3)],
			Remove:       []int{2, 10, 25}[rng.IntN(3)],
			InfoRate:     []float64{0, 0.05, 0.2}[rng.IntN(3)],
			FailRate:     []float64{0, 0.05}[rng.IntN(2)],
			Crashes:      []int{0, 0, 1}[rng.IntN(3)],
			Initial:      rng.IntN(3) == 0,
			MeanDuration: 1000, MeanGap: float64(20 + rng.IntN(600)),
		}
		events := synth.Generate(cfg)
		for round := 0; round < 3; round++ {
			if round > 0 && !synth.Mutate(events, rng) {
				break
			}
			h, err := extractRegister(events)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range h.partitions {
				partitions++
				want := porcupineSearch(ctx, p.initial, p.ops, 20*time.Second, 0, 0, false)
				if want.verdict == Unknown {
					t.Fatalf("seed %d round %d: porcupine undecided on a tiny history", seed, round)
				}
				if round == 0 && want.verdict != Valid {
					t.Fatalf("seed %d: porcupine rejects a generated history", seed)
				}
				pruned, st := prune(p)
				if again, st2 := pruneIn(sc, p, false); !reflect.DeepEqual(again, pruned) || st2 != st {
					t.Fatalf("seed %d round %d %s: pruning with a reused scratch differs", seed, round, partitionName(p))
				}
				for _, ops := range [][]regOp{p.ops, pruned} {
					for _, scratch := range []*searchScratch{nil, sc} {
						b := newSearchBudget(ctx, 0, 0)
						got, order := runCompactSearch(scratch, p.initial, ops, b, seed, nil)
						cuts += b.cuts.Load()
						if got != want.verdict || (got == Valid && !verifyOrder(p.initial, ops, order)) {
							t.Fatalf("seed %d round %d %s (scratch %v): compact search says %s, porcupine %s\nops %+v", seed, round, partitionName(p), scratch != nil, got, want.verdict, ops)
						}
					}
				}
				if want.verdict == Valid {
					valid++
				} else {
					invalid++
				}
			}
		}
	}
	t.Logf("%d partitions: %d valid, %d invalid; the doom tracker refused %d steps", partitions, valid, invalid, cuts)
	if invalid < n/4 || cuts < int64(n) {
		t.Fatalf("the cross-check is not exercising rejection (%d invalid) or the cuts (%d)", invalid, cuts)
	}
}
