package runner

import (
	"math"
	"sort"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

// OpLatency is the latency summary of one operation kind (or of all, Op
// "all"): invoke to completion, over ok completions only, since a failed or
// unknown operation's duration says nothing about the store's speed.
type OpLatency struct {
	Op      string        `json:"op"`
	Invoked int           `json:"invoked"`
	OK      int           `json:"ok"`
	Fail    int           `json:"fail"`
	Info    int           `json:"info"` // includes operations still pending at the end
	P50     time.Duration `json:"p50_ns"`
	P90     time.Duration `json:"p90_ns"`
	P99     time.Duration `json:"p99_ns"`
	P999    time.Duration `json:"p999_ns"`
	Max     time.Duration `json:"max_ns"`
}

// AllOps is the Op of the row that summarises every operation.
const AllOps = "all"

// Latencies summarises the operations invoked in [from, to] (ns since run
// start; to < 0 means no upper bound), one row per operation kind present,
// in a fixed order, then the "all" row. Operations are paired by process:
// the recorder guarantees a process has at most one outstanding operation.
func Latencies(events []history.Event, from, to int64) []OpLatency {
	type pending struct {
		op   history.Op
		time int64
	}
	open := map[int64]pending{}
	samples := map[history.Op][]time.Duration{}
	rows := map[history.Op]*OpLatency{}
	row := func(op history.Op) *OpLatency {
		r := rows[op]
		if r == nil {
			r = &OpLatency{Op: op.String()}
			rows[op] = r
		}
		return r
	}
	for i := range events {
		e := &events[i]
		if e.Kind != history.KindOp {
			continue
		}
		if e.Type == history.Invoke {
			if e.Time < from || (to >= 0 && e.Time > to) {
				continue
			}
			open[e.Process] = pending{e.Op, e.Time}
			row(e.Op).Invoked++
			continue
		}
		p, ok := open[e.Process]
		if !ok {
			continue
		}
		delete(open, e.Process)
		r := row(p.op)
		switch e.Type {
		case history.OK:
			r.OK++
			samples[p.op] = append(samples[p.op], time.Duration(e.Time-p.time))
		case history.Fail:
			r.Fail++
		default:
			r.Info++
		}
	}
	for _, p := range open {
		row(p.op).Info++
	}
	var out []OpLatency
	var all []time.Duration
	total := OpLatency{Op: AllOps}
	for op := history.OpPut; op <= history.OpLayout; op++ {
		r := rows[op]
		if r == nil {
			continue
		}
		s := samples[op]
		all = append(all, s...)
		fillQuantiles(r, s)
		out = append(out, *r)
		total.Invoked += r.Invoked
		total.OK += r.OK
		total.Fail += r.Fail
		total.Info += r.Info
	}
	fillQuantiles(&total, all)
	return append(out, total)
}

func fillQuantiles(r *OpLatency, s []time.Duration) {
	if len(s) == 0 {
		return
	}
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	r.P50 = quantile(s, 0.50)
	r.P90 = quantile(s, 0.90)
	r.P99 = quantile(s, 0.99)
	r.P999 = quantile(s, 0.999)
	r.Max = s[len(s)-1]
}

// quantile is the nearest-rank quantile of sorted s: the smallest sample
// with at least q of the samples at or below it.
func quantile(sorted []time.Duration, q float64) time.Duration {
	k := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(k, len(sorted)-1))]
}

// Finding is one review target next to what the run measured.
type Finding struct {
	Target   string        `json:"target"`
	Limit    time.Duration `json:"limit_ns"`
	Measured time.Duration `json:"measured_ns"`
	// Met is false when the target was missed; Samples is 0 when nothing
	// was measured (the target is then neither met nor missed).
	Met     bool   `json:"met"`
	Samples int    `json:"samples"`
	Note    string `json:"note,omitempty"`
}

// Evaluate compares each target with the latency rows and the wall time of
// the workers' phase.
func Evaluate(targets []workload.Target, rows []OpLatency, wall time.Duration) []Finding {
	var out []Finding
	for _, t := range targets {
		f := Finding{Target: t.String(), Limit: t.Limit}
		switch t.Kind {
		case workload.TargetWallTime:
			f.Measured, f.Samples = wall, 1
		case workload.TargetP99:
			name := AllOps
			if t.Op != 0 {
				name = t.Op.String()
			}
			for _, r := range rows {
				if r.Op == name {
					f.Measured, f.Samples = r.P99, r.OK
				}
			}
		}
		switch {
		case f.Samples == 0:
			f.Note = "not measured: no completed operation of that kind"
		case f.Measured < f.Limit:
			f.Met = true
		default:
			f.Note = "target missed (a finding, not a correctness failure)"
		}
		out = append(out, f)
	}
	return out
}
