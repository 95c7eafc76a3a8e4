package checker

import (
	"fmt"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// fieldsMismatch compares the non-content fields of a value v with the
// value w its writer wrote, bit for bit (history.ValueKey: a NaN written and
// read back is equal, -0 is not +0): confidence, embedding (when returned),
// decay_rate, and activation (the put's or an update-activation's). When
// both record them (history.Value.Recorded), created_at must be the one the
// put wrote, or, if it wrote 0, one the store's clock can have given during
// the put; last_access likewise, except that with an update-activation's
// activation it must be one the store's clock can have given during that
// update-activation (storeClockSet). An update-activation counts only if
// invoked before position bound (it may precede the read) and, with a put,
// not returned before the put was invoked (it may follow the put). op
// is the put, nil when w is a recorded state's value (then both times are
// kept exactly). origin is the header's started_unix_nanos. It returns what
// differs, or "".
func fieldsMismatch(id string, v, w history.Value, op *opRec, d *idOps, bound int, origin int64) string {
	vk, wk := v.Key(), w.Key()
	both := v.Recorded && w.Recorded
	switch {
	case vk.Confidence != wk.Confidence:
		return fmt.Sprintf("%q has confidence %g, but the put that wrote its content wrote %g", id, v.Confidence, w.Confidence)
	case vk.EmbeddingDigest != 0 && vk.EmbeddingDigest != wk.EmbeddingDigest: // 0: not returned (a recall entry)
		return fmt.Sprintf("%q has embedding %#x, but the put that wrote its content wrote %#x", id, v.EmbeddingDigest, w.EmbeddingDigest)
	case both && vk.DecayRate != wk.DecayRate:
		return fmt.Sprintf("%q has decay_rate %g, but the put that wrote its content wrote %g", id, v.DecayRate, w.DecayRate)
	case both && !keptOrSet(v.CreatedAt, w.CreatedAt, op, origin):
		return fmt.Sprintf("%q has created_at %d, but its put wrote %d%s", id, v.CreatedAt, w.CreatedAt, setHint(w.CreatedAt, op, origin))
	}
	if vk.Activation == wk.Activation && (!both || keptOrSet(v.LastAccess, w.LastAccess, op, origin)) {
		return ""
	}
	// An update-activation explains activation and last_access if it wrote
	// v's activation, was invoked before the read returned and did not
	// return before the put was invoked (it may lie between them).
	// Candidates are in invoke order, so the first that fits has the
	// earliest, most lenient, clock bound.
	var first *opRec
	for _, u := range d.activations[vk.Activation] {
		if u.Call >= bound || op != nil && u.Return < op.Call {
			continue
		}
		if first == nil {
			first = u
		}
		if !both || storeClockSet(v.LastAccess, u.CallTime, origin) {
			return ""
		}
	}
	switch {
	case first == nil && vk.Activation == wk.Activation:
		return fmt.Sprintf("%q has last_access %d, but its put wrote %d%s, and no update-activation that may follow the put and precede the read wrote its activation %g", id, v.LastAccess, w.LastAccess, setHint(w.LastAccess, op, origin), v.Activation)
	case first == nil:
		return fmt.Sprintf("%q has activation %g, which neither its put nor any update-activation that may follow the put and precede the read wrote", id, v.Activation)
	}
	return fmt.Sprintf("%q has the activation %g of an update-activation invoked at time %d, but last_access %d, before the store's clock can have read then (%d less %v): the update-activation did not set it",
		id, v.Activation, first.CallTime, v.LastAccess, origin+first.CallTime, clockSlack)
}

// clockSlack is how far the store's wall clock may seem to run behind the
// history's clock (a wall clock stepped back during the run).
const clockSlack = time.Minute

// storeClockSet reports whether t (ns since the Unix epoch) can have been
// read from the store's wall clock at or after history time call. The
// header's started_unix_nanos (origin) is read before the history's time 0,
// so the wall clock at time call is at least origin+call; a machine that
// sleeps only moves it further ahead, so there is no upper bound. origin 0:
// not recorded, nothing can be judged.
func storeClockSet(t, call, origin int64) bool {
	return origin == 0 || t >= origin+call-int64(clockSlack)
}

// keptOrSet reports whether a time field read back as read is the one a put
// wrote (written), or, when the put wrote 0, one the store set during it.
func keptOrSet(read, written int64, op *opRec, origin int64) bool {
	if written != 0 || op == nil {
		return read == written
	}
	return read != 0 && storeClockSet(read, op.CallTime, origin)
}

func setHint(written int64, op *opRec, origin int64) string {
	if written != 0 || op == nil || origin == 0 {
		return ""
	}
	return fmt.Sprintf(" (0: the store sets it during the put, invoked at time %d, so not before %d less %v)", op.CallTime, origin+op.CallTime, clockSlack)
}
