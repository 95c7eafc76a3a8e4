package checker

import (
	"context"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

const old2020 = int64(1_577_836_800_000_000_000) // the workload's explicit times lie after this

// fieldsOf runs every check over b and returns the fields check's result
// and the run's verdict: a store bug seen only in get outputs or layouts
// must make the run invalid, not just this check.
func fieldsOf(t *testing.T, b *wsb) (Result, Verdict) {
	t.Helper()
	rep := Run(context.Background(), b.input(), Options{})
	for _, r := range rep.Checks {
		if r.Name == "fields" {
			t.Logf("fields: %s: %s\n%s", r.Verdict, r.Summary, r.Explanation)
			return r, rep.Verdict
		}
	}
	t.Logf("run: %s (%s)", rep.Verdict, rep.Reason)
	return Result{}, rep.Verdict
}

func wantFields(t *testing.T, b *wsb, want Verdict) {
	t.Helper()
	r, run := fieldsOf(t, b)
	if r.Verdict != want {
		t.Fatalf("fields: %s, want %s (run %s)", r.Verdict, want, run)
	}
	if want == Invalid && run != Invalid {
		t.Fatalf("run verdict %s with fields invalid", run)
	}
}

// Every field of a value a get returns is judged by the one rule
// (fieldrule.go): created_at and last_access kept, or set by the store's
// clock during the operation that set them.
func TestFieldsJudgesGetOutputs(t *testing.T) {
	during := func(b *wsb) int64 { return origin + b.t }
	for _, c := range []struct {
		name    string
		created int64 // the put's; 0: the store sets it
		last    int64
		update  bool // an update-activation to 0.75 after the put
		read    func(b *wsb, v history.Value) history.Value
		want    Verdict
	}{
		{"kept", old2020, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { return v }, Valid},
		{"last_access decoded into created_at", old2020, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { v.CreatedAt = v.LastAccess; return v }, Invalid},
		{"created_at and last_access swapped", old2020, old2020 + 500, false, func(b *wsb, v history.Value) history.Value {
			v.CreatedAt, v.LastAccess = v.LastAccess, v.CreatedAt
			return v
		}, Invalid},
		{"created_at set by the store", 0, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { v.CreatedAt = during(b); return v }, Valid},
		{"created_at left 0", 0, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { return v }, Invalid},
		{"created_at set long before the put", 0, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { v.CreatedAt = old2020; return v }, Invalid},
		{"last_access set by the store", old2020, 0, false, func(b *wsb, v history.Value) history.Value { v.LastAccess = during(b); return v }, Valid},
		{"last_access replaced", old2020, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { v.LastAccess = during(b); return v }, Invalid},
		{"last_access set by update-activation", old2020, old2020 + 500, true, func(b *wsb, v history.Value) history.Value {
			v.Activation, v.LastAccess = 0.75, during(b)
			return v
		}, Valid},
		{"stale last_access after update-activation", old2020, old2020 + 500, true, func(b *wsb, v history.Value) history.Value { v.Activation = 0.75; return v }, Invalid},
		{"decay_rate changed", old2020, old2020 + 500, false, func(b *wsb, v history.Value) history.Value { v.DecayRate = 0.125; return v }, Invalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			b.h.StartedUnixNanos = origin
			v := rval(1, c.created, c.last)
			b.put(1, "a", v, wpl(0, 0, 100, 0))
			if c.update {
				b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
				b.done(1, history.OK, &history.Output{Found: true})
			}
			b.get(2, "a", true, c.read(b, v))
			wantFields(t, b, c.want)
		})
	}
}

// An update-activation invoked after the get returned cannot have set what
// the get read.
func TestFieldsRejectsLastAccessOfALaterUpdate(t *testing.T) {
	b := newWSB()
	b.h.StartedUnixNanos = origin
	v := rval(1, old2020, old2020+500)
	b.put(1, "a", v, wpl(0, 0, 100, 0))
	got := v
	got.Activation, got.LastAccess = 0.75, origin+b.t
	b.get(2, "a", true, got)
	b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
	b.done(1, history.OK, &history.Output{Found: true})
	r, _ := fieldsOf(t, b)
	wantWS(t, r, Invalid)
}

// Under concurrency a get may return the value of any put that may
// linearize before it, and several puts may share content (nil): only a
// value that no candidate writer explains is rejected.
func TestFieldsAcceptsAnyCandidateWriter(t *testing.T) {
	nilv := func(created, last int64, act float32) history.Value {
		v := history.Value{Recorded: true, Confidence: 0.5, Activation: act, DecayRate: 0.0625, CreatedAt: created, LastAccess: last, EmbeddingDigest: 1}
		return v
	}
	b := newWSB()
	b.h.StartedUnixNanos = origin
	b.put(1, "a", nilv(old2020+1, old2020+2, 0.5), wpl(0, 0, 0, 0))
	b.putInv(3, "a", nilv(old2020+3, 0, 0.5)) // concurrent with the gets; the store sets last_access
	set := origin + b.t
	b.get(2, "a", true, nilv(old2020+1, old2020+2, 0.5))
	b.get(2, "a", true, nilv(old2020+3, set+10, 0.5))
	b.putOK(3, wpl(1, 0, 0, 0))
	wantFields(t, b, Valid)

	// One put's created_at with the other's last_access: no single writer.
	b.get(2, "a", true, nilv(old2020+1, set+10, 0.5))
	wantFields(t, b, Invalid)
}

// A put that failed wrote nothing: its times explain no read.
func TestFieldsIgnoresFailedPuts(t *testing.T) {
	b := newWSB()
	b.h.StartedUnixNanos = origin
	v := rval(1, old2020, old2020+500)
	b.put(1, "a", v, wpl(0, 0, 100, 0))
	w := rval(1, old2020+7, old2020+500)
	b.putInv(1, "a", w)
	b.done(1, history.Fail, nil)
	b.get(2, "a", true, w)
	wantFields(t, b, Invalid)
}

// After a restart the recovered layout is a writer whose times are kept
// exactly.
func TestFieldsJudgesAgainstRecoveredState(t *testing.T) {
	for _, c := range []struct {
		name string
		last int64
		want Verdict
	}{{"as recovered", old2020 + 9, Valid}, {"changed after recovery", old2020 + 10, Invalid}} {
		t.Run(c.name, func(t *testing.T) {
			b := newWSB()
			b.h.StartedUnixNanos = origin
			b.put(1, "a", rval(1, old2020, 0), wpl(0, 0, 100, 0))
			b.nemesis("kill", history.NemesisStart, history.Nemesis{})
			b.nemesis("kill", history.NemesisEnd, history.Nemesis{Restart: true})
			rec := rval(1, old2020, old2020+9) // the store set it during the put
			b.snapshot("restart", &history.Stats{Live: 1, ContentBytesLive: 100, ContentBytesTotal: 100}, wentry("a", rec, wpl(0, 0, 100, 0)))
			got := rec
			got.LastAccess = c.last
			b.get(2, "a", true, got)
			r, _ := fieldsOf(t, b)
			wantWS(t, r, c.want)
		})
	}
}

// Final and periodic layouts are values read back too.
func TestFieldsJudgesLayouts(t *testing.T) {
	for _, reason := range []string{"final", "periodic"} {
		for _, c := range []struct {
			name string
			read func(v history.Value) history.Value
			want Verdict
		}{
			{"kept", func(v history.Value) history.Value { return v }, Valid},
			{"created_at of another write", func(v history.Value) history.Value { v.CreatedAt++; return v }, Invalid},
			{"stale last_access after update-activation", func(v history.Value) history.Value { v.Activation = 0.75; return v }, Invalid},
			{"decay_rate changed", func(v history.Value) history.Value { v.DecayRate = 0.5; return v }, Invalid},
		} {
			t.Run(reason+"/"+c.name, func(t *testing.T) {
				b := newWSB()
				b.h.StartedUnixNanos = origin
				v := rval(1, old2020, old2020+500)
				b.put(1, "a", v, wpl(0, 0, 100, 0))
				b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
				b.done(1, history.OK, &history.Output{Found: true})
				if c.name == "kept" {
					v.Activation, v.LastAccess = 0.75, origin+b.t
				}
				b.snapshot(reason, &history.Stats{Live: 1, ContentBytesLive: 100, ContentBytesTotal: 100}, wentry("a", c.read(v), wpl(0, 0, 100, 0)))
				r, _ := fieldsOf(t, b)
				wantWS(t, r, c.want)
			})
		}
	}
}

// Nothing to judge is not valid: no read records the fields (a history
// written before they were), or no read matches a writer (what a wrong
// content means is the other checks' to say).
func TestFieldsNotEvaluated(t *testing.T) {
	b := newWSB()
	b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
	b.get(2, "a", true, wval(1))
	r, _ := fieldsOf(t, b)
	wantWS(t, r, NotEvaluated)

	b = newWSB()
	b.h.StartedUnixNanos = origin
	b.put(1, "a", rval(1, old2020, old2020+1), wpl(0, 0, 100, 0))
	b.get(2, "a", true, rval(2, old2020, old2020+1)) // content no put wrote
	b.get(2, "b", false, history.Value{})
	r, _ = fieldsOf(t, b)
	wantWS(t, r, NotEvaluated)
}

// An update-activation that returned before a put was invoked acted on an
// earlier value: it cannot have set the activation and last_access of that
// put's value. One concurrent with the put can.
func TestFieldsRejectsUpdateBeforeThePut(t *testing.T) {
	for _, c := range []struct {
		name       string
		concurrent bool
		want       Verdict
	}{{"update returned before the put", false, Invalid}, {"update concurrent with the put", true, Valid}} {
		for _, reason := range []string{"get", "periodic", "iterate"} {
			t.Run(c.name+"/"+reason, func(t *testing.T) {
				b := newWSB()
				b.h.StartedUnixNanos = origin
				b.put(1, "a", rval(1, old2020, old2020+500), wpl(0, 0, 100, 0))
				v := rval(2, old2020+1000, old2020+1500)
				b.inv(2, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
				set := origin + b.t
				if c.concurrent {
					b.putInv(1, "a", v)
					b.done(2, history.OK, &history.Output{Found: true})
					b.putOK(1, wpl(1, 100, 100, 0))
				} else {
					b.done(2, history.OK, &history.Output{Found: true})
					b.put(1, "a", v, wpl(1, 100, 100, 0))
				}
				got := v
				got.Activation, got.LastAccess = 0.75, set+1
				var r Result
				switch reason {
				case "get":
					b.get(3, "a", true, got)
					r, _ = fieldsOf(t, b)
				case "periodic":
					b.snapshot("periodic", &history.Stats{Live: 1, ContentBytesLive: 100, ContentBytesTotal: 200}, wentry("a", got, wpl(1, 100, 100, 0)))
					r, _ = fieldsOf(t, b)
				case "iterate":
					b.iterate(3, history.Entry{ID: "a", Value: got})
					r = runWS(t, iterationCheck{}, b)
				}
				wantWS(t, r, c.want)
			})
		}
	}
}
