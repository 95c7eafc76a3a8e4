package runner

import (
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

// opEvents builds invoke/complete pairs; each pair is (process, op, start, end, type).
func opEvents(pairs ...[5]int64) []history.Event {
	var ev []history.Event
	for _, p := range pairs {
		ev = append(ev,
			history.Event{Kind: history.KindOp, Type: history.Invoke, Process: p[0], Op: history.Op(p[1]), Time: p[2]},
			history.Event{Kind: history.KindOp, Type: history.Type(p[4]), Process: p[0], Op: history.Op(p[1]), Time: p[3]})
	}
	return ev
}

func TestLatencies(t *testing.T) {
	var pairs [][5]int64
	for i := int64(1); i <= 100; i++ { // put latencies 1..100 µs
		pairs = append(pairs, [5]int64{1, int64(history.OpPut), i * 1000, i*1000 + i*1000, int64(history.OK)})
	}
	pairs = append(pairs,
		[5]int64{2, int64(history.OpGet), 10, 20, int64(history.OK)},
		[5]int64{2, int64(history.OpGet), 30, 40_000_000, int64(history.Fail)}, // failed: no sample
		[5]int64{3, int64(history.OpGet), 50, 60, int64(history.Info)},
	)
	ev := opEvents(pairs...)
	ev = append(ev, history.Event{Kind: history.KindOp, Type: history.Invoke, Process: 9, Op: history.OpSync, Time: 70})
	rows := Latencies(ev, 0, -1)
	get := func(op string) OpLatency {
		for _, r := range rows {
			if r.Op == op {
				return r
			}
		}
		t.Fatalf("no row %s in %+v", op, rows)
		return OpLatency{}
	}
	put := get("put")
	if put.OK != 100 || put.P50 != 50*time.Microsecond || put.P99 != 99*time.Microsecond || put.Max != 100*time.Microsecond {
		t.Fatalf("put row %+v", put)
	}
	g := get("get")
	if g.Invoked != 3 || g.OK != 1 || g.Fail != 1 || g.Info != 1 || g.Max != 10 {
		t.Fatalf("get row %+v", g)
	}
	if s := get("sync"); s.Info != 1 || s.OK != 0 {
		t.Fatalf("pending sync row %+v", s)
	}
	all := get(AllOps)
	if all.OK != 101 || all.Invoked != 104 || all.Max != 100*time.Microsecond {
		t.Fatalf("all row %+v", all)
	}
	// A window excludes operations invoked outside it.
	rows = Latencies(ev, 50_000, 60_000)
	if len(rows) != 2 || rows[0].Op != "put" || rows[0].OK != 11 {
		t.Fatalf("windowed rows %+v", rows)
	}
}

func TestEvaluate(t *testing.T) {
	rows := []OpLatency{{Op: "put", OK: 10, P99: 6 * time.Millisecond}, {Op: "get", OK: 10, P99: 100 * time.Microsecond}, {Op: AllOps, OK: 20, P99: 6 * time.Millisecond}}
	targets := []workload.Target{
		{Kind: workload.TargetP99, Op: history.OpPut, Limit: 5 * time.Millisecond},
		{Kind: workload.TargetP99, Op: history.OpGet, Limit: time.Millisecond},
		{Kind: workload.TargetP99, Op: history.OpIterate, Limit: time.Millisecond},
		{Kind: workload.TargetP99, Limit: 10 * time.Millisecond},
		{Kind: workload.TargetWallTime, Limit: 2 * time.Second},
	}
	f := Evaluate(targets, rows, 3*time.Second)
	want := []struct {
		met     bool
		samples int
	}{{false, 10}, {true, 10}, {false, 0}, {true, 20}, {false, 1}}
	for i, w := range want {
		if f[i].Met != w.met || f[i].Samples != w.samples {
			t.Errorf("finding %d (%s): met %v samples %d, want %v %d", i, f[i].Target, f[i].Met, f[i].Samples, w.met, w.samples)
		}
	}
}
