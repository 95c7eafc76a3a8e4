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
	Index    uint64    `json:"index"`
	Kind     Kind      `json:"kind"`
	Type     Type      `json:"type"`
	Process  int64     `json:"process"` // retired after an Info completion; the worker goes on as Process+Workers
	Worker   int32     `json:"worker"`
	Op       Op        `json:"op,omitempty"`
	ID       string    `json:"id,omitempty"` // memory id
	Time     int64     `json:"time"`         // ns since run start
	Input    *Input    `json:"input,omitempty"`
	Output   *Output   `json:"output,omitempty"`
	Error    string    `json:"error,omitempty"`
	Nemesis  *Nemesis  `json:"nemesis,omitempty"`
	Snapshot *Snapshot `json:"snapshot,omitempty"`
}

// Value is what a memory holds, by digest: enough to tell writes apart
// without keeping megabytes of content. Content digests are Digest(content)
// (see digest.go); workloads make every put's content unique, so a
// ContentDigest names the put that wrote it.
//
// DecayRate, CreatedAt and LastAccess were appended within schema 2
// (FORMAT.md section 3): Recorded says whether a value carries them. Values
// of older files, and recall entries (a recall hit has none of them), do
// not, and then the three fields are zero and never compared. CreatedAt and
// LastAccess are ns since the Unix epoch; in a put's input 0 asks the store
// to set the field to its wall clock during the put.
type Value struct {
	HasContent      bool    `json:"has_content"` // false: nil content (distinct from empty content)
	ContentDigest   uint64  `json:"content_digest"`
	ContentLen      uint32  `json:"content_len"`
	EmbeddingDigest uint64  `json:"embedding_digest"`
	Confidence      float32 `json:"confidence"`
	Activation      float32 `json:"activation"`
	Recorded        bool    `json:"-"` // DecayRate, CreatedAt and LastAccess are recorded
	DecayRate       float32 `json:"decay_rate"`
	CreatedAt       int64   `json:"created_at"`
	LastAccess      int64   `json:"last_access"`
}

// Input is what an operation asked for.
type Input struct {
	Value      Value   `json:"value"`      // put: the value written
	Activation float32 `json:"activation"` // update-activation: the new activation
	Threshold  float32 `json:"threshold"`  // recall: the confidence threshold
}

// Placement is where the store says a put landed.
type Placement struct {
	Slot       uint64 `json:"slot"`
	Offset     uint64 `json:"offset"`
	Length     uint32 `json:"length"`
	Epoch      uint64 `json:"epoch"`
	HasContent bool   `json:"has_content"`
}

// Entry is one memory in an iterate or recall result, or in a Layout.
type Entry struct {
	ID        string    `json:"id"`
	Value     Value     `json:"value"`
	Placement Placement `json:"placement"` // Layout entries only
}

// Output is what a completed operation returned.
type Output struct {
	Found      bool        `json:"found"`             // get, remove, update-activation
	Value      Value       `json:"value"`             // get: the value read (when Found)
	Placement  Placement   `json:"placement"`         // put
	Entries    []Entry     `json:"entries,omitempty"` // iterate, recall
	Compaction *Compaction `json:"compaction,omitempty"`
}

// Compaction is the result of a compact operation.
type Compaction struct {
	Epoch          uint64 `json:"epoch"`
	BytesBefore    uint64 `json:"bytes_before"`
	BytesAfter     uint64 `json:"bytes_after"`
	BytesReclaimed uint64 `json:"bytes_reclaimed"`
	Moved          uint64 `json:"moved"`
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
	Fault  string            `json:"fault"`
	Phase  NemesisPhase      `json:"phase"`
	Target string            `json:"target,omitempty"`
	Detail string            `json:"detail,omitempty"`
	Hits   map[string]uint64 `json:"hits,omitempty"`
	// Restart is set on the end of a kill or power-loss: the store was
	// reopened and recovered; the snapshot that follows is its recovered state.
	Restart bool `json:"restart,omitempty"`
	// Compaction is set on the end of a compact fault whose compaction
	// succeeded: its result, as a compact operation's output would carry it.
	// The compaction ran between the fault's start and end events.
	Compaction *Compaction `json:"compaction,omitempty"`
}

// Snapshot is the store's own view at one moment: taken during a run, at its
// end, and after every restart (Reason says which).
type Snapshot struct {
	Reason string  `json:"reason"` // "periodic", "final", "restart"
	Stats  *Stats  `json:"stats,omitempty"`
	Layout []Entry `json:"layout,omitempty"`
}

// Stats mirror the store's statistics.
type Stats struct {
	Live              uint64  `json:"live"`
	SlotsInUse        uint64  `json:"slots_in_use"`
	SlotsTotal        uint64  `json:"slots_total"`
	ContentBytesTotal uint64  `json:"content_bytes_total"`
	ContentBytesLive  uint64  `json:"content_bytes_live"`
	Fragmentation     float64 `json:"fragmentation"`
	Compactions       uint64  `json:"compactions"`
	BytesReclaimed    uint64  `json:"bytes_reclaimed"`
	Epoch             uint64  `json:"epoch"`
	TornDiscarded     uint64  `json:"torn_discarded"`
	FileBytes         uint64  `json:"file_bytes"` // size of the store's files on disk
}
