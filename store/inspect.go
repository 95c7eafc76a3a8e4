package store

import (
	"fmt"
	"os"
	"time"
)

// Inspect checks every invariant of the store in dir without changing it
// (files are opened read-only, nothing is locked or written) and measures
// it. It is safe on a store another process has open: a slot that fails a
// check is read again until it passes or has not changed for
// InspectOptions.SettleWindow (a write in flight ends; a store that is not
// being written does not change), and one that keeps changing is counted
// as unsettled, not judged. A writer stopped in the middle of an in-place
// header rewrite (a paused process) leaves a torn header for as long as it
// is stopped: that is reported as torn, never as damage.
//
// Format versions 2 and 1 are read (a version-1 store is never migrated).
// A record's content reference is resolved through the relocation tables
// as recovery resolves it (format.go), so its header may name a deleted
// epoch; the reference it resolves to is the one checked (file present and
// long enough, checksum, overlaps, live bytes). A table that fails a check,
// or an entry whose content is outside its file or overlaps another live
// range, is damage named by table file and offset: tables are written whole
// after the copies they name are durable.
//
// Judgement (see InspectReport.Verdict):
//   - A record that fails its checksums, or points outside its content
//     file, and would be the current record of its id is what recovery
//     discards. A crash or kill with that write unsynced explains it, so
//     it is SeverityTorn ("torn (unsynced?)"), unless the store carries a
//     clean-close record (format.go): then nothing was unsynced, and it is
//     SeverityDamage. Such a record superseded by a newer valid one of its
//     id is stale, as recovery treats it: counted, not a problem.
//   - Everything no crash can explain is SeverityDamage: bad content file
//     headers, a bad size record, a blocks file shorter than it grew, an
//     unknown state word, two records with one sequence number (and one id:
//     recovery could not tell which is current), overlapping content
//     ranges, a missing content file, and, after a clean close, a stale
//     record left live or counts that differ from a recount.
//
// The error is non-nil only when dir cannot be read as a store: it is
// missing, holds no blocks file, or the blocks file's header is unreadable.
func Inspect(dir string, opts InspectOptions) (InspectReport, error) {
	opts = opts.withDefaults()
	in, err := openInspection(dir, opts)
	if err != nil {
		return InspectReport{}, err
	}
	defer in.close()
	in.checkBlocksFile()
	in.checkContentFiles()
	if err := in.scanSlots(); err != nil {
		return InspectReport{}, err
	}
	in.settlePending()
	in.resolve()
	return in.report(), nil
}

// InspectOptions configure Inspect; the zero value is valid.
type InspectOptions struct {
	// MaxProblems is how many problems the report lists (the rest are
	// counted in MoreProblems); 0 means DefaultMaxProblems.
	MaxProblems int
	// Rereads is how many rounds of re-reads the slots that failed a check
	// get before those still changing count as unsettled; 0 means
	// DefaultRereads.
	Rereads int
	// RereadDelay is the pause before the first round; each round doubles
	// it, up to SettleWindow. 0 means 1 ms.
	RereadDelay time.Duration
	// SettleWindow is how long a failing slot must stay unchanged to be
	// judged; 0 means DefaultSettleWindow.
	SettleWindow time.Duration
}

// Defaults of InspectOptions: the re-reads of a damaged store wait about
// 0.13 s in all (1+2+...+64 ms), of a store that keeps changing at most
// about 0.6 s.
const (
	DefaultMaxProblems  = 20
	DefaultRereads      = 12
	DefaultSettleWindow = 100 * time.Millisecond
)

func (o InspectOptions) withDefaults() InspectOptions {
	if o.MaxProblems <= 0 {
		o.MaxProblems = DefaultMaxProblems
	}
	if o.Rereads <= 0 {
		o.Rereads = DefaultRereads
	}
	if o.RereadDelay <= 0 {
		o.RereadDelay = time.Millisecond
	}
	if o.SettleWindow <= 0 {
		o.SettleWindow = DefaultSettleWindow
	}
	return o
}

// InspectVerdict is the outcome of Inspect.
type InspectVerdict uint8

const (
	// Consistent: every invariant holds and every slot settled.
	Consistent InspectVerdict = iota
	// Inconsistent: at least one SeverityDamage problem.
	Inconsistent
	// InspectUnknown: no damage, but torn records of a store that was not
	// closed cleanly (legitimate only if they were never synced), or slots
	// that kept changing while they were read.
	InspectUnknown
)

func (v InspectVerdict) String() string {
	switch v {
	case Consistent:
		return "consistent"
	case Inconsistent:
		return "inconsistent"
	}
	return "unknown"
}

// MarshalText writes the verdict by name in JSON.
func (v InspectVerdict) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// ProblemKind names the invariant a problem breaks.
type ProblemKind string

const (
	ProblemFileHeader        ProblemKind = "file-header"          // a content file's header does not decode, or names another epoch
	ProblemSizeRecord        ProblemKind = "size-record"          // the blocks file's size record fails its checksum
	ProblemBlocksSize        ProblemKind = "blocks-size"          // blocks file shorter than it grew, or not whole chunks
	ProblemStateWord         ProblemKind = "state-word"           // a state word that is not free or live, or a zero state over a written header
	ProblemHeaderChecksum    ProblemKind = "header-checksum"      // record header CRC or id length
	ProblemEmbeddingChecksum ProblemKind = "embedding-checksum"   // CRC of sectors 1..6
	ProblemContentRef        ProblemKind = "content-ref"          // no content flag but a content length
	ProblemContentOutside    ProblemKind = "content-outside-file" // content range in the file header or past the file's end
	ProblemContentChecksum   ProblemKind = "content-checksum"     // CRC of the content bytes
	ProblemContentMissing    ProblemKind = "content-file-missing" // a record's content epoch has no file
	ProblemDuplicateID       ProblemKind = "duplicate-id"         // two live records of one id with one sequence number
	ProblemDuplicateSeq      ProblemKind = "duplicate-seq"        // two live records of different ids with one sequence number
	ProblemContentOverlap    ProblemKind = "content-overlap"      // two live records' content ranges overlap in one epoch
	ProblemStaleRecord       ProblemKind = "stale-record"         // after a clean close: a superseded record still live
	ProblemCount             ProblemKind = "count-mismatch"       // after a clean close: the store's counts differ from a recount
	ProblemRelocTable        ProblemKind = "reloc-table"          // a relocation table fails its header, record, checksum or slot order check
)

// Severity says whether a problem proves damage.
type Severity uint8

const (
	// SeverityDamage: no crash or write in flight explains it.
	SeverityDamage Severity = iota
	// SeverityTorn: a record recovery discards; legitimate only if its
	// write was never synced (the store was not closed cleanly).
	SeverityTorn
)

func (s Severity) String() string {
	if s == SeverityTorn {
		return "torn (unsynced?)"
	}
	return "damage"
}

// MarshalText writes the severity by name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Problem is one broken invariant, located by file, byte offset and slot.
type Problem struct {
	Kind     ProblemKind `json:"kind"`
	Severity Severity    `json:"severity"`
	File     string      `json:"file"`
	Offset   uint64      `json:"offset"`
	Slot     *uint64     `json:"slot,omitempty"`
	Detail   string      `json:"detail"`
}

func (p Problem) String() string {
	where := fmt.Sprintf("%s offset %d", p.File, p.Offset)
	if p.Slot != nil {
		where = fmt.Sprintf("slot %d (%s)", *p.Slot, where)
	}
	return fmt.Sprintf("%s: %s [%s]: %s", where, p.Kind, p.Severity, p.Detail)
}

// InspectReport is what Inspect found. Its JSON form is the output of
// `warmcheck inspect --json`.
type InspectReport struct {
	Dir     string         `json:"dir"`
	Verdict InspectVerdict `json:"verdict"`
	// CleanClose: the store carries a clean-close record (format.go): it
	// was closed by Close and not opened since.
	CleanClose   bool         `json:"clean_close"`
	Problems     []Problem    `json:"problems"`
	MoreProblems int          `json:"more_problems"`
	Stats        InspectStats `json:"stats"`
}

// InspectStats measure the store as the files hold it.
type InspectStats struct {
	Slots      uint64 `json:"slots"`      // slots the blocks file has room for
	SlotsUsed  uint64 `json:"slots_used"` // one past the highest slot ever written
	Live       uint64 `json:"live"`       // current records: what Get would find after recovery
	Free       uint64 `json:"free"`       // slots below slots_used that hold no live record
	Superseded uint64 `json:"superseded"` // live records an id's newer record replaced (freed by the next Sync or recovery)
	Torn       uint64 `json:"torn"`       // records recovery would discard and count
	Unsettled  uint64 `json:"unsettled"`  // slots that changed on every re-read (store being written): not judged
	// ContentBytesLive is the sum of the current records' content lengths;
	// ContentBytesTotal the content bytes of every epoch up to the end of
	// the last one a live record refers to (the tails recovery sets), so
	// Fragmentation = (total-live)/total is what Stats reports after Open.
	ContentBytesLive  uint64         `json:"content_bytes_live"`
	ContentBytesTotal uint64         `json:"content_bytes_total"`
	Fragmentation     float64        `json:"fragmentation"`
	BlocksFileBytes   uint64         `json:"blocks_file_bytes"`
	Epochs            []EpochStats   `json:"epochs"`
	Clean             *CleanCloseRec `json:"clean_close_record,omitempty"`
}

// EpochStats describe one content file.
type EpochStats struct {
	Epoch     uint64 `json:"epoch"`
	File      string `json:"file"`
	FileBytes uint64 `json:"file_bytes"`
	Tail      uint64 `json:"tail"`       // end of the last byte a live record refers to
	Records   uint64 `json:"records"`    // current records with content here
	LiveBytes uint64 `json:"live_bytes"` // their content bytes
}

// CleanCloseRec is the clean-close record as found.
type CleanCloseRec struct {
	Seq       uint64 `json:"seq"`
	Live      uint64 `json:"live"`
	LiveBytes uint64 `json:"live_bytes"`
	Epoch     uint64 `json:"epoch"`
}

// storeDirError says why dir is not a readable store.
func storeDirError(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("store: inspect: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: not a directory: %w", dir, ErrNotStore)
	}
	return nil
}
