package history

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
)

// readCompleteness reads data and returns the events and what the read
// concluded.
func readCompleteness(t *testing.T, data []byte) ([]Event, Completeness, error) {
	t.Helper()
	_, got, err := ReadAll(bytes.NewReader(data), "h.wch")
	var dmg *DamageError
	if err != nil && !errors.As(err, &dmg) {
		t.Fatalf("not a damage error: %v", err)
	}
	return got, CompletenessOf(err), err
}

// elevenChunks is a closed history of 11 chunks of 10 events, and the end
// offset of every chunk.
func elevenChunks(t *testing.T) ([]Event, []byte, []int64) {
	events := sampleEvents(110, 90)
	_, data, ends := writeHistory(t, events, 10)
	if len(ends) != 11 {
		t.Fatalf("%d chunks", len(ends))
	}
	return events, data, ends
}

func TestClosedHistoryIsComplete(t *testing.T) {
	events, data, _ := elevenChunks(t)
	got, c, err := readCompleteness(t, data)
	if c != Complete || err != nil || !sameEvents(got, events) {
		t.Fatalf("%v %v, %d events", c, err, len(got))
	}
}

// TestMidFileDamageIsCorrupt: a checksum mismatch in chunk 1 of 11 with
// intact chunks after it is corruption, not a torn tail (it used to read as
// a damaged tail, judged on the first 10 events).
func TestMidFileDamageIsCorrupt(t *testing.T) {
	events, data, ends := elevenChunks(t)
	mutate := func(f func(b []byte)) []byte {
		b := bytes.Clone(data)
		f(b)
		return b
	}
	cases := map[string][]byte{
		"payload bit": mutate(func(b []byte) { b[ends[0]+40] ^= 0x10 }),
		"crc":         mutate(func(b []byte) { b[ends[0]+5] ^= 1 }),
		"count":       mutate(func(b []byte) { b[ends[0]+8]++ }),
		"length grown to EOF": mutate(func(b []byte) {
			binary.LittleEndian.PutUint32(b[ends[0]:], uint32(int64(len(b))-ends[0]-chunkPrefixLen))
		}),
		"length past EOF": mutate(func(b []byte) { binary.LittleEndian.PutUint32(b[ends[0]:], uint32(len(b))) }),
		"length shrunk":   mutate(func(b []byte) { binary.LittleEndian.PutUint32(b[ends[0]:], 200) }),
		"length huge":     mutate(func(b []byte) { b[ends[0]+3] = 0xff }),
		"zeroed chunk":    mutate(func(b []byte) { clear(b[ends[0]:ends[1]]) }),
		"zeroed prefix":   mutate(func(b []byte) { clear(b[ends[0] : ends[0]+chunkPrefixLen]) }),
	}
	for name, b := range cases {
		got, c, err := readCompleteness(t, b)
		var dmg *DamageError
		if c != Corrupt || !errors.As(err, &dmg) || dmg.Chunk != 1 || dmg.Offset != ends[0] || !errors.Is(err, ErrCorrupt) || errors.Is(err, ErrTorn) {
			t.Errorf("%s: %v (%v)", name, c, err)
			continue
		}
		if !sameEvents(got, events[:10]) {
			t.Errorf("%s: %d events, want the 10 of chunk 0", name, len(got))
		}
		if msg := err.Error(); !strings.Contains(msg, "h.wch") || !strings.Contains(msg, "byte ") || !strings.Contains(msg, "chunk 1") || !strings.Contains(msg, "corrupt") {
			t.Errorf("%s: message does not name file, byte, chunk and corruption: %s", name, msg)
		}
	}
}

// TestChunkZeroDamageIsCorrupt: nothing readable is corrupt, whatever the
// damage (it used to be a damaged tail with no events, judged unknown).
func TestChunkZeroDamageIsCorrupt(t *testing.T) {
	_, data, ends := elevenChunks(t)
	headerEnd := int(ends[0]) - chunkPrefixLen - len(chunkPayloadOf(t, data, ends, 0))
	for name, b := range map[string][]byte{
		"crc":       func() []byte { b := bytes.Clone(data); b[headerEnd+20] ^= 4; return b }(),
		"cut":       data[:headerEnd+30],
		"zero fill": append(bytes.Clone(data[:headerEnd]), make([]byte, 5000)...),
	} {
		got, c, err := readCompleteness(t, b)
		if c != Corrupt || len(got) != 0 || !strings.Contains(err.Error(), "chunk 0") {
			t.Errorf("%s: %v, %d events (%v)", name, c, len(got), err)
		}
	}
}

// TestTornTails: what a killed writer or a power loss leaves at the end of
// the file is torn, with every event before it returned.
func TestTornTails(t *testing.T) {
	events, data, ends := elevenChunks(t)
	endRecord := ends[10]
	withZeros := func(b []byte, n int) []byte { return append(bytes.Clone(b), make([]byte, n)...) }
	cases := []struct {
		name  string
		data  []byte
		keep  int // events returned
		chunk int
	}{
		{"killed at a chunk boundary", data[:ends[6]], 70, 7},
		{"killed before the end record", data[:endRecord], 110, 11},
		{"cut inside a chunk", data[:ends[6]+100], 70, 7},
		{"cut inside a chunk prefix", data[:ends[6]+5], 70, 7},
		{"cut inside the end record", data[:len(data)-3], 110, 11},
		{"zero fill after a boundary", withZeros(data[:ends[6]], 9000), 70, 7},
		{"zero fill after a cut", withZeros(data[:ends[6]+100], 9000), 70, 7},
		{"zero fill short", withZeros(data[:ends[6]], 12), 70, 7},
	}
	for _, c := range cases {
		got, comp, err := readCompleteness(t, c.data)
		var dmg *DamageError
		if comp != Torn || !errors.As(err, &dmg) || dmg.Chunk != c.chunk || !errors.Is(err, ErrTorn) || errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v (%v)", c.name, comp, err)
			continue
		}
		if !sameEvents(got, events[:c.keep]) {
			t.Errorf("%s: %d events, want %d", c.name, len(got), c.keep)
		}
	}
	// A lost last page: the file kept its size, the last page's bytes are
	// zero; everything from a page start to the end of the file is zero.
	b := bytes.Clone(data[:ends[6]])
	page := (int64(len(b)) - 1) / 4096 * 4096
	if page <= ends[5] {
		t.Fatalf("test needs chunk 7 to span a page boundary (%d..%d, page %d)", ends[5], ends[6], page)
	}
	clear(b[page:])
	if got, comp, err := readCompleteness(t, b); comp != Torn || len(got) != 60 {
		t.Errorf("lost last page: %v, %d events (%v)", comp, len(got), err)
	}
	// A whole last chunk that fails its check, nothing after it: the
	// damage is followed by no data, so the tail is lost, not corrupt.
	b = bytes.Clone(data[:ends[6]])
	b[ends[5]+20] ^= 1
	if got, comp, err := readCompleteness(t, b); comp != Torn || len(got) != 60 {
		t.Errorf("last chunk bad, nothing after: %v, %d events (%v)", comp, len(got), err)
	}
}

// TestEndRecordRules: the end record must agree with the file and be last.
func TestEndRecordRules(t *testing.T) {
	_, data, ends := elevenChunks(t)
	missingChunk := append(bytes.Clone(data[:ends[3]]), data[ends[4]:]...)
	cases := map[string][]byte{
		"a chunk missing":  missingChunk,
		"data after it":    append(bytes.Clone(data), "x"...),
		"a chunk after it": append(bytes.Clone(data), data[ends[0]:ends[1]]...),
	}
	for name, b := range cases {
		if _, comp, err := readCompleteness(t, b); comp != Corrupt {
			t.Errorf("%s: %v (%v)", name, comp, err)
		}
	}
	// A damaged end record with nothing after it is a torn tail, like any
	// damaged last chunk: every event is there, completeness is unproven.
	for name, b := range map[string][]byte{
		"its checksum": func() []byte { b := bytes.Clone(data); b[len(b)-1] ^= 1; return b }(),
		"zeroed tail":  func() []byte { b := bytes.Clone(data); clear(b[len(b)-3:]); return b }(),
	} {
		if got, comp, err := readCompleteness(t, b); comp != Torn || len(got) != 110 {
			t.Errorf("end record, %s: %v, %d events (%v)", name, comp, len(got), err)
		}
	}
	// Zero bytes after it are fill, not data: nothing is missing.
	if got, comp, err := readCompleteness(t, append(bytes.Clone(data), make([]byte, 5000)...)); comp != Complete || len(got) != 110 {
		t.Errorf("zeros after the end record: %v, %d events (%v)", comp, len(got), err)
	}
}

// TestEveryBitFlipInTheChunksIsDetected: flipping any one bit after the
// header of a closed history never reads as complete, and never as torn
// unless the flip is in the end record, which nothing follows.
func TestEveryBitFlipInTheChunksIsDetected(t *testing.T) {
	events := sampleEvents(30, 91)
	_, data, ends := writeHistory(t, events, 10)
	headerEnd := int(ends[0]) - chunkPrefixLen - len(chunkPayloadOf(t, data, ends, 0))
	endRecord := int(ends[len(ends)-1])
	b := make([]byte, len(data))
	for bit := headerEnd * 8; bit < len(data)*8; bit++ {
		copy(b, data)
		b[bit/8] ^= 1 << (bit % 8)
		got, comp, err := readCompleteness(t, b)
		if !sameEvents(got, events[:len(got)]) {
			t.Fatalf("bit %d: changed events returned", bit)
		}
		switch {
		case comp == Complete:
			t.Fatalf("bit %d (byte %d): flip unnoticed", bit, bit/8)
		case comp == Torn && bit/8 < endRecord:
			t.Fatalf("bit %d (byte %d): torn: %v", bit, bit/8, err)
		}
	}
}

// TestOldFilesReadAsBefore: a file whose header does not announce an end
// record (written before it) is complete at a chunk boundary, while damage
// followed by more data is corrupt in it too.
func TestOldFilesReadAsBefore(t *testing.T) {
	events, data, ends := elevenChunks(t)
	old := oldStyle(t, data, ends)
	got, comp, err := readCompleteness(t, old)
	if comp != Complete || err != nil || !sameEvents(got, events) {
		t.Fatalf("old file: %v %v", comp, err)
	}
	shift := int64(len(data) - len(old) - chunkPrefixLen - endRecordLen(data, ends)) // header shrank
	if _, comp, err := readCompleteness(t, old[:ends[4]-shift]); comp != Complete || err != nil {
		t.Fatalf("old file at a boundary: %v %v", comp, err)
	}
	bad := bytes.Clone(old)
	bad[ends[3]-shift+30] ^= 2
	if _, comp, err := readCompleteness(t, bad); comp != Corrupt {
		t.Fatalf("old file, chunk 4 bad: %v %v", comp, err)
	}
	if _, comp, err := readCompleteness(t, old[:ends[4]-shift+50]); comp != Torn {
		t.Fatalf("old file cut in chunk 5: %v %v", comp, err)
	}
}

func endRecordLen(data []byte, ends []int64) int {
	return len(data) - int(ends[len(ends)-1]) - chunkPrefixLen
}

// oldStyle rewrites a closed history as a writer before the end record
// wrote it: no end_record header key, no end record.
func oldStyle(t *testing.T, data []byte, ends []int64) []byte {
	t.Helper()
	h := wantHeader()
	h.EndRecord = false
	payload, err := encodeHeader(&h)
	if err != nil {
		t.Fatal(err)
	}
	headerEnd := int(ends[0]) - chunkPrefixLen - len(chunkPayloadOf(t, data, ends, 0))
	out := rawHistory(payload)
	return append(out, data[headerEnd:ends[len(ends)-1]]...)
}

func TestJSONLCompleteness(t *testing.T) {
	events := sampleEvents(20, 92)
	data := writeJSONL(t, events)
	lines := bytes.SplitAfter(data, []byte("\n"))
	join := func(ls ...[]byte) []byte { return bytes.Join(ls, nil) }
	body := lines[1:21]
	endLine := lines[21]
	badLine := []byte(`{"index":3,"kind":"op","type":"frob"}` + "\n")
	cases := []struct {
		name string
		data []byte
		want Completeness
		keep int
	}{
		{"closed", data, Complete, 20},
		{"closed, trailing blank lines", join(data, []byte("\n\n")), Complete, 20},
		{"no end line", join(append([][]byte{lines[0]}, body...)...), Torn, 20},
		{"cut inside a line", join(append(append([][]byte{lines[0]}, body[:9]...), body[9][:30])...), Torn, 9},
		{"cut line then zero fill", join(append(append([][]byte{lines[0]}, body[:9]...), body[9][:30], make([]byte, 100))...), Torn, 9},
		{"bad line in the middle", join(append(append(append([][]byte{lines[0]}, body[:5]...), badLine), body[5:]...)...), Corrupt, 5},
		{"bad whole last line", join(append(append([][]byte{lines[0]}, body...), badLine)...), Torn, 20},
		{"bad line, blank and zero bytes after", join(append(append([][]byte{lines[0]}, body[:7]...), badLine, []byte("\n \x00\x00\n"))...), Torn, 7},
		{"bad first line", join(lines[0], badLine), Corrupt, 0},
		{"cut first line", join(lines[0], body[0][:10]), Corrupt, 0},
		{"line missing", join(append(append([][]byte{lines[0]}, body[:19]...), endLine)...), Corrupt, 19},
		{"data after the end line", join(data, body[0]), Corrupt, 20},
		{"zeros after the end line", join(data, make([]byte, 8)), Complete, 20},
		{"end line with a later key", join(append(append([][]byte{lines[0]}, body...), []byte(`{"kind":"end","events":20,"digest_of_all":7}`+"\n"))...), Complete, 20},
		{"end line miscounts", join(append(append([][]byte{lines[0]}, body...), []byte(`{"kind":"end","events":21}`+"\n"))...), Corrupt, 20},
	}
	for _, c := range cases {
		_, got, err := ReadAll(bytes.NewReader(c.data), "h.jsonl")
		if comp := CompletenessOf(err); comp != c.want || !sameEvents(got, events[:c.keep]) {
			t.Errorf("%s: %v, %d events (%v), want %v and %d", c.name, comp, len(got), err, c.want, c.keep)
		}
		if err != nil && !strings.Contains(err.Error(), "line ") {
			t.Errorf("%s: error does not name the line: %v", c.name, err)
		}
	}
	// A file written before the end line: complete at its last line.
	old := bytes.Replace(join(append([][]byte{lines[0]}, body...)...), []byte(`"end_record":true`), []byte(`"end_recorx":true`), 1)
	if _, got, err := ReadAll(bytes.NewReader(old), "old.jsonl"); err != nil || len(got) != 20 {
		t.Errorf("old JSON Lines: %d events, %v", len(got), err)
	}
}

// TestRandomDamageBeforeIntactChunksIsCorrupt overwrites random byte runs
// (random bytes, zeros, or a copy of other bytes of the file) of a closed
// history in place, anywhere before its last event chunk: an intact chunk
// then still follows the damage, so the read must be corrupt, never torn
// and never complete, and what it returns is a prefix of the true events.
func TestRandomDamageBeforeIntactChunksIsCorrupt(t *testing.T) {
	events := sampleEvents(120, 93)
	_, data, ends := writeHistory(t, events, 12)
	headerEnd := int(ends[0]) - chunkPrefixLen - len(chunkPayloadOf(t, data, ends, 0))
	limit := int(ends[len(ends)-2]) // the last event chunk starts here
	rng := rand.New(rand.NewPCG(7, 9))
	b := make([]byte, len(data))
	for i := 0; i < 3000; i++ {
		copy(b, data)
		at := headerEnd + rng.IntN(limit-headerEnd)
		n := 1 + rng.IntN(min(64, limit-at))
		switch rng.IntN(3) {
		case 0:
			for k := at; k < at+n; k++ {
				b[k] = byte(rng.Uint32())
			}
		case 1:
			clear(b[at : at+n])
		default:
			from := headerEnd + rng.IntN(len(data)-headerEnd-n)
			copy(b[at:at+n], data[from:from+n])
		}
		if bytes.Equal(b, data) {
			continue
		}
		got, comp, err := readCompleteness(t, b)
		if comp != Corrupt {
			t.Fatalf("case %d: %d bytes at %d: %v (%v)", i, n, at, comp, err)
		}
		if !sameEvents(got, events[:len(got)]) {
			t.Fatalf("case %d: changed events returned", i)
		}
	}
}
