package history

import (
	"bufio"

	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/vmihailenco/msgpack/v5"
)

// Reader streams the events of a history, msgpack or JSON Lines, in
// constant memory (one chunk, or one line, at a time).
//
// Next returns io.EOF at a clean end (the history is Complete). Where the
// file stops being intact it first returns every event before the damage,
// then a *DamageError (match with errors.As, or errors.Is with ErrDamaged,
// ErrTorn or ErrCorrupt) naming the file, the byte offset and the chunk or
// line, and saying whether the history is Torn or Corrupt (FORMAT.md,
// "Complete, torn, corrupt"); it never returns an event from a chunk that
// failed its checksum or did not decode completely. Errors are sticky.
type Reader struct {
	name   string
	br     *bufio.Reader
	closer io.Closer
	header Header
	jsonl  bool
	off    int64 // bytes consumed from the start of the file
	chunk  int   // index of the next chunk (msgpack)
	line   int   // number of the last line read (JSON Lines)
	buf    []byte
	events []Event // decoded current chunk
	ids    stringInterner
	next   int    // index in events of the next event to return
	total  uint64 // events of the chunks (or lines) read so far
	err    error
}

// Open opens a history file and reads its header.
func Open(path string) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open history: %w", err)
	}
	r, err := NewReader(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.closer = f
	return r, nil
}

// NewReader reads a history from src; name is used in errors. It detects
// the format from the first bytes: the msgpack magic, or '{' for JSON Lines.
func NewReader(src io.Reader, name string) (*Reader, error) {
	size := 64 << 10
	if l, ok := src.(interface{ Len() int }); ok && l.Len() < size {
		size = max(l.Len(), 16) // small in-memory histories (tests, fuzzing)
	}
	r := &Reader{name: name, br: bufio.NewReaderSize(src, size)}
	first, err := r.br.Peek(len(Magic))
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	switch {
	case len(first) == 0:
		return nil, fmt.Errorf("%s: empty file: %w", name, ErrNotHistory)
	case first[0] == '{':
		r.jsonl = true
		if err := r.readJSONLHeader(); err != nil {
			return nil, err
		}
		return r, nil
	case string(first) == Magic:
		if err := r.readHeader(); err != nil {
			return nil, err
		}
		return r, nil
	case len(first) < len(Magic) && string(first) == Magic[:len(first)]:
		return nil, fmt.Errorf("%s: byte 0: magic truncated to %d bytes: %w", name, len(first), ErrBadHeader)
	case len(first) == len(Magic) && string(first[:len(Magic)-1]) == Magic[:len(Magic)-1]:
		return nil, fmt.Errorf("%s: byte %d: framing version %d, this reader knows %d: %w",
			name, len(Magic)-1, first[len(Magic)-1], Magic[len(Magic)-1], ErrSchemaVersion)
	}
	return nil, fmt.Errorf("%s: byte 0: starts with %q, want magic %q or '{': %w", name, first, Magic, ErrNotHistory)
}

// Header is the history's header.
func (r *Reader) Header() Header { return r.header }

// Name is the name the Reader reports in errors (the path for Open).
func (r *Reader) Name() string { return r.name }

// IsJSONL reports whether the history is JSON Lines.
func (r *Reader) IsJSONL() bool { return r.jsonl }

// Offset is the number of bytes consumed so far.
func (r *Reader) Offset() int64 { return r.off }

// Close closes the file opened by Open.
func (r *Reader) Close() error {
	if r.closer == nil {
		return nil
	}
	err := r.closer.Close()
	r.closer = nil
	return err
}

func (r *Reader) headerErr(off int64, sentinel error, format string, args ...any) error {
	return fmt.Errorf("%s: byte %d: %s: %w", r.name, off, fmt.Sprintf(format, args...), sentinel)
}

func (r *Reader) readHeader() error {
	r.br.Discard(len(Magic))
	r.off = int64(len(Magic))
	var prefix [headerPrefixLen]byte
	if n, err := io.ReadFull(r.br, prefix[:]); err != nil {
		return r.headerErr(r.off, ErrBadHeader, "header record prefix truncated (%d of %d bytes)", n, headerPrefixLen)
	}
	length := binary.LittleEndian.Uint32(prefix[0:])
	crc := binary.LittleEndian.Uint32(prefix[4:])
	if length > maxHeaderLen {
		return r.headerErr(r.off, ErrBadHeader, "header length %d exceeds the %d limit", length, maxHeaderLen)
	}
	payload := make([]byte, length)
	if n, err := io.ReadFull(r.br, payload); err != nil {
		return r.headerErr(r.off, ErrBadHeader, "header record truncated (%d of %d payload bytes)", n, length)
	}
	if got := crc32c(payload); got != crc {
		return r.headerErr(r.off, ErrBadHeader, "header checksum mismatch (stored %08x, computed %08x)", crc, got)
	}
	var schema struct {
		Schema uint32 `msgpack:"schema"`
	}
	if err := msgpack.Unmarshal(payload, &schema); err != nil {
		return r.headerErr(r.off+headerPrefixLen, ErrBadHeader, "header does not decode: %v", err)
	}
	if schema.Schema < MinSchemaVersion || schema.Schema > SchemaVersion {
		return fmt.Errorf("%s: byte %d: %w", r.name, r.off+headerPrefixLen, schemaErr(schema.Schema))
	}
	h, err := decodeHeader(payload)
	if err != nil {
		return r.headerErr(r.off+headerPrefixLen, ErrBadHeader, "header does not decode: %v", err)
	}
	if err := checkHeader(&h); err != nil {
		return fmt.Errorf("%s: byte %d: %w", r.name, r.off+headerPrefixLen, err)
	}
	r.header = h
	r.off += headerPrefixLen + int64(length)
	return nil
}

// Next returns the next event; see Reader for the error contract.
func (r *Reader) Next() (Event, error) {
	for r.next >= len(r.events) {
		if r.err != nil {
			return Event{}, r.err
		}
		if r.jsonl {
			r.err = r.nextLine()
		} else {
			r.err = r.nextChunk()
		}
	}
	// The slot is not cleared: the next chunk overwrites it, so at most one
	// chunk's worth of returned events stays referenced from here.
	r.next++
	return r.events[r.next-1], nil
}

// nextChunk reads, checks and decodes one whole chunk into r.events. It
// returns io.EOF at a clean end: after the end record, or, in a file whose
// header does not announce one, when no byte follows the last chunk.
// Damage is classified torn or corrupt (classifyChunkDamage).
func (r *Reader) nextChunk() error {
	start := r.off
	var prefix [chunkPrefixLen]byte
	n, err := io.ReadFull(r.br, prefix[:])
	switch {
	case n == 0 && errors.Is(err, io.EOF):
		if r.header.EndRecord {
			return &DamageError{File: r.name, Offset: start, Chunk: r.chunk, Completeness: Torn,
				Reason: "the file ends after the last chunk without the end record its header announces",
				Why:    "the writer did not close it"}
		}
		return io.EOF
	case errors.Is(err, io.ErrUnexpectedEOF):
		return r.classifyChunkDamage(start, prefix[:n], nil, false, fmt.Sprintf("chunk header truncated (%d of %d bytes)", n, chunkPrefixLen))
	case err != nil:
		return fmt.Errorf("%s: read chunk %d at byte %d: %w", r.name, r.chunk, start, err)
	}
	length := binary.LittleEndian.Uint32(prefix[0:])
	crc := binary.LittleEndian.Uint32(prefix[4:])
	count := binary.LittleEndian.Uint32(prefix[8:])
	switch {
	case count == 0 && length > 0 && length <= maxEndLen:
		return r.endRecord(start, prefix[:], int(length), crc)
	case length > maxChunkLen:
		return r.classifyChunkDamage(start, prefix[:], nil, false, fmt.Sprintf("chunk length %d exceeds the %d limit", length, maxChunkLen))
	case count == 0 || uint64(count)*minEventLen > uint64(length):
		return r.classifyChunkDamage(start, prefix[:], nil, false, fmt.Sprintf("chunk claims %d events in %d bytes", count, length))
	}
	payload, err := r.readPayload(int(length))
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return r.classifyChunkDamage(start, prefix[:], payload, true, fmt.Sprintf("chunk truncated (%d of %d payload bytes)", len(payload), length))
		}
		return fmt.Errorf("%s: read chunk %d at byte %d: %w", r.name, r.chunk, start, err)
	}
	if got := chunkCRC(count, payload); got != crc {
		return r.classifyChunkDamage(start, prefix[:], payload, true, fmt.Sprintf("chunk checksum mismatch (stored %08x, computed %08x)", crc, got))
	}
	events := r.events[:0]
	if r.ids.max == 0 {
		r.ids.max = maxInternedIDs
	}
	d := mpDecoder{buf: payload, ids: &r.ids, slab: &eventSlab{size: int(count/2) + 1}}
	for i := uint32(0); i < count; i++ {
		events = append(events, Event{})
		if err := d.event(&events[i]); err != nil {
			clear(events)
			r.events = events[:0]
			return r.classifyChunkDamage(start, prefix[:], payload, true, fmt.Sprintf("event %d of the chunk (payload byte %d) does not decode: %v", i, d.pos, err))
		}
	}
	if d.remaining() != 0 {
		clear(events)
		r.events = events[:0]
		return r.classifyChunkDamage(start, prefix[:], payload, true, fmt.Sprintf("%d bytes after the chunk's %d events", d.remaining(), count))
	}
	r.events, r.next = events, 0
	r.off = start + chunkPrefixLen + int64(length)
	r.chunk++
	r.total += uint64(count)
	return nil
}

// endRecord reads the end record whose prefix was just read: io.EOF when
// it checks, agrees with what was read and nothing follows it; a torn or
// corrupt DamageError otherwise.
func (r *Reader) endRecord(start int64, prefix []byte, length int, crc uint32) error {
	payload, err := r.readPayload(length)
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return r.classifyChunkDamage(start, prefix, payload, true, fmt.Sprintf("end record truncated (%d of %d bytes)", len(payload), length))
		}
		return fmt.Errorf("%s: read the end record at byte %d: %w", r.name, start, err)
	}
	if got := chunkCRC(0, payload); got != crc {
		return r.classifyChunkDamage(start, prefix, payload, true, fmt.Sprintf("end record checksum mismatch (stored %08x, computed %08x)", crc, got))
	}
	corrupt := func(format string, args ...any) error {
		return &DamageError{File: r.name, Offset: start, Chunk: r.chunk, Completeness: Corrupt,
			Reason: fmt.Sprintf(format, args...)}
	}
	var end endRecord
	if err := msgpack.Unmarshal(payload, &end); err != nil || end.Events == nil || end.Chunks == nil {
		return corrupt("end record does not decode to its events and chunks counts (%v)", err)
	}
	if *end.Events != r.total || *end.Chunks != uint64(r.chunk) {
		return corrupt("end record says %d events in %d chunks, the file holds %d in %d: chunks are missing", *end.Events, *end.Chunks, r.total, r.chunk)
	}
	after := start + chunkPrefixLen + int64(length)
	if off, _, err := firstSignificant(r.br, after, isZero); err != nil {
		return fmt.Errorf("%s: read after the end record at byte %d: %w", r.name, after, err)
	} else if off >= 0 {
		return corrupt("data after the end record: a non-zero byte at %d", off)
	}
	r.off = after
	return io.EOF
}

// maxInternedIDs bounds the Reader's table of shared memory-id strings:
// workloads use a few thousand ids at most; a history of unique ids stops
// growing the table there and decodes plain copies.
const maxInternedIDs = 1 << 16

// minEventLen is the smallest possible encoded event: a 13-element array of
// one-byte values.
const minEventLen = 1 + eventFields

// readPayload reads n bytes into the reusable buffer. A length read from a
// corrupt prefix may be far larger than the file, so the buffer grows only
// as bytes actually arrive; it returns the bytes read and
// io.ErrUnexpectedEOF when the source ends first.
func (r *Reader) readPayload(n int) ([]byte, error) {
	const step = 1 << 20
	if n <= cap(r.buf) || n <= step {
		if cap(r.buf) < n {
			r.buf = make([]byte, n)
		}
		got, err := io.ReadFull(r.br, r.buf[:n])
		return r.buf[:got], err
	}
	buf := r.buf[:0]
	for len(buf) < n {
		want := min(n-len(buf), step)
		buf = append(buf, make([]byte, want)...)
		got, err := io.ReadFull(r.br, buf[len(buf)-want:])
		if err != nil {
			return buf[:len(buf)-want+got], err
		}
	}
	r.buf = buf
	return buf, nil
}

// ReadFile reads a whole history. When the file is torn or corrupt it
// returns the header, every intact event and the *DamageError (its
// Completeness says which), so callers can decide whether to judge what is
// there; on any other error it returns no events. CompletenessOf(err) is
// the history's Completeness.
func ReadFile(path string) (Header, []Event, error) {
	r, err := Open(path)
	if err != nil {
		return Header{}, nil, err
	}
	defer r.Close()
	size := int64(-1)
	if f, ok := r.closer.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	return readAll(r, size)
}

// ReadAll reads every event of src (see ReadFile).
func ReadAll(src io.Reader, name string) (Header, []Event, error) {
	r, err := NewReader(src, name)
	if err != nil {
		return Header{}, nil, err
	}
	size := int64(-1)
	if l, ok := src.(interface{ Len() int }); ok {
		size = r.off + int64(l.Len()) + int64(r.br.Buffered())
	}
	return readAll(r, size)
}

// eventsHint is how many events to reserve room for before reading a
// history of size bytes (-1: unknown): 2*Ops plus some room for faults and
// snapshots as the header announces, never more than the rest of the file
// could hold (minEventLen bytes per event), so a wrong or hostile header
// cannot make the reader reserve more than a few times the file's size.
// Without a header hint it guesses from the size and lets append grow.
// Reserving up front matters at scale: growing a 2M-event slice by append
// copied ~1.2 GB and was 3/4 of ReadFile's CPU on a 1M-op history.
func eventsHint(h Header, off, size int64) int {
	if size < 0 || size <= off {
		return 0
	}
	bound := (size - off) / minEventLen
	if h.Ops <= 0 {
		return int(min(bound, (size-off)/64))
	}
	want := 2*int64(h.Ops) + int64(h.Ops)/16 + 64
	return int(min(bound, want))
}

func readAll(r *Reader, size int64) (Header, []Event, error) {
	var events []Event
	if !r.jsonl {
		events = make([]Event, 0, eventsHint(r.header, r.off, size))
	}
	for {
		batch, err := r.nextBatch()
		if err == io.EOF {
			return r.Header(), events, nil
		}
		var dmg *DamageError
		if errors.As(err, &dmg) {
			return r.Header(), events, err
		}
		if err != nil {
			return r.Header(), nil, err
		}
		events = append(events, batch...)
	}
}

// nextBatch returns the events of the current chunk (or line) not yet
// returned, and consumes them: Next's contract, a batch at a time. The
// batch is only valid until the next call.
func (r *Reader) nextBatch() ([]Event, error) {
	for r.next >= len(r.events) {
		if r.err != nil {
			return nil, r.err
		}
		if r.jsonl {
			r.err = r.nextLine()
		} else {
			r.err = r.nextChunk()
		}
	}
	batch := r.events[r.next:]
	r.next = len(r.events)
	return batch, nil
}
