package history

import (
	"fmt"
	"maps"
	"slices"
)

// This file is the msgpack ARRAY encoding of an Event and everything it
// holds. The field order of every array is part of the file format
// (FORMAT.md, "Event encoding"): fields are only ever appended, never
// reordered or removed, and a reader skips trailing elements it does not
// know. Absent pointers (Input, Output, Compaction, Nemesis, Snapshot,
// Stats) and empty slices or maps are msgpack nil.

// Number of elements each array has in schema 1; a decoder requires at least
// this many and skips any beyond.
const (
	eventFields      = 13
	inputFields      = 3
	valueFields      = 6 // the fewest a reader accepts: without the recorded fields
	valueRecorded    = 9 // decay_rate, created_at, last_access appended (Value.Recorded)
	placementFields  = 5
	entryFields      = 3
	outputFields     = 5
	compactionFields = 5
	nemesisFields    = 6 // the fewest a reader accepts (schema 1 and early schema 2)
	nemesisWritten   = 7 // what the writer emits: compaction appended
	snapshotFields   = 3
	statsFields      = 11
)

// AppendEvent appends the msgpack encoding of e to b.
func AppendEvent(b []byte, e *Event) []byte {
	b = append(b, mpFixArray|eventFields)
	b = appendUint(b, e.Index)
	b = appendUint(b, uint64(e.Kind))
	b = appendUint(b, uint64(e.Type))
	b = appendInt(b, e.Process)
	b = appendInt(b, int64(e.Worker))
	b = appendUint(b, uint64(e.Op))
	b = appendString(b, e.ID)
	b = appendInt(b, e.Time)
	if e.Input == nil {
		b = appendNil(b)
	} else {
		b = appendInput(b, e.Input)
	}
	if e.Output == nil {
		b = appendNil(b)
	} else {
		b = appendOutput(b, e.Output)
	}
	b = appendString(b, e.Error)
	if e.Nemesis == nil {
		b = appendNil(b)
	} else {
		b = appendNemesis(b, e.Nemesis)
	}
	if e.Snapshot == nil {
		b = appendNil(b)
	} else {
		b = appendSnapshot(b, e.Snapshot)
	}
	return b
}

func appendInput(b []byte, in *Input) []byte {
	b = append(b, mpFixArray|inputFields)
	b = appendValue(b, &in.Value)
	b = appendFloat32(b, in.Activation)
	return appendFloat32(b, in.Threshold)
}

// appendValue writes the 6 elements of schema 1, and the 3 appended ones
// when the value records them.
func appendValue(b []byte, v *Value) []byte {
	n := valueFields
	if v.Recorded {
		n = valueRecorded
	}
	b = append(b, mpFixArray|byte(n))
	b = appendBool(b, v.HasContent)
	b = appendUint(b, v.ContentDigest)
	b = appendUint(b, uint64(v.ContentLen))
	b = appendUint(b, v.EmbeddingDigest)
	b = appendFloat32(b, v.Confidence)
	b = appendFloat32(b, v.Activation)
	if !v.Recorded {
		return b
	}
	b = appendFloat32(b, v.DecayRate)
	b = appendInt(b, v.CreatedAt)
	return appendInt(b, v.LastAccess)
}

func appendPlacement(b []byte, p *Placement) []byte {
	b = append(b, mpFixArray|placementFields)
	b = appendUint(b, p.Slot)
	b = appendUint(b, p.Offset)
	b = appendUint(b, uint64(p.Length))
	b = appendUint(b, p.Epoch)
	return appendBool(b, p.HasContent)
}

func appendEntries(b []byte, es []Entry) []byte {
	if len(es) == 0 {
		return appendNil(b)
	}
	b = appendArrayLen(b, len(es))
	for i := range es {
		b = append(b, mpFixArray|entryFields)
		b = appendString(b, es[i].ID)
		b = appendValue(b, &es[i].Value)
		b = appendPlacement(b, &es[i].Placement)
	}
	return b
}

func appendOutput(b []byte, o *Output) []byte {
	b = append(b, mpFixArray|outputFields)
	b = appendBool(b, o.Found)
	b = appendValue(b, &o.Value)
	b = appendPlacement(b, &o.Placement)
	b = appendEntries(b, o.Entries)
	return appendCompaction(b, o.Compaction)
}

// appendCompaction writes a Compaction, or nil.
func appendCompaction(b []byte, c *Compaction) []byte {
	if c == nil {
		return appendNil(b)
	}
	b = append(b, mpFixArray|compactionFields)
	b = appendUint(b, c.Epoch)
	b = appendUint(b, c.BytesBefore)
	b = appendUint(b, c.BytesAfter)
	b = appendUint(b, c.BytesReclaimed)
	return appendUint(b, c.Moved)
}

func appendNemesis(b []byte, n *Nemesis) []byte {
	b = append(b, mpFixArray|nemesisWritten)
	b = appendString(b, n.Fault)
	b = appendUint(b, uint64(n.Phase))
	b = appendString(b, n.Target)
	b = appendString(b, n.Detail)
	if len(n.Hits) == 0 {
		b = appendNil(b)
	} else {
		// Keys sorted so that equal events encode to equal bytes; readers
		// must not rely on the order.
		b = appendMapLen(b, len(n.Hits))
		for _, k := range slices.Sorted(maps.Keys(n.Hits)) {
			b = appendString(b, k)
			b = appendUint(b, n.Hits[k])
		}
	}
	b = appendBool(b, n.Restart)
	return appendCompaction(b, n.Compaction)
}

func appendSnapshot(b []byte, s *Snapshot) []byte {
	b = append(b, mpFixArray|snapshotFields)
	b = appendString(b, s.Reason)
	if st := s.Stats; st == nil {
		b = appendNil(b)
	} else {
		b = append(b, mpFixArray|statsFields)
		b = appendUint(b, st.Live)
		b = appendUint(b, st.SlotsInUse)
		b = appendUint(b, st.SlotsTotal)
		b = appendUint(b, st.ContentBytesTotal)
		b = appendUint(b, st.ContentBytesLive)
		b = appendFloat64(b, st.Fragmentation)
		b = appendUint(b, st.Compactions)
		b = appendUint(b, st.BytesReclaimed)
		b = appendUint(b, st.Epoch)
		b = appendUint(b, st.TornDiscarded)
		b = appendUint(b, st.FileBytes)
	}
	return appendEntries(b, s.Layout)
}

// DecodeEvent decodes one event from the start of b and returns the number
// of bytes it took. The error names the field and its byte position in b.
func DecodeEvent(b []byte) (Event, int, error) {
	d := mpDecoder{buf: b}
	var e Event
	err := d.event(&e)
	return e, d.pos, err
}

func (d *mpDecoder) event(e *Event) error {
	n, err := d.arrayLen("event", eventFields)
	if err != nil {
		return err
	}
	if e.Index, err = d.uint64("event.index"); err != nil {
		return err
	}
	var u8 uint8
	if u8, err = d.uint8("event.kind"); err != nil {
		return err
	}
	e.Kind = Kind(u8)
	if u8, err = d.uint8("event.type"); err != nil {
		return err
	}
	e.Type = Type(u8)
	if e.Process, err = d.int64("event.process"); err != nil {
		return err
	}
	if e.Worker, err = d.int32("event.worker"); err != nil {
		return err
	}
	if u8, err = d.uint8("event.op"); err != nil {
		return err
	}
	e.Op = Op(u8)
	if d.ids != nil {
		b, err := d.stringBytes("event.id")
		if err != nil {
			return err
		}
		e.ID = d.ids.get(b)
	} else if e.ID, err = d.string("event.id"); err != nil {
		return err
	}
	if e.Time, err = d.int64("event.time"); err != nil {
		return err
	}
	if isNil, err := d.tryNil("event.input"); err != nil {
		return err
	} else if !isNil {
		if d.slab != nil {
			e.Input = d.slab.input()
		} else {
			e.Input = new(Input)
		}
		if err := d.input(e.Input); err != nil {
			return err
		}
	}
	if isNil, err := d.tryNil("event.output"); err != nil {
		return err
	} else if !isNil {
		if d.slab != nil {
			e.Output = d.slab.output()
		} else {
			e.Output = new(Output)
		}
		if err := d.output(e.Output); err != nil {
			return err
		}
	}
	if e.Error, err = d.string("event.error"); err != nil {
		return err
	}
	if isNil, err := d.tryNil("event.nemesis"); err != nil {
		return err
	} else if !isNil {
		e.Nemesis = new(Nemesis)
		if err := d.nemesis(e.Nemesis); err != nil {
			return err
		}
	}
	if isNil, err := d.tryNil("event.snapshot"); err != nil {
		return err
	} else if !isNil {
		e.Snapshot = new(Snapshot)
		if err := d.snapshot(e.Snapshot); err != nil {
			return err
		}
	}
	return d.skipExtra("event", n, eventFields)
}

func (d *mpDecoder) input(in *Input) error {
	n, err := d.arrayLen("input", inputFields)
	if err != nil {
		return err
	}
	if err = d.value("input.value", &in.Value); err != nil {
		return err
	}
	if in.Activation, err = d.float32("input.activation"); err != nil {
		return err
	}
	if in.Threshold, err = d.float32("input.threshold"); err != nil {
		return err
	}
	return d.skipExtra("input", n, inputFields)
}

// value and placement are called with a constant field path; the element
// names are attached only when an error is built, so the hot path does not
// allocate for them.
func (d *mpDecoder) value(field string, v *Value) error {
	if err := d.valueFields(v); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

func (d *mpDecoder) valueFields(v *Value) error {
	n, err := d.arrayLen("value", valueFields)
	if err != nil {
		return err
	}
	if v.HasContent, err = d.bool("has_content"); err != nil {
		return err
	}
	if v.ContentDigest, err = d.uint64("content_digest"); err != nil {
		return err
	}
	if v.ContentLen, err = d.uint32("content_len"); err != nil {
		return err
	}
	if v.EmbeddingDigest, err = d.uint64("embedding_digest"); err != nil {
		return err
	}
	if v.Confidence, err = d.float32("confidence"); err != nil {
		return err
	}
	if v.Activation, err = d.float32("activation"); err != nil {
		return err
	}
	switch {
	case n == valueFields:
		return nil
	case n < valueRecorded:
		return d.errorf("value", "%d elements: decay_rate, created_at and last_access are appended together (6 or at least 9)", n)
	}
	v.Recorded = true
	if v.DecayRate, err = d.float32("decay_rate"); err != nil {
		return err
	}
	if v.CreatedAt, err = d.int64("created_at"); err != nil {
		return err
	}
	if v.LastAccess, err = d.int64("last_access"); err != nil {
		return err
	}
	return d.skipExtra("value", n, valueRecorded)
}

func (d *mpDecoder) placement(field string, p *Placement) error {
	if err := d.placementFields(p); err != nil {
		return fmt.Errorf("%s: %w", field, err)
	}
	return nil
}

func (d *mpDecoder) placementFields(p *Placement) error {
	n, err := d.arrayLen("placement", placementFields)
	if err != nil {
		return err
	}
	if p.Slot, err = d.uint64("slot"); err != nil {
		return err
	}
	if p.Offset, err = d.uint64("offset"); err != nil {
		return err
	}
	if p.Length, err = d.uint32("length"); err != nil {
		return err
	}
	if p.Epoch, err = d.uint64("epoch"); err != nil {
		return err
	}
	if p.HasContent, err = d.bool("has_content"); err != nil {
		return err
	}
	return d.skipExtra("placement", n, placementFields)
}

func (d *mpDecoder) entries(field string) ([]Entry, error) {
	if isNil, err := d.tryNil(field); err != nil || isNil {
		return nil, err
	}
	// An entry is at least 1+1+7+6 bytes; the bound keeps a lying length
	// from allocating more than the chunk could hold.
	n, err := d.containerLen(field, false, 15)
	if err != nil {
		return nil, err
	}
	es := make([]Entry, n)
	for i := range es {
		if err := d.entry(&es[i]); err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
	}
	return es, nil
}

func (d *mpDecoder) entry(e *Entry) error {
	m, err := d.arrayLen("entry", entryFields)
	if err != nil {
		return err
	}
	if e.ID, err = d.string("id"); err != nil {
		return err
	}
	if err := d.value("value", &e.Value); err != nil {
		return err
	}
	if err := d.placement("placement", &e.Placement); err != nil {
		return err
	}
	return d.skipExtra("entry", m, entryFields)
}

func (d *mpDecoder) output(o *Output) error {
	n, err := d.arrayLen("output", outputFields)
	if err != nil {
		return err
	}
	if o.Found, err = d.bool("output.found"); err != nil {
		return err
	}
	if err = d.value("output.value", &o.Value); err != nil {
		return err
	}
	if err = d.placement("output.placement", &o.Placement); err != nil {
		return err
	}
	if o.Entries, err = d.entries("output.entries"); err != nil {
		return err
	}
	if o.Compaction, err = d.compaction("output.compaction"); err != nil {
		return err
	}
	return d.skipExtra("output", n, outputFields)
}

// compaction reads a Compaction or nil; field names it in errors.
func (d *mpDecoder) compaction(field string) (*Compaction, error) {
	if isNil, err := d.tryNil(field); err != nil || isNil {
		return nil, err
	}
	m, err := d.arrayLen(field, compactionFields)
	if err != nil {
		return nil, err
	}
	c := new(Compaction)
	for i, dst := range []*uint64{&c.Epoch, &c.BytesBefore, &c.BytesAfter, &c.BytesReclaimed, &c.Moved} {
		if *dst, err = d.uint64(fmt.Sprintf("%s[%d]", field, i)); err != nil {
			return nil, err
		}
	}
	if err := d.skipExtra(field, m, compactionFields); err != nil {
		return nil, err
	}
	return c, nil
}

func (d *mpDecoder) nemesis(nm *Nemesis) error {
	n, err := d.arrayLen("nemesis", nemesisFields)
	if err != nil {
		return err
	}
	if nm.Fault, err = d.string("nemesis.fault"); err != nil {
		return err
	}
	var u8 uint8
	if u8, err = d.uint8("nemesis.phase"); err != nil {
		return err
	}
	nm.Phase = NemesisPhase(u8)
	if nm.Target, err = d.string("nemesis.target"); err != nil {
		return err
	}
	if nm.Detail, err = d.string("nemesis.detail"); err != nil {
		return err
	}
	if isNil, err := d.tryNil("nemesis.hits"); err != nil {
		return err
	} else if !isNil {
		m, err := d.containerLen("nemesis.hits", true, 2)
		if err != nil {
			return err
		}
		nm.Hits = make(map[string]uint64, m)
		for i := 0; i < m; i++ {
			k, err := d.string("nemesis.hits key")
			if err != nil {
				return err
			}
			if nm.Hits[k], err = d.uint64("nemesis.hits[" + k + "]"); err != nil {
				return err
			}
		}
	}
	if nm.Restart, err = d.bool("nemesis.restart"); err != nil {
		return err
	}
	if n < nemesisWritten {
		return nil // written before the compaction field
	}
	if nm.Compaction, err = d.compaction("nemesis.compaction"); err != nil {
		return err
	}
	return d.skipExtra("nemesis", n, nemesisWritten)
}

func (d *mpDecoder) snapshot(s *Snapshot) error {
	n, err := d.arrayLen("snapshot", snapshotFields)
	if err != nil {
		return err
	}
	if s.Reason, err = d.string("snapshot.reason"); err != nil {
		return err
	}
	if isNil, err := d.tryNil("snapshot.stats"); err != nil {
		return err
	} else if !isNil {
		m, err := d.arrayLen("snapshot.stats", statsFields)
		if err != nil {
			return err
		}
		st := new(Stats)
		for i, dst := range []*uint64{&st.Live, &st.SlotsInUse, &st.SlotsTotal, &st.ContentBytesTotal, &st.ContentBytesLive} {
			if *dst, err = d.uint64(fmt.Sprintf("snapshot.stats[%d]", i)); err != nil {
				return err
			}
		}
		if st.Fragmentation, err = d.float64("snapshot.stats.fragmentation"); err != nil {
			return err
		}
		for i, dst := range []*uint64{&st.Compactions, &st.BytesReclaimed, &st.Epoch, &st.TornDiscarded, &st.FileBytes} {
			if *dst, err = d.uint64(fmt.Sprintf("snapshot.stats[%d]", i+6)); err != nil {
				return err
			}
		}
		if err := d.skipExtra("snapshot.stats", m, statsFields); err != nil {
			return err
		}
		s.Stats = st
	}
	if s.Layout, err = d.entries("snapshot.layout"); err != nil {
		return err
	}
	return d.skipExtra("snapshot", n, snapshotFields)
}
