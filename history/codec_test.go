package history

import (
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

func TestEventRoundTrip(t *testing.T) {
	events := sampleEvents(5000, 1)
	events = append(events, Event{Index: 1 << 40, Kind: KindOp, Type: Info, Process: -1, Worker: -7, Op: OpCompact, Time: -5,
		Output: &Output{Entries: []Entry{{ID: "x"}}, Compaction: &Compaction{Epoch: 2, BytesBefore: 1 << 33, BytesAfter: 7, BytesReclaimed: 1<<33 - 7, Moved: 3}},
		Error:  string(make([]byte, 70_000))})
	var buf []byte
	for i := range events {
		buf = AppendEvent(buf[:0], &events[i])
		got, n, err := DecodeEvent(buf)
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if n != len(buf) {
			t.Fatalf("event %d: decoded %d of %d bytes", i, n, len(buf))
		}
		if !reflect.DeepEqual(got, events[i]) {
			t.Fatalf("event %d:\n got %+v\nwant %+v", i, got, events[i])
		}
	}
}

// TestEventIsPlainMsgpack checks the hand-written encoder against the
// msgpack library: the same bytes decode generically to an array of the
// documented length, and the library's encoding of the documented arrays
// decodes with ours.
func TestEventIsPlainMsgpack(t *testing.T) {
	events := sampleEvents(500, 2)
	for i := range events {
		b := AppendEvent(nil, &events[i])
		var generic []any
		if err := msgpack.Unmarshal(b, &generic); err != nil {
			t.Fatalf("event %d: msgpack library cannot decode our bytes: %v", i, err)
		}
		if len(generic) != eventFields {
			t.Fatalf("event %d: %d elements, want %d", i, len(generic), eventFields)
		}
		if idx, _ := generic[0].(uint64); idx != events[i].Index && !(idx == 0 && events[i].Index == 0) {
			// msgpack returns the smallest Go integer type; compare via reflect.
			if reflect.ValueOf(generic[0]).Convert(reflect.TypeOf(uint64(0))).Uint() != events[i].Index {
				t.Fatalf("event %d: index %v", i, generic[0])
			}
		}
		// Re-encode the generic form with the library (other integer widths,
		// float32 kept) and decode it with ours.
		again, err := msgpack.Marshal(generic)
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := DecodeEvent(again)
		if err != nil {
			t.Fatalf("event %d: library re-encoding does not decode: %v", i, err)
		}
		if !reflect.DeepEqual(got, events[i]) {
			t.Fatalf("event %d: library re-encoding:\n got %+v\nwant %+v", i, got, events[i])
		}
	}
}

func TestDecodeSkipsAppendedFields(t *testing.T) {
	e := sampleEvents(2, 3)[1]
	b := AppendEvent(nil, &e)
	b[0] = mpFixArray | (eventFields + 2)
	b = appendString(b, "future field")
	b = appendArrayLen(b, 2)
	b = appendUint(b, 1)
	b = appendNil(b)
	got, n, err := DecodeEvent(b)
	if err != nil || n != len(b) || !reflect.DeepEqual(got, e) {
		t.Fatalf("got %+v, %d/%d bytes, %v", got, n, len(b), err)
	}
}

func TestDecodeRejectsMalformed(t *testing.T) {
	e := sampleEvents(3, 4)[2]
	good := AppendEvent(nil, &e)
	cases := map[string][]byte{
		"empty":        nil,
		"not an array": {0x01},
		"short array":  {mpFixArray | 3, 0, 1, 1},
		"truncated":    good[:len(good)-1],
		"huge entries": {mpFixArray | eventFields, 0, 1, 2, 0, 0, 10, mpFixStr, 0, mpFixArray | 5, 0, 0, 0, 0, 0, mpFixArray | 5, mpFalse, mpFixArray | 6, mpFalse, 0, 0, 0, 0, 0, mpFixArray | 5, 0, 0, 0, 0, mpFalse, mpArray32, 0xff, 0xff, 0xff, 0xff},
		"kind too big": {mpFixArray | eventFields, 0, mpUint16, 1, 0},
	}
	for name, b := range cases {
		if _, _, err := DecodeEvent(b); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}
