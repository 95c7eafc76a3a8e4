package nemesis

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/warmcheck/warmcheck/client"
)

// compactNemesis: a compaction started while the load runs. The fault lasts
// as long as the compaction.
type compactNemesis struct{}

func (compactNemesis) Name() string { return "compact" }
func (compactNemesis) Description() string {
	return "run a compaction while the workload runs (the fault lasts as long as the compaction)"
}
func (n compactNemesis) Supports(t Target) error {
	if ct, ok := t.(compactionTarget); ok && !ct.HasCompaction() {
		return fmt.Errorf("%s needs a store that compacts (capability compact, PROTOCOL.md)", n.Name())
	}
	return nil
}
func (compactNemesis) Plan(*rand.Rand, *Fault, Reach) {}

// Start only announces the compaction; Stop runs it, so that its result
// can go in the end event (Outcome.Compaction). The fault still lasts exactly
// as long as the compaction: nothing happens between Start and Stop.
func (compactNemesis) Start(context.Context, Target, Fault) (string, error) {
	return "compacting", nil
}
func (compactNemesis) Wait(context.Context, Target, Fault) {}
func (compactNemesis) Stop(ctx context.Context, t Target, _ Fault) (Outcome, error) {
	cs, err := t.Client().Compact(ctx)
	if err != nil {
		// A compaction already running (a worker's) or a failpoint error is
		// an outcome of the fault, not a failure of the nemesis.
		return Outcome{Detail: fmt.Sprintf("compaction failed: %v", err)}, nil
	}
	return Outcome{Compaction: client.CompactionOf(cs),
		Detail: fmt.Sprintf("compacted to epoch %d: %d -> %d bytes, %d moved in %v",
			cs.Epoch, cs.BytesBefore, cs.BytesAfter, cs.Moved, cs.Duration)}, nil
}
