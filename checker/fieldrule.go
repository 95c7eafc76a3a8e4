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
// invoked before position bound (it must be able to precede the read). op
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
	u, ok := d.activations[vk.Activation]
	ok = ok && u.Call < bound
	switch {
	case !ok && vk.Activation == wk.Activation:
		return fmt.Sprintf("%q has last_access %d, but its put wrote %d%s, and no update-activation wrote its activation %g", id, v.LastAccess, w.LastAccess, setHint(w.LastAccess, op, origin), v.Activation)
	case !ok:
		return fmt.Sprintf("%q has activation %g, which neither its put nor any update-activation invoked before the read returned wrote", id, v.Activation)
	case both && !storeClockSet(v.LastAccess, u.CallTime, origin):
		return fmt.Sprintf("%q has the activation %g of an update-activation invoked at time %d, but last_access %d, before the store's clock can have read then (%d less %v): the update-activation did not set it",
			id, v.Activation, u.CallTime, v.LastAccess, origin+u.CallTime, clockSlack)
	}
	return ""
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
