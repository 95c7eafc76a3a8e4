package checker

import "time"

// fmtTime renders a history time (nanoseconds since the run began) for
// explanations.
func fmtTime(ns int64) string { return time.Duration(ns).String() }
