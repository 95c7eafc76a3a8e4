package history

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

var testHeader = Header{Seed: 42, Workload: "mixed", Workers: 8, Ops: 1000, Faults: []string{"panic", "kill"},
	Mode: "inprocess", FaultModel: "process-crash", WarmcheckVersion: "test", GoVersion: "go1.26", PorcupineVersion: "v1.3.1", StartedUnixNanos: 1_700_000_000_000_000_000,
	Sync: "group commit every 5ms"}

// writeHistory writes events, flushing every perChunk events, and returns
// the file bytes and the end offset of every chunk.
func writeHistory(t testing.TB, events []Event, perChunk int) (string, []byte, []int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "history.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	var ends []int64
	for i := range events {
		if err := w.Append(events[i]); err != nil {
			t.Fatal(err)
		}
		if (i+1)%perChunk == 0 || i == len(events)-1 {
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			ends = append(ends, w.off)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return path, data, ends
}

func wantHeader() Header {
	h := testHeader
	h.Schema = SchemaVersion
	h.Digest = DigestXXH64
	h.EndRecord = true
	return h
}

func TestFileRoundTrip(t *testing.T) {
	events := sampleEvents(10_000, 5) // several writer-sized chunks
	path := filepath.Join(t.TempDir(), "h.wch")
	w, err := Create(path, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.Append(events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Append(events[0]); !errors.Is(err, ErrWriterClosed) {
		t.Fatalf("append after close: %v", err)
	}
	h, got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h, wantHeader()) {
		t.Fatalf("header %+v", h)
	}
	if !sameEvents(got, events) {
		t.Fatalf("events differ (%d read, %d written)", len(got), len(events))
	}
}

func TestEmptyHistory(t *testing.T) {
	path, _, _ := writeHistory(t, nil, 1)
	h, events, err := ReadFile(path)
	if err != nil || len(events) != 0 || h.Workload != "mixed" {
		t.Fatalf("%+v %d %v", h, len(events), err)
	}
}

// TestTruncateEveryOffset cuts a small multi-chunk history at every byte and
// checks the reader returns exactly the events of the complete chunks, then
// io.EOF only for the whole file (end record included), a torn DamageError
// naming the first chunk not returned for every other cut after chunk 0,
// and a corrupt one (nothing readable) for a cut inside chunk 0.
func TestTruncateEveryOffset(t *testing.T) {
	events := sampleEvents(35, 6)
	_, data, ends := writeHistory(t, events, 6)
	perChunk := 6
	headerEnd := ends[0] - int64(chunkPrefixLen) - int64(len(chunkPayloadOf(t, data, ends, 0)))
	for cut := 0; cut <= len(data); cut++ {
		r, err := NewReader(bytes.NewReader(data[:cut]), "cut")
		if int64(cut) < headerEnd {
			if err == nil {
				t.Fatalf("cut %d (inside the header): no error", cut)
			}
			if cut > 0 && !errors.Is(err, ErrBadHeader) {
				t.Fatalf("cut %d: %v, want ErrBadHeader", cut, err)
			}
			if cut == 0 && !errors.Is(err, ErrNotHistory) {
				t.Fatalf("cut 0: %v, want ErrNotHistory", err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		complete := 0
		for complete < len(ends) && ends[complete] <= int64(cut) {
			complete++
		}
		wantN := min(complete*perChunk, len(events))
		var got []Event
		var end error
		for {
			e, err := r.Next()
			if err != nil {
				end = err
				break
			}
			got = append(got, e)
		}
		if !sameEvents(got, events[:wantN]) {
			t.Fatalf("cut %d: got %d events, want the first %d", cut, len(got), wantN)
		}
		if cut == len(data) {
			if end != io.EOF {
				t.Fatalf("whole file: %v, want io.EOF", end)
			}
			continue
		}
		var dmg *DamageError
		if !errors.As(end, &dmg) || !errors.Is(end, ErrDamaged) {
			t.Fatalf("cut %d: %v, want a DamageError", cut, end)
		}
		wantOff := headerEnd
		if complete > 0 {
			wantOff = ends[complete-1]
		}
		want := Torn
		if complete == 0 && int64(cut) > headerEnd {
			want = Corrupt
		}
		if dmg.Offset != wantOff || dmg.Chunk != complete || dmg.File != "cut" || dmg.Completeness != want {
			t.Fatalf("cut %d: %+v, want offset %d chunk %d %v", cut, dmg, wantOff, complete, want)
		}
		if errors.Is(end, ErrTorn) != (want == Torn) || errors.Is(end, ErrCorrupt) != (want == Corrupt) {
			t.Fatalf("cut %d: %v matches the wrong sentinel", cut, end)
		}
		if _, again := r.Next(); again != end {
			t.Fatalf("cut %d: error not sticky: %v", cut, again)
		}
	}
}

func chunkPayloadOf(t testing.TB, data []byte, ends []int64, i int) []byte {
	t.Helper()
	// Walk back from the end of chunk i: the header is before chunk 0.
	start := int64(len(Magic))
	l := int64(le32(data[start:]))
	start += headerPrefixLen + l
	for j := 0; j < i; j++ {
		start = ends[j]
	}
	n := int64(le32(data[start:]))
	return data[start+chunkPrefixLen : start+chunkPrefixLen+n]
}

// TestBitFlips flips every bit of a small history, one at a time: the reader
// must fail cleanly or return a prefix of the true events, never a changed
// event and never panic.
func TestBitFlips(t *testing.T) {
	events := sampleEvents(14, 7)
	_, data, _ := writeHistory(t, events, 5)
	mutated := make([]byte, len(data))
	for bit := 0; bit < len(data)*8; bit++ {
		copy(mutated, data)
		mutated[bit/8] ^= 1 << (bit % 8)
		h, got, err := ReadAll(bytes.NewReader(mutated), "flip")
		if err == nil && len(got) == len(events) {
			t.Fatalf("bit %d (byte %d): flip went unnoticed", bit, bit/8)
		}
		if len(got) > 0 && !reflect.DeepEqual(h, wantHeader()) {
			t.Fatalf("bit %d: wrong header %+v", bit, h)
		}
		if !sameEvents(got, events[:len(got)]) {
			t.Fatalf("bit %d (byte %d): returned events that differ from the written ones", bit, bit/8)
		}
	}
}

func TestHeaderErrors(t *testing.T) {
	_, data, _ := writeHistory(t, sampleEvents(3, 8), 3)
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), data...)) }
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrNotHistory},
		{"text", []byte("hello world, not a history"), ErrNotHistory},
		{"elf", []byte("\x7fELF\x02\x01\x01\x00\x00\x00"), ErrNotHistory},
		{"short magic", []byte("WCHI"), ErrBadHeader},
		{"future framing", mut(func(b []byte) []byte { b[7] = 2; return b }), ErrSchemaVersion},
		{"no header", []byte(Magic), ErrBadHeader},
		{"header crc", mut(func(b []byte) []byte { b[12] ^= 1; return b }), ErrBadHeader},
		{"header length", mut(func(b []byte) []byte { b[11] = 0x7f; return b }), ErrBadHeader},
		{"jsonl no header", []byte(`{"index":0}` + "\n"), ErrBadHeader},
		{"jsonl future schema", []byte(`{"header":{"schema":9}}` + "\n"), ErrSchemaVersion},
		{"jsonl not json", []byte("{nope\n"), ErrBadHeader},
	}
	for _, c := range cases {
		_, _, err := ReadAll(bytes.NewReader(c.data), "case.wch")
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if err != nil && !bytes.Contains([]byte(err.Error()), []byte("case.wch")) {
			t.Errorf("%s: error does not name the file: %v", c.name, err)
		}
	}
}

func TestFutureSchemaInHeader(t *testing.T) {
	payload, err := encodeHeader(&Header{Schema: SchemaVersion + 1, Workload: "x", Digest: DigestXXH64})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewReader(bytes.NewReader(rawHistory(payload)), "v3"); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("%v, want ErrSchemaVersion", err)
	}
	if _, err := Create(filepath.Join(t.TempDir(), "h.wch"), Header{Schema: SchemaVersion + 1}); !errors.Is(err, ErrSchemaVersion) {
		t.Fatalf("Create with schema %d: %v, want ErrSchemaVersion", SchemaVersion+1, err)
	}
}

// rawHistory is a msgpack history with the given header payload and no
// chunk.
func rawHistory(payload []byte) []byte {
	b := append([]byte(Magic), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[12:], crc32c(payload))
	return append(b, payload...)
}

func TestOpenMissingFile(t *testing.T) {
	if _, err := Open(filepath.Join(t.TempDir(), "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%v", err)
	}
}

func sameEvents(a, b []Event) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !reflect.DeepEqual(a[i], b[i]) {
			return false
		}
	}
	return true
}

// TestCRCIsCastagnoli pins the checksum FORMAT.md specifies.
func TestCRCIsCastagnoli(t *testing.T) {
	if got := crc32c([]byte("123456789")); got != 0xE3069283 {
		t.Fatalf("check value %08x", got)
	}
	if chunkCRC(0x04030201, []byte("xyz")) != crc32c([]byte("\x01\x02\x03\x04xyz")) {
		t.Fatal("chunk CRC is not CRC-32C(count LE || payload)")
	}
}

// TestHeaderIgnoresUnknownKeys: a later writer may add header keys; this
// reader must still open the file (FORMAT.md, "Versions").
func TestHeaderIgnoresUnknownKeys(t *testing.T) {
	payload, err := msgpack.Marshal(map[string]any{"schema": 1, "workload": "future", "added_later": []int{1, 2}, "seed": -5})
	if err != nil {
		t.Fatal(err)
	}
	b := append([]byte(Magic), 0, 0, 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint32(b[8:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[12:], crc32c(payload))
	b = append(b, payload...)
	r, err := NewReader(bytes.NewReader(b), "future.wch")
	if err != nil {
		t.Fatal(err)
	}
	if h := r.Header(); h.Workload != "future" || h.Seed != -5 || h.Schema != 1 || h.Digest != DigestFNV1a64 {
		t.Fatalf("%+v", h)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("%v", err)
	}
}
