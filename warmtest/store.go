package warmtest

import "context"

// Store is a warm-tier store under test. Every method is called from many
// goroutines at once and must be safe for concurrent use. Each call should
// honour ctx; one that does not is abandoned at the run's operation timeout
// (Config.OpTimeout) and recorded with an unknown outcome.
//
// Errors (see doc.go for how each one is recorded): Get, Remove and
// UpdateActivation return an error wrapping ErrNotFound when id is not
// stored; an error wrapping ErrRejected says the store refused the call
// before changing anything. Any other error is an unknown outcome for a
// call that writes and a failure for one that only reads.
type Store interface {
	// Put stores m under id, replacing what id held. A zero CreatedAt or
	// LastAccess is set to the store's clock (time.Now().UnixNano()).
	Put(ctx context.Context, id string, m Memory) error
	// Get returns what id holds, as Put stored it (UpdateActivation
	// changes Activation and LastAccess).
	Get(ctx context.Context, id string) (Memory, error)
	// Remove deletes id.
	Remove(ctx context.Context, id string) error
	// UpdateActivation sets id's Activation to activation and its
	// LastAccess to the store's clock.
	UpdateActivation(ctx context.Context, id string, activation float32) error
	// Iterate calls visit for every stored memory until visit returns
	// false: every memory stored before Iterate began and not removed
	// during it exactly once, with its value at some moment during the
	// iteration, and nothing else.
	Iterate(ctx context.Context, visit func(id string, m Memory) bool) error
	// Recall returns every stored memory whose Confidence is at least
	// threshold.
	Recall(ctx context.Context, threshold float32) ([]RecallHit, error)
	// Compact reorganises storage; what the store holds does not change.
	// A store with nothing to compact returns nil.
	Compact(ctx context.Context) error
	// Sync makes every write acknowledged before it durable. A store with
	// nothing to flush returns nil.
	Sync(ctx context.Context) error
}

// Memory is one stored memory. Nil Content means "no content" and differs
// from empty Content; a store keeps the two apart.
type Memory struct {
	Content    []byte
	Embedding  []float32 // kept as given; nil reads back as nil or as zeros
	Confidence float32
	Activation float32
	DecayRate  float32
	CreatedAt  int64 // ns since the Unix epoch; 0 in a Put: the store's clock
	LastAccess int64 // ns since the Unix epoch; 0 in a Put: the store's clock
}

// RecallHit is one memory Recall returns.
type RecallHit struct {
	ID         string
	Confidence float32
	Content    []byte // nil when the memory has no content
}

// Placer is the optional capability of a store that says where each Put
// landed. A Store that implements it is called through PutPlaced instead of
// Put, and the checks offset-overlap, offset-monotonic and unique-slots
// judge its placements; without it they are not evaluated.
type Placer interface {
	// PutPlaced is Put, returning where m landed.
	PutPlaced(ctx context.Context, id string, m Memory) (Placement, error)
}

// Placement is where a Put landed, in the built-in store's model: a slot
// holds one live memory at a time (a slot is free again once the memory in
// it was replaced or removed); content is appended to a region that only
// grows within an epoch, so two writes' byte ranges of one epoch never
// overlap; only a compaction starts a new epoch, with a new region.
// Offset, Length and Epoch are ignored for a memory with nil Content.
type Placement struct {
	Slot   uint64
	Offset uint64 // first content byte in the epoch's region
	Length uint32 // content length
	Epoch  uint64
}
