package store

import (
	"path/filepath"

	"github.com/cespare/xxhash/v2"
)

// PersistOp is the kind of one persistence operation (PersistEvent).
type PersistOp uint8

const (
	// PersistCreate: file File now exists, durably, holding Data and
	// Size bytes in all (the rest zeros): createDataFile writes a temporary
	// file, fsyncs it, renames it and fsyncs the directory, so the file
	// appears whole or not at all.
	PersistCreate PersistOp = iota + 1
	// PersistWrite: Data was written at Off, by pwrite or through the
	// mapping, into the page cache: not durable until a PersistSync covers it.
	PersistWrite
	// PersistGrow: the file was extended (fallocate, or truncate where
	// fallocate is unsupported) to Size bytes of zeros; the new size is
	// durable with the next PersistSync of the file.
	PersistGrow
	// PersistSync: bytes [Off, Size) were msynced: durable from here on.
	// Digest is Digest of those bytes as the store held them, so that a
	// replay can prove it saw every write before it.
	PersistSync
	// PersistUnlink: the file was deleted (no directory fsync follows).
	PersistUnlink
)

func (o PersistOp) String() string {
	switch o {
	case PersistCreate:
		return "create"
	case PersistWrite:
		return "write"
	case PersistGrow:
		return "grow"
	case PersistSync:
		return "sync"
	case PersistUnlink:
		return "unlink"
	}
	return "unknown"
}

// PersistEvent is one operation that changes what a disk could hold. File is
// the base name of the data file (blocks.dat, content.<epoch>.dat).
type PersistEvent struct {
	Op     PersistOp
	File   string
	Off    uint64
	Size   uint64 // Create, Grow: file size; Sync: end of the synced range
	Data   []byte // Create: the header; Write: the bytes written (a copy)
	Digest uint64 // Sync: xxhash64 of the synced bytes
}

// PersistLog receives every persistence operation of a store opened with
// Options.PersistLog, in the order they happen. The store calls it from the
// goroutine doing the operation; a log used with concurrent callers must
// serialise itself. The Data it is handed is its own.
type PersistLog interface {
	Persist(PersistEvent)
}

// logWrite records that bytes [off, off+n) of m's mapping now hold what was
// written. Invariant: called after the bytes were written (markDirty's rule).
func (m *mappedFile) logWrite(off, n uint64) {
	m.plog.Persist(PersistEvent{Op: PersistWrite, File: filepath.Base(m.path), Off: off, Data: append([]byte(nil), m.data[off:off+n]...)})
}

func (m *mappedFile) logSync(start, end uint64) {
	m.plog.Persist(PersistEvent{Op: PersistSync, File: filepath.Base(m.path), Off: start, Size: end, Digest: xxhash.Sum64(m.data[start:end])})
}
