package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestValueKeyIsBitEquality(t *testing.T) {
	nan := float32(math.NaN())
	otherNaN := math.Float32frombits(math.Float32bits(nan) | 1)
	negZero := float32(math.Copysign(0, -1))
	v := Value{HasContent: true, ContentDigest: 7, ContentLen: 3, EmbeddingDigest: 9, Confidence: nan, Activation: 0.25}
	if v.Key() != v.Key() {
		t.Fatal("a NaN value's key differs from itself")
	}
	for name, mut := range map[string]func(*Value){
		"other NaN payload": func(w *Value) { w.Confidence = otherNaN },
		"-0 activation":     func(w *Value) { w.Activation = negZero },
		"content":           func(w *Value) { w.ContentDigest++ },
		"length":            func(w *Value) { w.ContentLen++ },
		"has_content":       func(w *Value) { w.HasContent = false },
		"embedding":         func(w *Value) { w.EmbeddingDigest++ },
		"decay_rate":        func(w *Value) { w.DecayRate = 0.5 },
	} {
		w := v
		mut(&w)
		if w.Key() == v.Key() {
			t.Errorf("%s: keys equal, want different", name)
		}
	}
	z := Value{Activation: 0}
	nz := Value{Activation: negZero}
	if z.Key() == nz.Key() {
		t.Error("+0 and -0 have the same key")
	}
}

// recordedEvents is a short history whose values record decay_rate,
// created_at and last_access, with the float and integer edge cases.
func recordedEvents() []Event {
	negZero := float32(math.Copysign(0, -1))
	v := Value{HasContent: true, ContentDigest: 11, ContentLen: 4, EmbeddingDigest: 12, Confidence: 0.5, Activation: 0.25,
		Recorded: true, DecayRate: 0.0625, CreatedAt: 1_600_000_000_123_456_789, LastAccess: 0}
	read := v
	read.LastAccess = 1_764_000_000_000_000_001
	odd := v
	odd.DecayRate, odd.CreatedAt, odd.LastAccess = float32(math.NaN()), -1, math.MaxInt64
	zero := v
	zero.DecayRate = negZero
	return []Event{
		{Index: 0, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpPut, ID: "a", Time: 10, Input: &Input{Value: v}},
		{Index: 1, Kind: KindOp, Type: OK, Process: 0, Worker: 0, Op: OpPut, ID: "a", Time: 20, Output: &Output{Placement: Placement{Slot: 1, Length: 4, HasContent: true}}},
		{Index: 2, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpGet, ID: "a", Time: 30},
		{Index: 3, Kind: KindOp, Type: OK, Process: 0, Worker: 0, Op: OpGet, ID: "a", Time: 40, Output: &Output{Found: true, Value: read}},
		{Index: 4, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpIterate, Time: 50},
		{Index: 5, Kind: KindOp, Type: OK, Process: 0, Worker: 0, Op: OpIterate, Time: 60, Output: &Output{Entries: []Entry{
			{ID: "a", Value: odd}, {ID: "b", Value: zero}, {ID: "c", Value: Value{HasContent: true, ContentDigest: 5, Confidence: 1}}}}},
		{Index: 6, Kind: KindSnapshot, Type: Info, Time: 70, Snapshot: &Snapshot{Reason: "final", Layout: []Entry{{ID: "a", Value: read, Placement: Placement{Slot: 1, Length: 4, HasContent: true}}}}},
	}
}

// valuesOf lists every value an event holds, in a fixed order.
func valuesOf(e *Event) []Value {
	var out []Value
	if e.Input != nil {
		out = append(out, e.Input.Value)
	}
	if e.Output != nil {
		out = append(out, e.Output.Value)
		for _, en := range e.Output.Entries {
			out = append(out, en.Value)
		}
	}
	if e.Snapshot != nil {
		for _, en := range e.Snapshot.Layout {
			out = append(out, en.Value)
		}
	}
	return out
}

// sameValues compares every value of two event lists bit for bit, recorded
// fields and Recorded included.
func sameValues(t *testing.T, form string, got, want []Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d events, want %d", form, len(got), len(want))
	}
	for i := range want {
		g, w := valuesOf(&got[i]), valuesOf(&want[i])
		if len(g) != len(w) {
			t.Fatalf("%s: event %d: %d values, want %d", form, i, len(g), len(w))
		}
		for k := range w {
			if g[k].Key() != w[k].Key() || g[k].Recorded != w[k].Recorded || g[k].CreatedAt != w[k].CreatedAt || g[k].LastAccess != w[k].LastAccess {
				t.Errorf("%s: event %d value %d: %+v, want %+v", form, i, k, g[k], w[k])
			}
		}
	}
}

func TestRecordedFieldsRoundTrip(t *testing.T) {
	events := recordedEvents()
	path, _, _ := writeHistory(t, events, 3)
	_, got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, "msgpack", got, events)

	data := writeJSONL(t, events)
	_, got, err = ReadAll(bytes.NewReader(data), "h.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	sameValues(t, "jsonl", got, events)
	// The fast path and encoding/json agree on every line.
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	for i, line := range lines[1 : len(lines)-1] { // the header and the end line are not events
		var fast, ref Event
		if err := decodeJSONEvent(line, &fast); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(line, &ref); err != nil {
			t.Fatal(err)
		}
		sameValues(t, fmt.Sprintf("jsonl line %d fast vs encoding/json", i+2), []Event{fast}, []Event{ref})
	}
	for _, want := range []string{`"decay_rate":"NaN"`, `"created_at":-1`, `"last_access":9223372036854775807`, `"decay_rate":-0`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %s in the JSON Lines:\n%s", want, data)
		}
	}
	if n := bytes.Count(data, []byte(`"decay_rate"`)); n != 5 {
		t.Errorf("decay_rate written %d times, want 5 (the unrecorded values have no key)", n)
	}

	var edn bytes.Buffer
	w, err := NewEDNWriter(&edn, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	if !strings.Contains(edn.String(), ":decay-rate ##NaN, :created-at -1, :last-access 9223372036854775807") ||
		strings.Count(edn.String(), ":decay-rate") != 5 {
		t.Errorf("EDN recorded fields:\n%s", edn.String())
	}
}

// Values written before the fields were appended (6 elements, no keys) read
// as not recorded; a value with elements beyond the 9 known ones is read
// and the rest skipped; a partial set is an error naming the field.
func TestRecordedFieldsOldAndFutureForms(t *testing.T) {
	plain := Value{HasContent: true, ContentDigest: 3, ContentLen: 1, Confidence: 0.5}
	e := Event{Index: 0, Kind: KindOp, Type: Invoke, Op: OpPut, ID: "a", Input: &Input{Value: plain}}
	b := AppendEvent(nil, &e)
	got, _, err := DecodeEvent(b)
	if err != nil || got.Input.Value.Recorded || got.Input.Value.Key() != plain.Key() {
		t.Fatalf("6-element value: %+v, %v", got.Input, err)
	}
	// The value array starts right after the input's array header.
	rec := plain
	rec.Recorded, rec.DecayRate, rec.CreatedAt, rec.LastAccess = true, 0.5, 7, 8
	e.Input.Value = rec
	b = AppendEvent(nil, &e)
	at := bytes.IndexByte(b, mpFixArray|valueRecorded)
	if at < 0 {
		t.Fatal("no 9-element value array in the encoding")
	}
	future := append(append([]byte{}, b[:at]...), mpFixArray|(valueRecorded+1))
	future = append(future, b[at+1:at+1+valueLen(t, b[at:])-1]...)
	future = append(future, 0xc0) // one more element: nil
	future = append(future, b[at+valueLen(t, b[at:]):]...)
	got, _, err = DecodeEvent(future)
	if err != nil || !got.Input.Value.Recorded || got.Input.Value.LastAccess != 8 {
		t.Fatalf("10-element value: %+v, %v", got.Input, err)
	}
	partial := append(append([]byte{}, b[:at]...), mpFixArray|7)
	partial = append(partial, b[at+1:]...)
	if _, _, err := DecodeEvent(partial); err == nil || !strings.Contains(err.Error(), "decay_rate") {
		t.Fatalf("7-element value: %v", err)
	}

	var v Value
	if err := json.Unmarshal([]byte(`{"has_content":true,"content_digest":3,"content_len":1,"embedding_digest":0,"confidence":0.5,"activation":0}`), &v); err != nil || v.Recorded {
		t.Fatalf("JSON without the keys: %+v %v", v, err)
	}
	if err := json.Unmarshal([]byte(`{"has_content":true,"content_digest":3,"content_len":1,"embedding_digest":0,"confidence":0.5,"activation":0,"decay_rate":0.5}`), &v); err == nil || !strings.Contains(err.Error(), "decay_rate") {
		t.Fatalf("JSON with decay_rate only: %v", err)
	}
	line := []byte(`{"index":0,"kind":"op","type":"invoke","process":0,"worker":0,"op":"put","id":"a","time":0,"input":{"value":{"has_content":false,"content_digest":0,"content_len":0,"embedding_digest":0,"confidence":0,"activation":0,"created_at":5,"last_access":6},"activation":0,"threshold":0}}`)
	if err := decodeJSONEvent(line, &e); err == nil {
		t.Fatalf("JSON line with two of the three recorded keys decoded: %+v", e.Input.Value)
	}
}

// valueLen is the encoded length of the msgpack value array at the start of b.
func valueLen(t *testing.T, b []byte) int {
	t.Helper()
	d := mpDecoder{buf: b}
	if err := d.skip("value", 0); err != nil {
		t.Fatal(err)
	}
	return d.pos
}

func TestValidateRejectsMixedRecordedFields(t *testing.T) {
	events := recordedEvents()
	events[5].Output.Entries = events[5].Output.Entries[:2] // drop the unrecorded one
	if err := Validate(events); err != nil {
		t.Fatalf("recorded history: %v", err)
	}
	events[3].Output.Value.Recorded = false // the get's value lacks them
	err := Validate(events)
	if !errors.Is(err, ErrRecordedFields) || !strings.Contains(err.Error(), "output.value") {
		t.Fatalf("mixed history: %v", err)
	}
}
