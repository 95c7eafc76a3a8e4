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
	// ErrDamaged is what a *DamageError matches with errors.Is.
	ErrDamaged = errors.New("damaged history")
	// ErrWriterClosed: Append, Flush or Sync after Close.
	ErrWriterClosed = errors.New("history writer closed")
)

// DamageError reports where a history stops being intact: every event
// before Offset (all events of chunks 0..Chunk-1, or lines before Line for
// JSON Lines) was returned; nothing at or after Offset was.
type DamageError struct {
	File   string
	Offset int64 // byte offset of the first byte not returned
	Chunk  int   // index of the damaged chunk (msgpack); -1 for JSON Lines
	Line   int   // 1-based line number (JSON Lines); 0 for msgpack
	Reason string
}

func (e *DamageError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s: damaged history at byte %d (line %d): %s; events before it are intact", e.File, e.Offset, e.Line, e.Reason)
	}
	return fmt.Sprintf("%s: damaged history at byte %d (chunk %d): %s; events before it are intact", e.File, e.Offset, e.Chunk, e.Reason)
}

func (e *DamageError) Is(target error) bool { return target == ErrDamaged }
