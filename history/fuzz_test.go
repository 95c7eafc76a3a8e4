package history

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// FuzzReader feeds arbitrary bytes to the reader (both formats). It must
// never panic or hang; whatever events it returns must survive a write and
// read back unchanged, and any error must be one of the documented kinds.
//
//	go test -run XXX -fuzz FuzzReader -fuzztime 60s ./history/
func FuzzReader(f *testing.F) {
	events := sampleEvents(40, 31)
	_, data, _ := writeHistory(f, events, 9)
	f.Add(data)
	f.Add(data[:len(data)/2])
	f.Add(data[:len(Magic)+5])
	f.Add(writeJSONL(f, events))
	f.Add([]byte(`{"header":{"schema":1}}` + "\n" + `{"index":0,"kind":"op","type":"invoke","process":0,"worker":0,"op":"put","time":1,"input":{"value":{"has_content":true}}}`))
	f.Add([]byte(Magic))
	f.Add([]byte("not a history"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, got, err := ReadAll(bytes.NewReader(data), "fuzz")
		if err != nil {
			var dmg *DamageError
			if !errors.As(err, &dmg) && !errors.Is(err, ErrNotHistory) && !errors.Is(err, ErrBadHeader) && !errors.Is(err, ErrSchemaVersion) {
				t.Fatalf("undocumented error: %v", err)
			}
		}
		if len(got) == 0 {
			return
		}
		var buf []byte
		for i := range got {
			buf = AppendEvent(buf[:0], &got[i])
			again, n, err := DecodeEvent(buf)
			if err != nil || n != len(buf) || !bytes.Equal(AppendEvent(nil, &again), buf) {
				t.Fatalf("event %d does not round-trip: %v\n%+v\n%+v", i, err, got[i], again)
			}
		}
	})
}

// FuzzDecodeEvent: decoding arbitrary bytes never panics, and a decoded
// event re-encodes to bytes that decode to the same event (compared as
// canonical bytes, so that NaN payloads count as equal).
func FuzzDecodeEvent(f *testing.F) {
	for _, e := range append(ednEvents(), recordedEvents()...) {
		f.Add(AppendEvent(nil, &e))
	}
	f.Add([]byte{mpFixArray | eventFields})
	f.Fuzz(func(t *testing.T, data []byte) {
		e, n, err := DecodeEvent(data)
		if err != nil {
			return
		}
		if n > len(data) {
			t.Fatalf("consumed %d of %d bytes", n, len(data))
		}
		b := AppendEvent(nil, &e)
		again, m, err := DecodeEvent(b)
		if err != nil || m != len(b) || !bytes.Equal(AppendEvent(nil, &again), b) {
			t.Fatalf("re-encoding does not round-trip: %v\n%+v\n%+v", err, e, again)
		}
	})
}

// FuzzChunk frames arbitrary bytes as one correctly checksummed chunk after
// a valid header, so the fuzzer reaches the chunk decoder that FuzzReader's
// checksums shield: a chunk either yields exactly its claimed count of
// events (and then a torn tail, as no end record follows) or a DamageError
// at its start, never part of it.
func FuzzChunk(f *testing.F) {
	events := sampleEvents(20, 32)
	var payload []byte
	for i := range events {
		payload = AppendEvent(payload, &events[i])
	}
	f.Add(uint8(20), payload)
	f.Add(uint8(3), payload[:len(payload)/3])
	_, head, _ := writeHistory(f, nil, 1)
	head = head[:len(Magic)+headerPrefixLen+int(le32(head[len(Magic):]))] // no end record
	f.Fuzz(func(t *testing.T, count uint8, payload []byte) {
		data := append([]byte(nil), head...)
		data = binary.LittleEndian.AppendUint32(data, uint32(len(payload)))
		data = binary.LittleEndian.AppendUint32(data, chunkCRC(uint32(count), payload))
		data = binary.LittleEndian.AppendUint32(data, uint32(count))
		data = append(data, payload...)
		_, got, err := ReadAll(bytes.NewReader(data), "chunk")
		var dmg *DamageError
		switch {
		case err == nil, errors.As(err, &dmg) && dmg.Chunk == 1 && errors.Is(err, ErrTorn): // no end record after it
			if len(got) != int(count) {
				t.Fatalf("%d events from a chunk claiming %d", len(got), count)
			}
		case errors.As(err, &dmg):
			if len(got) != 0 || dmg.Offset != int64(len(head)) || dmg.Chunk != 0 {
				t.Fatalf("%d events before %v", len(got), err)
			}
		default:
			t.Fatalf("undocumented error: %v", err)
		}
	})
}
