package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/vmihailenco/msgpack/v5"
)

// Writer appends events to a msgpack history file.
//
// Crash safety: events are buffered in memory and written one chunk per
// write(2) when the chunk is full (chunkMaxEvents events or chunkMaxBytes
// bytes), on Flush, Sync and Close. A process killed at any moment (SIGKILL
// included) therefore leaves every chunk whose write returned readable, and
// loses at most the events appended since the last chunk write. Surviving a
// power loss needs an fsync: Sync and Close do one; Flush does not. Time
// based flushing is the caller's job (the recorder calls Flush
// periodically).
//
// A Writer is not safe for concurrent use: the recorder calls it from one
// goroutine at a time under its own lock. After any write error the Writer
// is broken and every later call returns that error.
type Writer struct {
	f     *os.File
	path  string
	buf   []byte // chunk prefix space followed by the pending payload
	count uint32 // events in buf
	off   int64  // bytes written to the file so far
	// events and chunks count what the file holds, for the end record.
	events, chunks uint64
	err            error // sticky
	// dirSynced: the directory entry has been fsynced once, so that a
	// synced history survives a power loss with its name.
	dirSynced bool
}

// Create creates (or truncates) path and writes the magic and the header
// record to it at once. The header is written with schema SchemaVersion and
// a digest: h.Digest if set, else DigestXXH64 (what Digest computes) for a
// new header (Schema 0), or DigestFNV1a64 for a header read from a schema 1
// history, whose events carry FNV-1a digests.
func Create(path string, h Header) (*Writer, error) {
	if err := normalizeHeader(&h); err != nil {
		return nil, fmt.Errorf("create history %s: %w", path, err)
	}
	payload, err := encodeHeader(&h)
	if err != nil {
		return nil, fmt.Errorf("create history %s: %w", path, err)
	}
	if len(payload) > maxHeaderLen {
		return nil, fmt.Errorf("create history %s: header is %d bytes, limit %d", path, len(payload), maxHeaderLen)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create history: %w", err)
	}
	head := make([]byte, 0, len(Magic)+headerPrefixLen+len(payload))
	head = append(head, Magic...)
	head = binary.LittleEndian.AppendUint32(head, uint32(len(payload)))
	head = binary.LittleEndian.AppendUint32(head, crc32c(payload))
	head = append(head, payload...)
	if _, err := f.Write(head); err != nil {
		f.Close()
		return nil, fmt.Errorf("create history %s: write header: %w", path, err)
	}
	w := &Writer{f: f, path: path, off: int64(len(head))}
	w.buf = make([]byte, chunkPrefixLen, chunkPrefixLen+chunkMaxBytes+4096)
	return w, nil
}

// Path is the file the Writer writes.
func (w *Writer) Path() string { return w.path }

// Append buffers e and writes the pending chunk when it is full.
func (w *Writer) Append(e Event) error { return w.AppendPtr(&e) }

// AppendPtr is Append without copying the event.
func (w *Writer) AppendPtr(e *Event) error {
	if w.err != nil {
		return w.err
	}
	w.buf = AppendEvent(w.buf, e)
	w.count++
	if w.count >= chunkMaxEvents || len(w.buf)-chunkPrefixLen >= chunkMaxBytes {
		return w.writeChunk()
	}
	return nil
}

// Flush writes the pending events as one chunk (one write(2), no fsync).
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	return w.writeChunk()
}

// Sync flushes and then fsyncs the file (and, the first time, its
// directory).
func (w *Writer) Sync() error {
	if err := w.Flush(); err != nil {
		return err
	}
	if err := w.f.Sync(); err != nil {
		w.err = fmt.Errorf("history %s: fsync: %w", w.path, err)
		return w.err
	}
	if !w.dirSynced {
		if err := syncDir(filepath.Dir(w.path)); err != nil {
			w.err = fmt.Errorf("history %s: fsync directory: %w", w.path, err)
			return w.err
		}
		w.dirSynced = true
	}
	return nil
}

// syncDir fsyncs a directory; filesystems that cannot (EINVAL) are not an
// error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOTSUP) {
		return err
	}
	return nil
}

// Close flushes, writes the end record, fsyncs and closes the file. A
// second Close returns ErrWriterClosed. A Writer broken by a write error
// writes no end record, so its file reads as torn, not complete.
func (w *Writer) Close() error {
	if w.err == ErrWriterClosed {
		return w.err
	}
	err := w.Flush()
	if err == nil {
		err = w.writeEnd()
	}
	if err == nil {
		err = w.Sync()
	}
	if cerr := w.f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("history %s: close: %w", w.path, cerr)
	}
	w.err = ErrWriterClosed
	return err
}

// writeChunk frames and writes the pending payload. Invariant: on return
// without error buf holds only the prefix space and count is 0.
func (w *Writer) writeChunk() error {
	if w.count == 0 {
		return nil
	}
	payload := w.buf[chunkPrefixLen:]
	if len(payload) > maxChunkLen {
		w.err = fmt.Errorf("history %s: chunk of %d bytes exceeds the %d limit", w.path, len(payload), maxChunkLen)
		return w.err
	}
	binary.LittleEndian.PutUint32(w.buf[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(w.buf[4:], chunkCRC(w.count, payload))
	binary.LittleEndian.PutUint32(w.buf[8:], w.count)
	n, err := w.f.Write(w.buf)
	w.off += int64(n)
	if err != nil {
		w.err = fmt.Errorf("history %s: write chunk at byte %d: %w", w.path, w.off-int64(n), err)
		return w.err
	}
	w.events += uint64(w.count)
	w.chunks++
	w.buf = w.buf[:chunkPrefixLen]
	w.count = 0
	if cap(w.buf) > 4*(chunkMaxBytes+4096) {
		// One huge snapshot must not pin its buffer for the rest of the run.
		w.buf = make([]byte, chunkPrefixLen, chunkPrefixLen+chunkMaxBytes+4096)
	}
	return nil
}

// writeEnd writes the end record: a chunk frame with count 0 whose payload
// says how many events and chunks precede it, in one write(2), so a kill
// leaves either all of it or a torn tail.
func (w *Writer) writeEnd() error {
	payload, err := msgpack.Marshal(endRecord{Events: &w.events, Chunks: &w.chunks})
	if err != nil {
		w.err = fmt.Errorf("history %s: end record: %w", w.path, err)
		return w.err
	}
	rec := make([]byte, chunkPrefixLen, chunkPrefixLen+len(payload))
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(rec[4:], chunkCRC(0, payload))
	rec = append(rec, payload...)
	n, err := w.f.Write(rec)
	w.off += int64(n)
	if err != nil {
		w.err = fmt.Errorf("history %s: write end record at byte %d: %w", w.path, w.off-int64(n), err)
		return w.err
	}
	return nil
}
