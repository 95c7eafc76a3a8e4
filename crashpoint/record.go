package crashpoint

import (
	"fmt"

	"github.com/warmcheck/warmcheck/store"
)

// Recording is one run of a workload: its operations with their outcomes and
// the persistence steps, in order.
type Recording struct {
	Ops   []Op
	Steps []Step
}

// Record runs ops (modified in place: outcome and step range) on a fresh
// store in dir with the given seeded bugs, recording every persistence step.
// The store runs no group commit: only the workload's Syncs persist, so the
// recording is a function of the plan alone.
func Record(dir string, ops []Op, bugs []store.Bug) (*Recording, error) {
	rec := &recorder{cur: -1}
	s, err := store.Open(dir, store.Options{GroupCommit: -1, Bugs: bugs, PersistLog: rec})
	if err != nil {
		return nil, fmt.Errorf("crashpoint: open %s: %w", dir, err)
	}
	for i := range ops {
		op := &ops[i]
		rec.cur = i
		op.FirstStep = len(rec.steps)
		var l store.Lookup
		switch op.Kind {
		case OpPut:
			_, err = s.Put(op.ID, op.Value.memory())
		case OpRemove:
			l, err = s.Remove(op.ID)
		case OpUpdate:
			l, err = s.UpdateActivation(op.ID, op.Activation)
		case OpSync:
			err = s.Sync()
		case OpCompact:
			_, err = s.Compact()
		}
		op.EndStep = len(rec.steps)
		op.Found = l == store.Found
		if err != nil {
			op.Err = err.Error()
		} else {
			op.Acked = true
		}
	}
	rec.cur = len(ops)
	if err := s.Close(); err != nil {
		return nil, fmt.Errorf("crashpoint: close %s: %w", dir, err)
	}
	return &Recording{Ops: ops, Steps: rec.steps}, nil
}
