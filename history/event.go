package history

// Type is the Jepsen event type. An operation is an Invoke followed by exactly
// one completion of the same process: OK (it happened), Fail (it definitely
// did not happen and never will) or Info (unknown: it may or may not have
// happened). Nemesis and snapshot events are always Info.
type Type uint8

const (
	Invoke Type = iota + 1
	OK
	Fail
	Info
)

// Kind says what an event records.
type Kind uint8

const (
	KindOp       Kind = iota + 1 // a client operation (invoke or completion)
	KindNemesis                  // a fault starting or ending
	KindSnapshot                 // a Layout and/or Stats taken from the store
)

// Op is a store operation.
type Op uint8

const (
	OpPut Op = iota + 1
	OpGet
	OpRemove
	OpUpdateActivation
	OpIterate
	OpRecall
	OpCompact
	OpSync
	OpStats
	OpLayout
)

// Event is one line of a history. Index is strictly increasing from 0; Time
// is nanoseconds since the run started, on one monotonic clock, and never
// goes backwards in index order.
//
// Field presence by kind:
//   - KindOp: Process, Worker, Op; ID for put/get/remove/update-activation;
//     Input on invoke (put, update-activation, recall); Output on ok
//     completions; Error on fail and info completions.
//   - KindNemesis: Nemesis.
//   - KindSnapshot: Snapshot.
type Event struct {
	Index    uint64
	Kind     Kind
	Type     Type
	Process  int64 // retired after an Info completion; the worker goes on as Process+Workers
	Worker   int32
	Op       Op
	ID       string // memory id
	Time     int64  // ns since run start
	Input    *Input
	Output   *Output
	Error    string
	Nemesis  *Nemesis
	Snapshot *Snapshot
}

// Value is what a memory holds, by digest: enough to tell writes apart
// without keeping megabytes of content. Content digests are Digest(content)
// (see digest.go); workloads make every put's content unique, so a
// ContentDigest names the put that wrote it.
type Value struct {
	HasContent      bool // false: nil content (distinct from empty content)
	ContentDigest   uint64
	ContentLen      uint32
	EmbeddingDigest uint64
	Confidence      float32
	Activation      float32
}

// Input is what an operation asked for.
type Input struct {
	Value      Value   // put: the value written
	Activation float32 // update-activation: the new activation
	Threshold  float32 // recall: the confidence threshold
}

// Placement is where the store says a put landed.
type Placement struct {
	Slot       uint64
	Offset     uint64
	Length     uint32
	Epoch      uint64
	HasContent bool
}

// Entry is one memory in an iterate or recall result, or in a Layout.
type Entry struct {
	ID        string
	Value     Value
	Placement Placement // Layout entries only
}

// Output is what a completed operation returned.
type Output struct {
	Found      bool      // get, remove, update-activation
	Value      Value     // get: the value read (when Found)
	Placement  Placement // put
	Entries    []Entry   // iterate, recall
	Compaction *Compaction
}

// Compaction is the result of a compact operation.
type Compaction struct {
	Epoch          uint64
	BytesBefore    uint64
	BytesAfter     uint64
	BytesReclaimed uint64
	Moved          uint64
}

// NemesisPhase says whether a fault is starting or ending.
type NemesisPhase uint8

const (
	NemesisStart NemesisPhase = iota + 1
	NemesisEnd
)

// Nemesis records a fault. Fault is the nemesis name (panic, sleep, pause,
// kill, power-loss, grow-failure, compact); Target is the failpoint or
// process it acted on. Hits are the failpoint hit counts at that moment.
type Nemesis struct {
	Fault  string
	Phase  NemesisPhase
	Target string
	Detail string
	Hits   map[string]uint64
	// Restart is set on the end of a kill or power-loss: the store was
	// reopened and recovered; the snapshot that follows is its recovered state.
	Restart bool
}

// Snapshot is the store's own view at one moment: taken during a run, at its
// end, and after every restart (Reason says which).
type Snapshot struct {
	Reason string // "periodic", "final", "restart"
	Stats  *Stats
	Layout []Entry
}

// Stats mirror the store's statistics.
type Stats struct {
	Live              uint64
	SlotsInUse        uint64
	SlotsTotal        uint64
	ContentBytesTotal uint64
	ContentBytesLive  uint64
	Fragmentation     float64
	Compactions       uint64
	BytesReclaimed    uint64
	Epoch             uint64
	TornDiscarded     uint64
}
