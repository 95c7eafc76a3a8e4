package checker

import (
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// panicWindow: worker 1's put panics (info) inside a panic fault window.
func panicWindow(b *wsb) {
	b.nemesis("panic", history.NemesisStart, history.Nemesis{Target: "after-slot-alloc"})
	b.putInv(1, "a", wval(1))
	b.done(1, history.Info, nil)
	b.nemesis("panic", history.NemesisEnd, history.Nemesis{Target: "after-slot-alloc", Hits: map[string]uint64{"after-slot-alloc": 1}})
}

func TestRecoveryAcceptsServingAfterPanic(t *testing.T) {
	b := newWSB()
	b.put(1, "x", wval(9), wpl(0, 0, 100, 0))
	panicWindow(b)
	b.put(1, "a", wval(2), wpl(1, 100, 100, 0))
	b.get(2, "a", true, wval(2))
	b.sleep(int64(10 * time.Second))
	b.get(2, "a", true, wval(2))
	wantWS(t, runWS(t, recoveryCheck{bound: 5 * time.Second}, b), Valid)
}

func TestRecoveryRejectsHungWorker(t *testing.T) {
	// panic-holds-lock: after the panic, worker 1's next op blocks until the
	// runner's timeout records it info 30 s later.
	b := newWSB()
	panicWindow(b)
	b.putInv(1, "a", wval(2))
	b.get(2, "x", false, history.Value{})
	b.sleep(int64(30 * time.Second))
	b.done(1, history.Info, nil)
	wantWS(t, runWS(t, recoveryCheck{bound: 5 * time.Second}, b), Invalid)
}

func TestRecoveryRejectsPendingForever(t *testing.T) {
	b := newWSB()
	b.put(1, "x", wval(9), wpl(0, 0, 100, 0))
	b.putInv(1, "a", wval(2))
	b.sleep(int64(time.Second))
	b.get(2, "x", true, wval(9))
	wantWS(t, runWS(t, recoveryCheck{bound: 5 * time.Second}, b), Invalid)
	// A damaged file explains the missing completion.
	in := b.input()
	in.Damage = errDamagedForTest{}
	if r := (recoveryCheck{bound: 5 * time.Second}).Run(t.Context(), in); r.Verdict != Valid {
		t.Fatalf("with damage: %s %s", r.Verdict, r.Summary)
	}
}

type errDamagedForTest struct{}

func (errDamagedForTest) Error() string { return "damaged at byte 42" }

func TestRecoveryRejectsStoreThatOnlyFails(t *testing.T) {
	b := newWSB()
	panicWindow(b)
	for i := 0; i < 10; i++ {
		b.putInv(1, "a", wval(10+i))
		b.done(1, history.Fail, nil)
		b.sleep(int64(time.Second))
	}
	wantWS(t, runWS(t, recoveryCheck{bound: 5 * time.Second}, b), Invalid)
}

func TestRecoveryStretchesBoundOverPause(t *testing.T) {
	b := newWSB()
	panicWindow(b)
	b.nemesis("pause", history.NemesisStart, history.Nemesis{})
	b.putInv(1, "a", wval(2))
	b.sleep(int64(8 * time.Second))
	b.nemesis("pause", history.NemesisEnd, history.Nemesis{})
	b.putOK(1, wpl(1, 100, 100, 0))
	wantWS(t, runWS(t, recoveryCheck{bound: 5 * time.Second}, b), Valid)
}
