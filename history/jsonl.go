package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JSON Lines form of a history (FORMAT.md, "JSON Lines"): the first line is
// {"header": {...}}, then one event object per line with the snake_case
// names of event.go's json tags and enums as their names (names.go).

// maxJSONLine bounds one line; a snapshot of a very large store is one line.
const maxJSONLine = 1 << 30

// JSONLWriter writes a history as JSON Lines. It buffers; call Flush.
type JSONLWriter struct {
	bw     *bufio.Writer
	enc    *json.Encoder
	events uint64 // lines written, for the end line
}

type jsonlHeader struct {
	Header *Header `json:"header"`
}

// NewJSONLWriter writes the header line and returns the writer. The header
// is written with the current schema and its digest named (see Create).
func NewJSONLWriter(w io.Writer, h Header) (*JSONLWriter, error) {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := normalizeHeader(&h); err != nil {
		return nil, fmt.Errorf("jsonl %w", err)
	}
	if err := enc.Encode(jsonlHeader{&h}); err != nil {
		return nil, fmt.Errorf("jsonl header: %w", err)
	}
	return &JSONLWriter{bw: bw, enc: enc}, nil
}

// Write writes one event line (json.Encoder ends it with '\n').
func (w *JSONLWriter) Write(e *Event) error {
	if err := w.enc.Encode(e); err != nil {
		return fmt.Errorf("jsonl event %d: %w", e.Index, err)
	}
	w.events++
	return nil
}

// Flush writes buffered lines to the underlying writer.
func (w *JSONLWriter) Flush() error { return w.bw.Flush() }

// Close writes the end line (FORMAT.md, "JSON Lines") and flushes; it does
// not close the underlying writer. Write only after the last event of a
// complete history: a reader takes the end line as proof that nothing is
// missing.
func (w *JSONLWriter) Close() error {
	if err := w.enc.Encode(jsonlEnd{Kind: "end", Events: &w.events}); err != nil {
		return fmt.Errorf("jsonl end line: %w", err)
	}
	return w.bw.Flush()
}

// jsonlEnd is the end line. Its kind is not an event kind, so a reader
// that predates it stops there with damage after every event, instead of
// taking it for an event.
type jsonlEnd struct {
	Kind   string  `json:"kind"`
	Events *uint64 `json:"events"`
}

// parseJSONLEnd reports whether line is an end line, and its count.
func parseJSONLEnd(line []byte) (events uint64, ok bool) {
	var end jsonlEnd
	dec := json.NewDecoder(bytes.NewReader(line)) // unknown keys are ignored, as in the msgpack end record
	if err := dec.Decode(&end); err != nil || end.Kind != "end" || end.Events == nil || dec.More() {
		return 0, false
	}
	return *end.Events, true
}

// readLine returns the next line without its '\n' and whether the line was
// terminated by one. It returns io.EOF only when no byte is left.
func (r *Reader) readLine() (line []byte, terminated bool, err error) {
	r.buf = r.buf[:0]
	for {
		frag, err := r.br.ReadSlice('\n')
		if len(r.buf)+len(frag) > maxJSONLine {
			return nil, false, fmt.Errorf("line longer than %d bytes", maxJSONLine)
		}
		r.buf = append(r.buf, frag...)
		switch {
		case err == nil:
			return r.buf[:len(r.buf)-1], true, nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.buf) == 0 {
				return nil, false, io.EOF
			}
			return r.buf, false, nil
		default:
			return nil, false, err
		}
	}
}

func (r *Reader) readJSONLHeader() error {
	line, _, err := r.readLine()
	if err != nil {
		return r.headerErr(0, ErrBadHeader, "reading the header line: %v", err)
	}
	r.line = 1
	var probe struct {
		Header *struct {
			Schema uint32 `json:"schema"`
		} `json:"header"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return r.headerErr(0, ErrBadHeader, "line 1 is not JSON: %v", err)
	}
	if probe.Header == nil {
		return r.headerErr(0, ErrBadHeader, `line 1 has no "header" object`)
	}
	if v := probe.Header.Schema; v < MinSchemaVersion || v > SchemaVersion {
		return fmt.Errorf("%s: byte 0: line 1: %w", r.name, schemaErr(v))
	}
	var h jsonlHeader
	h.Header = &r.header
	if err := json.Unmarshal(line, &h); err != nil {
		return r.headerErr(0, ErrBadHeader, "line 1: %v", err)
	}
	if err := checkHeader(&r.header); err != nil {
		return fmt.Errorf("%s: byte 0: line 1: %w", r.name, err)
	}
	r.off = int64(len(line)) + 1
	return nil
}

// nextLine decodes the next non-blank line into r.events. A final line
// without '\n' is accepted when it decodes (files edited by hand often lack
// it). It returns io.EOF at a clean end: after the end line, or, in a file
// whose header does not announce one, after the last line. A line that does
// not decode is classified torn or corrupt (classifyLineDamage).
func (r *Reader) nextLine() error {
	for {
		start := r.off
		line, terminated, err := r.readLine()
		if err == io.EOF {
			if r.header.EndRecord {
				return &DamageError{File: r.name, Offset: start, Chunk: -1, Line: r.line + 1, Completeness: Torn,
					Reason: "the file ends without the end line its header announces",
					Why:    "the writer did not close it"}
			}
			return io.EOF
		}
		r.line++
		if err != nil {
			return &DamageError{File: r.name, Offset: start, Chunk: -1, Line: r.line, Reason: err.Error(), Completeness: Corrupt}
		}
		if len(bytes.TrimSpace(line)) == 0 {
			r.off += int64(len(line)) + 1
			continue
		}
		var e Event
		if err := decodeJSONEvent(line, &e); err != nil {
			if n, ok := parseJSONLEnd(line); ok {
				return r.jsonlEnd(start, line, terminated, n)
			}
			return r.classifyLineDamage(start, line, terminated, err)
		}
		r.off += int64(len(line))
		if terminated {
			r.off++
		}
		r.events = append(r.events[:0], e)
		r.next = 0
		r.total++
		return nil
	}
}

// jsonlEnd checks the end line just read: io.EOF when its count agrees
// and only blank bytes follow; a corrupt DamageError otherwise.
func (r *Reader) jsonlEnd(start int64, line []byte, terminated bool, events uint64) error {
	corrupt := func(format string, args ...any) error {
		return &DamageError{File: r.name, Offset: start, Chunk: -1, Line: r.line, Completeness: Corrupt,
			Reason: fmt.Sprintf(format, args...)}
	}
	if events != r.total {
		return corrupt("end line says %d events, the file holds %d: lines are missing", events, r.total)
	}
	after := start + int64(len(line))
	if terminated {
		after++
	}
	if off, _, err := firstSignificant(r.br, after, isBlank); err != nil {
		return fmt.Errorf("%s: read after the end line at byte %d: %w", r.name, after, err)
	} else if off >= 0 {
		return corrupt("data after the end line, from byte %d", off)
	}
	r.off = after
	return io.EOF
}

// classifyLineDamage decides whether a JSON Lines line that does not
// decode is a torn tail or corruption. The rule (FORMAT.md): no event line
// before it means nothing readable: corrupt. Any byte after it other than
// whitespace or zero bytes: more data, corrupt. Otherwise it is the last
// line: torn.
func (r *Reader) classifyLineDamage(start int64, line []byte, terminated bool, decodeErr error) error {
	d := &DamageError{File: r.name, Offset: start, Chunk: -1, Line: r.line, Reason: decodeErr.Error(), Completeness: Corrupt}
	if !terminated {
		d.Reason = "last line truncated: " + d.Reason
	}
	after := start + int64(len(line))
	if terminated {
		after++
	}
	switch off, _, err := firstSignificant(r.br, after, isBlank); {
	case r.total == 0:
		d.Why = "no line before it is an event: nothing of the history is readable"
	case err != nil:
		d.Why = fmt.Sprintf("cannot read past it: %v", err)
	case off >= 0:
		d.Why = fmt.Sprintf("more data follows: line content at byte %d", off)
	case !terminated:
		d.Completeness, d.Why = Torn, "the file ends inside this line: a write cut short"
	default:
		d.Completeness, d.Why = Torn, "nothing follows it: the last line was lost"
	}
	return d
}

// Text forms of the enums, used by encoding/json. An unnamed value is
// written as e.g. "op(12)" and read back from that form, so a history with
// an unknown value still round-trips (and Validate reports it).

func (t Type) MarshalText() ([]byte, error)         { return []byte(t.String()), nil }
func (k Kind) MarshalText() ([]byte, error)         { return []byte(k.String()), nil }
func (o Op) MarshalText() ([]byte, error)           { return []byte(o.String()), nil }
func (p NemesisPhase) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

func (t *Type) UnmarshalText(b []byte) error {
	v, err := unmarshalEnum(typeNames[:], b, "type", "event type")
	*t = Type(v)
	return err
}

func (k *Kind) UnmarshalText(b []byte) error {
	v, err := unmarshalEnum(kindNames[:], b, "kind", "event kind")
	*k = Kind(v)
	return err
}

func (o *Op) UnmarshalText(b []byte) error {
	v, err := unmarshalEnum(opNames[:], b, "op", "operation")
	*o = Op(v)
	return err
}

func (p *NemesisPhase) UnmarshalText(b []byte) error {
	v, err := unmarshalEnum(phaseNames[:], b, "phase", "nemesis phase")
	*p = NemesisPhase(v)
	return err
}

func unmarshalEnum(names []string, b []byte, prefix, what string) (uint8, error) {
	s := string(b)
	if v, err := parse(names, s, what); err == nil {
		return v, nil
	}
	if rest, ok := strings.CutPrefix(s, prefix+"("); ok {
		if num, ok := strings.CutSuffix(rest, ")"); ok {
			if v, err := strconv.ParseUint(num, 10, 8); err == nil {
				return uint8(v), nil
			}
		}
	}
	return 0, fmt.Errorf("unknown %s %q", what, s)
}
