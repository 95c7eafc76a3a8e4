package checker

import "errors"

// One sentinel per guarantee; each message states the guarantee that a
// history violated. A violating Result carries the sentinel's message as the
// start of its Explanation, and the check functions return errors that match
// these with errors.Is.
var (
	ErrMalformed        = errors.New("anti-vacuity: the history must be well formed")
	ErrVacuous          = errors.New("anti-vacuity: a run must complete enough operations and fire every fault it asked for")
	ErrOffsetOverlap    = errors.New("offset-overlap: content ranges handed out in one compaction epoch never overlap, and no two live memories in a layout overlap")
	ErrContentLength    = errors.New("content-length: the content byte totals the store reports equal what the history implies")
	ErrOffsetMonotonic  = errors.New("offset-monotonic: within an epoch, a put that completed before another was invoked got a lower content offset and a different slot")
	ErrUniqueSlots      = errors.New("unique-slots: no two live memories share a slot")
	ErrIteration        = errors.New("iteration: an iterate visits every memory stored before it began and not removed before it ended exactly once, with a value really written for that id and current during the iteration")
	ErrDurability       = errors.New("durability: after a kill or power loss, everything acknowledged before the last successful sync is present with that value or a later one, nothing removed before it comes back, and nothing recovered is torn")
	ErrRecovery         = errors.New("recovery: after an injected panic the store keeps serving: every worker that continues gets an ok within the bound, and no operation stays pending forever")
	ErrFields           = errors.New("fields: every value read back carries the fields its writer gave it, or times the store's clock can have set during that write")
	ErrStalled          = errors.New("progress: the store keeps answering: no worker, and no key's calls, wait the stall bound for an answer unless an injected fault explains it")
	ErrIntegrity        = errors.New("integrity: a store never reports its own data as corrupt: no client operation fails with the store's corruption error")
	ErrCheckPanicked    = errors.New("checker: a check panicked (a checker bug, not a store bug)")
	ErrDeadlineExceeded = errors.New("checker: deadline exceeded before the check finished")
	// ErrInterrupted: the caller cancelled the checks (Ctrl-C) before
	// this one ran.
	ErrInterrupted = errors.New("checker: interrupted before the check ran")
)
