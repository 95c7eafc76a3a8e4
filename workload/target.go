package workload

import (
	"fmt"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// TargetKind says what a target measures.
type TargetKind uint8

const (
	// TargetP99 bounds the 99th percentile latency of one operation (or of
	// every operation when Op is 0), invoke to completion, ok completions only.
	TargetP99 TargetKind = iota + 1
	// TargetWallTime bounds the workers' phase of the run, first invoke to
	// last completion.
	TargetWallTime
)

// Target is one of the review's performance goals for a scenario.
type Target struct {
	Kind  TargetKind
	Op    history.Op // TargetP99 only; 0 means every operation
	Limit time.Duration
}

// Metric names what the target measures, e.g. "p99 put latency".
func (t Target) Metric() string {
	switch t.Kind {
	case TargetP99:
		if t.Op == 0 {
			return "p99 latency (all operations)"
		}
		return "p99 " + t.Op.String() + " latency"
	case TargetWallTime:
		return "wall time"
	}
	return "unknown target"
}

// String is e.g. "p99 put latency < 5ms".
func (t Target) String() string { return fmt.Sprintf("%s < %s", t.Metric(), t.Limit) }

func p99(op history.Op, limit time.Duration) Target {
	return Target{Kind: TargetP99, Op: op, Limit: limit}
}

func wall(limit time.Duration) Target { return Target{Kind: TargetWallTime, Limit: limit} }
