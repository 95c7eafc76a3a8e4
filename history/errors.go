package history

import (
	"errors"
	"fmt"
)

// Sentinel errors for reading a history. Readers wrap them with the file
// name and byte offset; match them with errors.Is.
var (
	// ErrNotHistory: the file is neither a warmcheck msgpack history (wrong
	// magic) nor a JSON Lines history (first byte not '{').
	ErrNotHistory = errors.New("not a warmcheck history")
	// ErrBadHeader: the magic is right but the header record is truncated,
	// fails its checksum or does not decode.
	ErrBadHeader = errors.New("bad history header")
	// ErrSchemaVersion: the header names a schema version this reader does
	// not know.
	ErrSchemaVersion = errors.New("unknown history schema version")
	// ErrDamaged is what every *DamageError matches with errors.Is, torn or
	// corrupt.
	ErrDamaged = errors.New("damaged history")
	// ErrTorn is what a *DamageError of a torn history matches: the file
	// stops where a killed writer could have stopped it (FORMAT.md,
	// "Complete, torn, corrupt"); every event before the tear was returned.
	ErrTorn = errors.New("torn history")
	// ErrCorrupt is what a *DamageError of a corrupt history matches: damage
	// followed by more data, data after the end record, an end record that
	// disagrees with the file, or nothing readable at all. Events after the
	// damage exist but cannot be returned.
	ErrCorrupt = errors.New("corrupt history")
	// ErrWriterClosed: Append, Flush or Sync after Close.
	ErrWriterClosed = errors.New("history writer closed")
)

// DamageError reports where a history stops being intact, and whether that
// is a torn tail or corruption: every event before Offset (all events of
// chunks 0..Chunk-1, or lines before Line for JSON Lines) was returned;
// nothing at or after Offset was.
type DamageError struct {
	File   string
	Offset int64 // byte offset of the first byte not returned
	Chunk  int   // index of the damaged chunk (msgpack); -1 for JSON Lines
	Line   int   // 1-based line number (JSON Lines); 0 for msgpack
	Reason string
	// Completeness is Torn or Corrupt; Why says what decided it.
	Completeness Completeness
	Why          string
}

func (e *DamageError) Error() string {
	where := fmt.Sprintf("chunk %d", e.Chunk)
	if e.Line > 0 {
		where = fmt.Sprintf("line %d", e.Line)
	}
	kind := e.Completeness.String()
	if e.Completeness == Torn {
		kind = "torn tail"
	}
	msg := fmt.Sprintf("%s: damaged history at byte %d (%s): %s; %s", e.File, e.Offset, where, e.Reason, kind)
	if e.Why != "" {
		msg += " (" + e.Why + ")"
	}
	return msg + "; events before it are intact"
}

func (e *DamageError) Is(target error) bool {
	switch target {
	case ErrDamaged:
		return true
	case ErrTorn:
		return e.Completeness == Torn
	case ErrCorrupt:
		return e.Completeness != Torn
	}
	return false
}
