package history

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// decodeJSONEvent decodes one JSON Lines event. It has a hand-written fast
// path for the shape JSONLWriter writes, and falls back to encoding/json
// (json.Unmarshal into Event, the reference) for any line it does not
// fully understand.
//
// Invariant: whenever the fast path accepts a line, its Event equals what
// json.Unmarshal gives for that line (TestJSONEventMatchesEncodingJSON and
// FuzzJSONEvent check this). So the fast path only accepts: exact,
// non-repeated keys of the schema; strings without escapes or control
// characters and in valid UTF-8; integers in strict JSON syntax that fit
// their field; floats in JSON number syntax that ParseFloat accepts at the
// field's size, or the strings of parseNonFinite; enums through the same
// UnmarshalText; no null; nothing after the object but whitespace. Anything
// else (escapes, unknown or differently cased keys, duplicates, nulls,
// malformed JSON) goes to json.Unmarshal, which also produces the error
// text for bad lines.
//
// encoding/json spends most of a line's time validating it in a separate
// pass and walking reflection; this decoder reads each byte once.
func decodeJSONEvent(line []byte, e *Event) error {
	d := jsonDecoder{b: line}
	var fast Event
	if d.event(&fast) && d.end() {
		*e = fast
		return nil
	}
	*e = Event{}
	return json.Unmarshal(line, e)
}

// jsonDecoder is a cursor over one line. Every method returns false as soon
// as the input leaves the fast path's subset; the caller then falls back.
type jsonDecoder struct {
	b   []byte
	pos int
}

func (d *jsonDecoder) ws() {
	for d.pos < len(d.b) {
		switch d.b[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// consume skips whitespace and then c.
func (d *jsonDecoder) consume(c byte) bool {
	d.ws()
	if d.pos < len(d.b) && d.b[d.pos] == c {
		d.pos++
		return true
	}
	return false
}

func (d *jsonDecoder) peek() byte {
	d.ws()
	if d.pos < len(d.b) {
		return d.b[d.pos]
	}
	return 0
}

func (d *jsonDecoder) end() bool {
	d.ws()
	return d.pos == len(d.b)
}

// rawString returns the bytes of a string without escapes, control
// characters or invalid UTF-8 (a view into the line).
func (d *jsonDecoder) rawString() ([]byte, bool) {
	if !d.consume('"') {
		return nil, false
	}
	start := d.pos
	ascii := true
	for d.pos < len(d.b) {
		c := d.b[d.pos]
		switch {
		case c == '"':
			s := d.b[start:d.pos]
			d.pos++
			if !ascii && !utf8.Valid(s) {
				return nil, false
			}
			return s, true
		case c == '\\' || c < 0x20:
			return nil, false
		case c >= 0x80:
			ascii = false
		}
		d.pos++
	}
	return nil, false
}

func (d *jsonDecoder) str(dst *string) bool {
	s, ok := d.rawString()
	if ok {
		*dst = string(s)
	}
	return ok
}

// object calls field for every key of an object; a repeated key (bit
// from field's index) leaves the fast path, as encoding/json merges those.
func (d *jsonDecoder) object(field func(key []byte) (bit uint32, ok bool)) bool {
	if !d.consume('{') {
		return false
	}
	if d.consume('}') {
		return true
	}
	var seen uint32
	for {
		key, ok := d.rawString()
		if !ok || !d.consume(':') {
			return false
		}
		bit, ok := field(key)
		if !ok || seen&bit != 0 {
			return false
		}
		seen |= bit
		if d.consume(',') {
			continue
		}
		return d.consume('}')
	}
}

// intToken returns the bytes of a JSON integer: -?(0|[1-9][0-9]*), not
// followed by a fraction or exponent.
func (d *jsonDecoder) intToken(signed bool) ([]byte, bool) {
	d.ws()
	start := d.pos
	if signed && d.pos < len(d.b) && d.b[d.pos] == '-' {
		d.pos++
	}
	digits := d.pos
	for d.pos < len(d.b) && d.b[d.pos] >= '0' && d.b[d.pos] <= '9' {
		d.pos++
	}
	n := d.pos - digits
	if n == 0 || (n > 1 && d.b[digits] == '0') {
		return nil, false
	}
	if d.pos < len(d.b) {
		switch d.b[d.pos] {
		case '.', 'e', 'E':
			return nil, false
		}
	}
	return d.b[start:d.pos], true
}

func (d *jsonDecoder) uint(bits int) (uint64, bool) {
	t, ok := d.intToken(false)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseUint(unsafeString(t), 10, bits)
	return v, err == nil
}

func (d *jsonDecoder) int(bits int) (int64, bool) {
	t, ok := d.intToken(true)
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseInt(unsafeString(t), 10, bits)
	return v, err == nil
}

func (d *jsonDecoder) u64(dst *uint64) bool {
	v, ok := d.uint(64)
	*dst = v
	return ok
}

func (d *jsonDecoder) i64(dst *int64) bool {
	v, ok := d.int(64)
	*dst = v
	return ok
}

func (d *jsonDecoder) u32(dst *uint32) bool {
	v, ok := d.uint(32)
	*dst = uint32(v)
	return ok
}

// numberToken returns the bytes of a JSON number in strict syntax.
func (d *jsonDecoder) numberToken() ([]byte, bool) {
	d.ws()
	start := d.pos
	if d.pos < len(d.b) && d.b[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		s := d.pos
		for d.pos < len(d.b) && d.b[d.pos] >= '0' && d.b[d.pos] <= '9' {
			d.pos++
		}
		return d.pos - s
	}
	intStart := d.pos
	if n := digits(); n == 0 || (n > 1 && d.b[intStart] == '0') {
		return nil, false
	}
	if d.pos < len(d.b) && d.b[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, false
		}
	}
	if d.pos < len(d.b) && (d.b[d.pos] == 'e' || d.b[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.b) && (d.b[d.pos] == '+' || d.b[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, false
		}
	}
	return d.b[start:d.pos], true
}

// float reads a number, or one of the strings of jsonfloat.go's
// parseNonFinite, at the given size (32 or 64).
func (d *jsonDecoder) float(bits int) (float64, bool) {
	if d.peek() == '"' {
		s, ok := d.rawString()
		if !ok {
			return 0, false
		}
		return parseNonFinite(string(s))
	}
	t, ok := d.numberToken()
	if !ok {
		return 0, false
	}
	v, err := strconv.ParseFloat(unsafeString(t), bits)
	return v, err == nil
}

func (d *jsonDecoder) f32(dst *float32) bool {
	v, ok := d.float(32)
	*dst = float32(v)
	return ok
}

func (d *jsonDecoder) f64(dst *float64) bool {
	v, ok := d.float(64)
	*dst = v
	return ok
}

func (d *jsonDecoder) bool(dst *bool) bool {
	d.ws()
	switch {
	case hasPrefixAt(d.b, d.pos, "true"):
		d.pos += 4
		*dst = true
	case hasPrefixAt(d.b, d.pos, "false"):
		d.pos += 5
		*dst = false
	default:
		return false
	}
	return true
}

func hasPrefixAt(b []byte, at int, s string) bool {
	return len(b)-at >= len(s) && string(b[at:at+len(s)]) == s
}

// enum decodes a string through the type's UnmarshalText, as encoding/json
// does.
func (d *jsonDecoder) enum(names []string, prefix, what string) (uint8, bool) {
	s, ok := d.rawString()
	if !ok {
		return 0, false
	}
	v, err := unmarshalEnum(names, s, prefix, what)
	return v, err == nil
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func (d *jsonDecoder) event(e *Event) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "index":
			return 1 << 0, d.u64(&e.Index)
		case "kind":
			v, ok := d.enum(kindNames[:], "kind", "event kind")
			e.Kind = Kind(v)
			return 1 << 1, ok
		case "type":
			v, ok := d.enum(typeNames[:], "type", "event type")
			e.Type = Type(v)
			return 1 << 2, ok
		case "process":
			v, ok := d.int(64)
			e.Process = v
			return 1 << 3, ok
		case "worker":
			v, ok := d.int(32)
			e.Worker = int32(v)
			return 1 << 4, ok
		case "op":
			v, ok := d.enum(opNames[:], "op", "operation")
			e.Op = Op(v)
			return 1 << 5, ok
		case "id":
			return 1 << 6, d.str(&e.ID)
		case "time":
			v, ok := d.int(64)
			e.Time = v
			return 1 << 7, ok
		case "input":
			e.Input = new(Input)
			return 1 << 8, d.input(e.Input)
		case "output":
			e.Output = new(Output)
			return 1 << 9, d.output(e.Output)
		case "error":
			return 1 << 10, d.str(&e.Error)
		case "nemesis":
			e.Nemesis = new(Nemesis)
			return 1 << 11, d.nemesis(e.Nemesis)
		case "snapshot":
			e.Snapshot = new(Snapshot)
			return 1 << 12, d.snapshot(e.Snapshot)
		}
		return 0, false
	})
}

func (d *jsonDecoder) value(v *Value) bool {
	var seen uint32
	ok := d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "has_content":
			return 1 << 0, d.bool(&v.HasContent)
		case "content_digest":
			return 1 << 1, d.u64(&v.ContentDigest)
		case "content_len":
			return 1 << 2, d.u32(&v.ContentLen)
		case "embedding_digest":
			return 1 << 3, d.u64(&v.EmbeddingDigest)
		case "confidence":
			return 1 << 4, d.f32(&v.Confidence)
		case "activation":
			return 1 << 5, d.f32(&v.Activation)
		case "decay_rate":
			seen |= 1 << 6
			return 1 << 6, d.f32(&v.DecayRate)
		case "created_at":
			seen |= 1 << 7
			return 1 << 7, d.i64(&v.CreatedAt)
		case "last_access":
			seen |= 1 << 8
			return 1 << 8, d.i64(&v.LastAccess)
		}
		return 0, false
	})
	// The appended fields come together; a partial set is left to
	// encoding/json, which names the error.
	v.Recorded = seen == 7<<6
	return ok && (seen == 0 || v.Recorded)
}

func (d *jsonDecoder) input(in *Input) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "value":
			return 1 << 0, d.value(&in.Value)
		case "activation":
			return 1 << 1, d.f32(&in.Activation)
		case "threshold":
			return 1 << 2, d.f32(&in.Threshold)
		}
		return 0, false
	})
}

func (d *jsonDecoder) placement(p *Placement) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "slot":
			return 1 << 0, d.u64(&p.Slot)
		case "offset":
			return 1 << 1, d.u64(&p.Offset)
		case "length":
			return 1 << 2, d.u32(&p.Length)
		case "epoch":
			return 1 << 3, d.u64(&p.Epoch)
		case "has_content":
			return 1 << 4, d.bool(&p.HasContent)
		}
		return 0, false
	})
}

func (d *jsonDecoder) entry(en *Entry) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "id":
			return 1 << 0, d.str(&en.ID)
		case "value":
			return 1 << 1, d.value(&en.Value)
		case "placement":
			return 1 << 2, d.placement(&en.Placement)
		}
		return 0, false
	})
}

// entries decodes an array of entries; [] gives an empty, non-nil slice,
// as encoding/json does.
func (d *jsonDecoder) entries(dst *[]Entry) bool {
	if !d.consume('[') {
		return false
	}
	es := []Entry{}
	if !d.consume(']') {
		for {
			es = append(es, Entry{})
			if !d.entry(&es[len(es)-1]) {
				return false
			}
			if d.consume(',') {
				continue
			}
			if !d.consume(']') {
				return false
			}
			break
		}
	}
	*dst = es
	return true
}

func (d *jsonDecoder) output(o *Output) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "found":
			return 1 << 0, d.bool(&o.Found)
		case "value":
			return 1 << 1, d.value(&o.Value)
		case "placement":
			return 1 << 2, d.placement(&o.Placement)
		case "entries":
			return 1 << 3, d.entries(&o.Entries)
		case "compaction":
			o.Compaction = new(Compaction)
			return 1 << 4, d.compaction(o.Compaction)
		}
		return 0, false
	})
}

func (d *jsonDecoder) compaction(c *Compaction) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "epoch":
			return 1 << 0, d.u64(&c.Epoch)
		case "bytes_before":
			return 1 << 1, d.u64(&c.BytesBefore)
		case "bytes_after":
			return 1 << 2, d.u64(&c.BytesAfter)
		case "bytes_reclaimed":
			return 1 << 3, d.u64(&c.BytesReclaimed)
		case "moved":
			return 1 << 4, d.u64(&c.Moved)
		}
		return 0, false
	})
}

func (d *jsonDecoder) nemesis(n *Nemesis) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "fault":
			return 1 << 0, d.str(&n.Fault)
		case "phase":
			v, ok := d.enum(phaseNames[:], "phase", "nemesis phase")
			n.Phase = NemesisPhase(v)
			return 1 << 1, ok
		case "target":
			return 1 << 2, d.str(&n.Target)
		case "detail":
			return 1 << 3, d.str(&n.Detail)
		case "hits":
			return 1 << 4, d.hits(&n.Hits)
		case "restart":
			return 1 << 5, d.bool(&n.Restart)
		case "compaction":
			n.Compaction = new(Compaction)
			return 1 << 6, d.compaction(n.Compaction)
		}
		return 0, false
	})
}

// hits decodes a map of failpoint names to counts; a repeated name leaves
// the fast path (encoding/json would keep the last, and so would this, but
// the simpler rule costs nothing here).
func (d *jsonDecoder) hits(dst *map[string]uint64) bool {
	if !d.consume('{') {
		return false
	}
	m := map[string]uint64{}
	if !d.consume('}') {
		for {
			var k string
			if !d.str(&k) || !d.consume(':') {
				return false
			}
			if _, dup := m[k]; dup {
				return false
			}
			var v uint64
			if !d.u64(&v) {
				return false
			}
			m[k] = v
			if d.consume(',') {
				continue
			}
			if !d.consume('}') {
				return false
			}
			break
		}
	}
	*dst = m
	return true
}

func (d *jsonDecoder) snapshot(s *Snapshot) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "reason":
			return 1 << 0, d.str(&s.Reason)
		case "stats":
			s.Stats = new(Stats)
			return 1 << 1, d.stats(s.Stats)
		case "layout":
			return 1 << 2, d.entries(&s.Layout)
		}
		return 0, false
	})
}

func (d *jsonDecoder) stats(st *Stats) bool {
	return d.object(func(key []byte) (uint32, bool) {
		switch string(key) {
		case "live":
			return 1 << 0, d.u64(&st.Live)
		case "slots_in_use":
			return 1 << 1, d.u64(&st.SlotsInUse)
		case "slots_total":
			return 1 << 2, d.u64(&st.SlotsTotal)
		case "content_bytes_total":
			return 1 << 3, d.u64(&st.ContentBytesTotal)
		case "content_bytes_live":
			return 1 << 4, d.u64(&st.ContentBytesLive)
		case "fragmentation":
			return 1 << 5, d.f64(&st.Fragmentation)
		case "compactions":
			return 1 << 6, d.u64(&st.Compactions)
		case "bytes_reclaimed":
			return 1 << 7, d.u64(&st.BytesReclaimed)
		case "epoch":
			return 1 << 8, d.u64(&st.Epoch)
		case "torn_discarded":
			return 1 << 9, d.u64(&st.TornDiscarded)
		case "file_bytes":
			return 1 << 10, d.u64(&st.FileBytes)
		}
		return 0, false
	})
}
