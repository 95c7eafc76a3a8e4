package checker

import (
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// progressBound is the stall bound of the histories below: recovery bound
// 5 s plus the header's 2 s operation timeout.
const progressBound = 7 * time.Second

func newProgressWSB() *wsb {
	b := newWSB()
	b.h.OpTimeoutNanos = int64(2 * time.Second)
	return b
}

func progress() progressCheck { return progressCheck{recoveryBound: DefaultRecoveryBound} }

// timeouts makes worker w time out (info) n times, each call lasting d.
func timeouts(b *wsb, w int32, n int, d time.Duration) {
	for i := 0; i < n; i++ {
		b.inv(w, history.OpGet, "x", nil)
		b.sleep(int64(d))
		b.done(w, history.Info, nil)
	}
}

// TestProgressRejectsDeadlock: a worker's calls time out for 12 s with no
// fault injected while another worker is fine: a stall, named.
func TestProgressRejectsDeadlock(t *testing.T) {
	b := newProgressWSB()
	b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
	b.sleep(int64(time.Second))
	timeouts(b, 1, 6, 2*time.Second)
	b.get(2, "x", true, wval(1)) // another worker's ok does not end worker 1's drought
	b.get(1, "x", true, wval(1))
	r := runWS(t, progress(), b)
	wantWS(t, r, Invalid)
	if !strings.Contains(r.Summary, "worker 1 got no answer from 1s to 13s") || !strings.Contains(r.Summary, `get "x"`) {
		t.Fatalf("summary does not say which worker waited on what since when: %s", r.Summary)
	}
	if !strings.HasPrefix(r.Explanation, ErrStalled.Error()) || len(r.Witness) == 0 {
		t.Fatalf("explanation %q, witness %v", r.Explanation, r.Witness)
	}
}

// TestProgressRejectsCallPendingForever: a call that never returned in an
// intact history, no fault: a stall however short the history after it.
func TestProgressRejectsCallPendingForever(t *testing.T) {
	b := newProgressWSB()
	b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
	b.putInv(1, "y", wval(2))
	b.sleep(int64(time.Second))
	b.get(2, "x", true, wval(1))
	r := runWS(t, progress(), b)
	wantWS(t, r, Invalid)
	if !strings.Contains(r.Summary, `worker 1 waited on put "y" since`) {
		t.Fatalf("summary: %s", r.Summary)
	}
	// A damaged file cut the completion off: not a hang.
	in := b.input()
	in.Damage = errDamagedForTest{}
	if r := progress().Run(t.Context(), in); r.Verdict != Valid {
		t.Fatalf("with damage: %s %s", r.Verdict, r.Summary)
	}
}

// TestProgressAcceptsStallInsideFaultWindows: the same stretches inside a
// sleep, pause or kill window are explained.
func TestProgressAcceptsStallInsideFaultWindows(t *testing.T) {
	for _, fault := range []string{"sleep", "pause", "kill"} {
		b := newProgressWSB()
		b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
		b.nemesis(fault, history.NemesisStart, history.Nemesis{Target: "get"})
		timeouts(b, 1, 5, 2*time.Second)
		b.nemesis(fault, history.NemesisEnd, history.Nemesis{Target: "get"})
		timeouts(b, 1, 3, 2*time.Second) // 6 s after the end: under the bound
		b.get(1, "x", true, wval(1))
		wantWS(t, runWS(t, progress(), b), Valid)

		// A history cut by damage while the fault was still on: the
		// window lasts to its end.
		b = newProgressWSB()
		b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
		b.nemesis(fault, history.NemesisStart, history.Nemesis{Target: "get"})
		timeouts(b, 1, 5, 2*time.Second)
		in := b.input()
		in.Damage = errDamagedForTest{}
		if r := progress().Run(t.Context(), in); r.Verdict != Valid {
			t.Fatalf("%s window open at the damage: %s %s", fault, r.Verdict, r.Summary)
		}
		// In an intact history the nemesis never ended it: it hung on
		// the store, and the window explains nothing.
		wantWS(t, runWS(t, progress(), b), Invalid)
	}
}

// TestProgressRejectsStallOutlivingItsFault: a window explains its own
// stretch, not a store that never comes back.
func TestProgressRejectsStallOutlivingItsFault(t *testing.T) {
	b := newProgressWSB()
	b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
	b.nemesis("sleep", history.NemesisStart, history.Nemesis{Target: "get"})
	timeouts(b, 1, 2, 2*time.Second)
	b.nemesis("sleep", history.NemesisEnd, history.Nemesis{Target: "get"})
	timeouts(b, 1, 4, 2*time.Second) // 8 s after the end: past the 7 s bound
	b.get(1, "x", true, wval(1))
	wantWS(t, runWS(t, progress(), b), Invalid)
}

// TestProgressBoundEdges: a drought of exactly the stall bound is a stall,
// one nanosecond less is not; the terminating ok call is not counted; a
// header without the operation timeout gets the 5 s default.
func TestProgressBoundEdges(t *testing.T) {
	// invoke, d, info completion (+1 µs), then an ok: the drought is d + 1 µs.
	drought := func(opTimeout time.Duration, d time.Duration) *wsb {
		b := newWSB()
		b.h.OpTimeoutNanos = int64(opTimeout)
		b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
		timeouts(b, 1, 1, d)
		b.get(1, "x", true, wval(1))
		return b
	}
	const step = time.Microsecond
	wantWS(t, runWS(t, progress(), drought(2*time.Second, progressBound-step)), Invalid)
	wantWS(t, runWS(t, progress(), drought(2*time.Second, progressBound-step-1)), Valid)
	wantWS(t, runWS(t, progress(), drought(0, 10*time.Second-step)), Invalid)
	wantWS(t, runWS(t, progress(), drought(0, 10*time.Second-step-1)), Valid)

	// Idle time between unanswered calls is not waiting: quick infos 5 s
	// apart.
	b := newProgressWSB()
	for i := 0; i < 5; i++ {
		b.inv(1, history.OpGet, "x", nil)
		b.done(1, history.Info, nil)
		b.sleep(int64(5 * time.Second))
	}
	b.get(1, "x", true, wval(1))
	wantWS(t, runWS(t, progress(), b), Valid)

	// A fail is an answer: a full store refusing every put for 20 s is
	// alive, and a fail between timeouts ends the drought.
	b = newProgressWSB()
	for i := 0; i < 200; i++ {
		b.putInv(1, "b", wval(i))
		b.done(1, history.Fail, nil)
		b.sleep(int64(100 * time.Millisecond))
	}
	timeouts(b, 1, 3, 2*time.Second)
	b.inv(1, history.OpGet, "x", nil)
	b.done(1, history.Fail, nil)
	timeouts(b, 1, 3, 2*time.Second)
	wantWS(t, runWS(t, progress(), b), Valid)

	// One slow call that ends ok made progress, however late.
	b = newProgressWSB()
	b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
	b.inv(1, history.OpCompact, "", nil)
	b.sleep(int64(20 * time.Second))
	b.done(1, history.OK, &history.Output{Compaction: &history.Compaction{}})
	wantWS(t, runWS(t, progress(), b), Valid)

	// A stretch split by fault windows: 4 s + 4 s outside them add up, the
	// 3 s inside one do not count.
	b = newProgressWSB()
	b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
	timeouts(b, 1, 2, 2*time.Second)
	b.nemesis("pause", history.NemesisStart, history.Nemesis{})
	timeouts(b, 1, 1, 3*time.Second)
	b.nemesis("pause", history.NemesisEnd, history.Nemesis{})
	timeouts(b, 1, 2, 2*time.Second)
	b.get(1, "x", true, wval(1))
	r := runWS(t, progress(), b)
	wantWS(t, r, Invalid)
	if u := r.Details["unexplained_ns"].(int64); u < int64(8*time.Second) || u > int64(8*time.Second+time.Millisecond) {
		t.Fatalf("unexplained %v, want 8s", time.Duration(u))
	}
	// Frequent short faults explain only their own time: 0.2 s windows
	// every 2 s of a 20 s deadlock leave 18 s unexplained.
	b = newProgressWSB()
	b.put(1, "x", wval(1), wpl(0, 0, 100, 0))
	b.inv(1, history.OpGet, "x", nil)
	for i := 0; i < 10; i++ {
		b.sleep(int64(1800 * time.Millisecond))
		b.nemesis("sleep", history.NemesisStart, history.Nemesis{})
		b.sleep(int64(200 * time.Millisecond))
		b.nemesis("sleep", history.NemesisEnd, history.Nemesis{})
	}
	b.done(1, history.Info, nil)
	wantWS(t, runWS(t, progress(), b), Invalid)
}

// TestUncoveredSpans checks the interval arithmetic against a direct count.
func TestUncoveredSpans(t *testing.T) {
	spans := []span{{10, 20}, {30, 40}, {50, 60}}
	for _, c := range []struct{ from, to, want int64 }{
		{0, 70, 40}, {0, 10, 10}, {10, 20, 0}, {15, 35, 10}, {20, 30, 10}, {45, 55, 5}, {60, 61, 1}, {5, 5, 0}, {35, 36, 0},
	} {
		if got := uncovered(c.from, c.to, spans); got != c.want {
			t.Errorf("uncovered(%d, %d) = %d, want %d", c.from, c.to, got, c.want)
		}
	}
	for _, c := range []struct {
		at   int64
		want bool
	}{{9, false}, {10, true}, {20, true}, {25, false}, {60, true}, {61, false}} {
		if got := inSpans(c.at, spans); got != c.want {
			t.Errorf("inSpans(%d) = %v, want %v", c.at, got, c.want)
		}
	}
}

// TestProgressRejectsLockedKey: writes of "b" time out one after another,
// from four workers that each get oks in between (no worker's drought is
// long): a lock left held on b's shard. 4 × 2 s outside any fault reach
// the 7 s bound.
func TestProgressRejectsLockedKey(t *testing.T) {
	b := newProgressWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	for w := int32(1); w <= 4; w++ {
		b.get(w, "a", true, wval(1))
		b.putInv(w, "b", wval(int(w)))
		b.sleep(int64(2 * time.Second))
		b.done(w, history.Info, nil)
		b.get(w, "a", true, wval(1))
	}
	r := runWS(t, progress(), b)
	wantWS(t, r, Invalid)
	if !strings.Contains(r.Summary, `4 calls of writes of "b" by 4 workers got no answer`) {
		t.Fatalf("summary: %s", r.Summary)
	}
}

// TestProgressKeyDroughtsCountWaitingOnce: concurrent calls on one key
// count their overlap once, an ok on the key ends its drought, and quick
// fails add up to little.
func TestProgressKeyDroughtsCountWaitingOnce(t *testing.T) {
	b := newProgressWSB()
	for w := int32(1); w <= 6; w++ { // six writes of b waiting the same 2 s
		b.putInv(w, "b", wval(int(w)))
	}
	b.sleep(int64(2 * time.Second))
	for w := int32(1); w <= 6; w++ {
		b.done(w, history.Info, nil)
	}
	wantWS(t, runWS(t, progress(), b), Valid)

	b = newProgressWSB()
	for round := 0; round < 2; round++ { // 6 s, an ok write of b, 6 s
		for w := int32(1); w <= 3; w++ {
			b.putInv(w, "b", wval(int(w)))
			b.sleep(int64(2 * time.Second))
			b.done(w, history.Info, nil)
		}
		b.put(4, "b", wval(9), wpl(0, 0, 100, 0))
	}
	wantWS(t, runWS(t, progress(), b), Valid)

	b = newProgressWSB()
	for i := 0; i < 200; i++ { // compactions refused while another runs
		b.inv(int32(i%5), history.OpCompact, "", nil)
		b.sleep(int64(time.Millisecond))
		b.done(int32(i%5), history.Fail, nil)
		b.sleep(int64(100 * time.Millisecond))
	}
	wantWS(t, runWS(t, progress(), b), Valid)
}
