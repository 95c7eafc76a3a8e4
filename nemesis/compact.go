package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// compactNemesis: a compaction started while the load runs. The fault lasts
// as long as the compaction.
type compactNemesis struct{}

func (compactNemesis) Name() string { return "compact" }
func (compactNemesis) Description() string {
	return "run a compaction while the workload runs (the fault lasts as long as the compaction)"
}
func (compactNemesis) Supports(Target) error          { return nil }
func (compactNemesis) Plan(*rand.Rand, *Fault, Reach) {}
func (compactNemesis) Start(ctx context.Context, t Target, _ Fault) (string, error) {
	cs, err := t.Client().Compact(ctx)
	if err != nil {
		// A compaction already running (a worker's) or a failpoint error is
		// an outcome of the fault, not a failure of the nemesis.
		return fmt.Sprintf("compaction failed: %v", err), nil
	}
	return fmt.Sprintf("compacted to epoch %d: %d -> %d bytes, %d moved in %v",
		cs.Epoch, cs.BytesBefore, cs.BytesAfter, cs.Moved, cs.Duration), nil
}
func (compactNemesis) Wait(context.Context, Target, Fault) {}
func (compactNemesis) Stop(context.Context, Target, Fault) (Outcome, error) {
	return Outcome{Detail: "compaction returned"}, nil
}
