package runner

import (
	"context"
	"fmt"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

// execute performs op through c (a recording handle). The error is already
// in the history; the runner only needs it to count.
func execute(ctx context.Context, c client.Client, op workload.Op) error {
	var err error
	switch op.Kind {
	case history.OpPut:
		_, err = c.Put(ctx, op.ID, op.Memory)
	case history.OpGet:
		_, _, err = c.Get(ctx, op.ID)
	case history.OpRemove:
		_, err = c.Remove(ctx, op.ID)
	case history.OpUpdateActivation:
		_, err = c.UpdateActivation(ctx, op.ID, op.Activation)
	case history.OpIterate:
		_, err = c.Iterate(ctx)
	case history.OpRecall:
		_, err = c.Recall(ctx, op.Threshold)
	case history.OpCompact:
		_, err = c.Compact(ctx)
	case history.OpSync:
		err = c.Sync(ctx)
	case history.OpStats:
		_, err = c.Stats(ctx)
	case history.OpLayout:
		_, err = c.Layout(ctx)
	default:
		return fmt.Errorf("runner: workload produced unknown operation %d", op.Kind)
	}
	return err
}
