package history

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestIndependentReader reads histories with testdata/readwch.py, a reader
// written from FORMAT.md alone (no code shared, no msgpack package), and
// checks it sees the same header, the same events field by field, and the
// same damage point. Skipped where python3 is missing.
func TestIndependentReader(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	events := sampleEvents(1200, 41)
	events = append(events, ednEvents()[4], ednEvents()[9], ednEvents()[11]) // hits, stats+layout, compaction
	rec := recordedEvents()
	events = append(events, append(rec[:4:4], rec[6])...) // recorded values (not the NaN: the script's JSON cannot carry it)
	for i := range events {
		events[i].Index = uint64(i)
	}
	path, data, ends := writeHistory(t, events, 200)
	check := func(path string, wantEvents []Event, wantEnd string, wantOffset int64) {
		out, err := exec.Command(python, "testdata/readwch.py", path).Output()
		if err != nil {
			t.Fatalf("readwch.py: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		sc.Buffer(nil, 1<<24)
		sc.Scan()
		var header map[string]any
		if err := json.Unmarshal(sc.Bytes(), &header); err != nil || header["workload"] != "mixed" || header["schema"] != 2.0 || header["digest"] != DigestXXH64 || header["fault_model"] != "process-crash" || header["started_unix_nanos"] != 1.7e18 {
			t.Fatalf("header %s: %v", sc.Text(), err)
		}
		n := 0
		for sc.Scan() {
			line := sc.Bytes()
			if bytes.HasPrefix(line, []byte(`{"end"`)) {
				var end struct {
					End    string
					Offset int64
				}
				json.Unmarshal(line, &end)
				if end.End != wantEnd || (wantEnd != "clean" && end.Offset != wantOffset) {
					t.Fatalf("end %s, want %s at %d", line, wantEnd, wantOffset)
				}
				break
			}
			d := json.NewDecoder(bytes.NewReader(line))
			d.UseNumber()
			var got []any
			if err := d.Decode(&got); err != nil {
				t.Fatal(err)
			}
			want := specArray(&wantEvents[n])
			if g, w := mustJSON(got), mustJSON(want); g != w {
				t.Fatalf("event %d:\npython %s\n    go %s", n, g, w)
			}
			n++
		}
		if n != len(wantEvents) {
			t.Fatalf("python read %d events, want %d", n, len(wantEvents))
		}
	}
	check(path, events, "clean", 0)
	cut := path + ".cut"
	os.WriteFile(cut, data[:ends[2]+20], 0o644)
	check(cut, events[:600], "torn", ends[2])
	os.WriteFile(cut, data[:ends[2]], 0o644)
	check(cut, events[:600], "torn", ends[2])
}

// TestIndependentReaderClassifies: readwch.py, which implements FORMAT.md's
// "Complete, torn, corrupt" rules on its own, reaches the same conclusion
// at the same byte offset as the Reader on damaged files of every kind.
func TestIndependentReaderClassifies(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	events := sampleEvents(60, 44)
	_, data, ends := writeHistory(t, events, 10)
	headerEnd := int(ends[0]) - chunkPrefixLen - len(chunkPayloadOf(t, data, ends, 0))
	rng := rand.New(rand.NewPCG(3, 5))
	var files [][]byte
	files = append(files, data, data[:ends[2]], data[:ends[2]+7], data[:ends[4]+40], data[:len(data)-2],
		append(bytes.Clone(data), make([]byte, 100)...), append(bytes.Clone(data), 'x'),
		append(bytes.Clone(data[:ends[3]]), make([]byte, 5000)...))
	for _, n := range []int{len(data) - int(ends[1]) - chunkPrefixLen, len(data), 300} { // chunk 2's length: to EOF, past it, short
		b := bytes.Clone(data)
		binary.LittleEndian.PutUint32(b[ends[1]:], uint32(n))
		files = append(files, b)
	}
	for i := 0; i < 120; i++ {
		b := bytes.Clone(data)
		at := headerEnd + rng.IntN(len(b)-headerEnd)
		n := 1 + rng.IntN(min(40, len(b)-at))
		switch rng.IntN(4) {
		case 0:
			b[at] ^= 1 << rng.IntN(8)
		case 1:
			clear(b[at : at+n])
		case 2:
			b = b[:at]
		default:
			clear(b[at:])
		}
		files = append(files, b)
	}
	dir := t.TempDir()
	args := []string{"testdata/readwch.py", "--end-only"}
	for i, b := range files {
		p := filepath.Join(dir, strconv.Itoa(i)+".wch")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		args = append(args, p)
	}
	out, err := exec.Command(python, args...).Output()
	if err != nil {
		t.Fatalf("readwch.py: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(files) {
		t.Fatalf("%d answers for %d files", len(lines), len(files))
	}
	for i, b := range files {
		var py struct {
			End    string
			Offset int64
			Why    string
		}
		if err := json.Unmarshal([]byte(lines[i]), &py); err != nil {
			t.Fatal(err)
		}
		_, _, err := ReadAll(bytes.NewReader(b), "x")
		want, off := "clean", int64(0)
		if err != nil {
			var dmg *DamageError
			if !errors.As(err, &dmg) {
				t.Fatalf("file %d: %v", i, err)
			}
			want, off = dmg.Completeness.String(), dmg.Offset
		}
		if py.End != want || py.Offset != off {
			t.Errorf("file %d (%d bytes): python %s at %d (%s), Go %s at %d (%v)", i, len(b), py.End, py.Offset, py.Why, want, off, err)
		}
	}
}

// specArray is an event as FORMAT.md section 3 lays it out, built from the
// struct fields (not from codec.go).
func specArray(e *Event) []any {
	value := func(v Value) []any {
		a := []any{v.HasContent, v.ContentDigest, v.ContentLen, v.EmbeddingDigest, v.Confidence, v.Activation}
		if v.Recorded {
			a = append(a, v.DecayRate, v.CreatedAt, v.LastAccess)
		}
		return a
	}
	placement := func(p Placement) []any { return []any{p.Slot, p.Offset, p.Length, p.Epoch, p.HasContent} }
	entries := func(es []Entry) any {
		if len(es) == 0 {
			return nil
		}
		out := []any{}
		for _, x := range es {
			out = append(out, []any{x.ID, value(x.Value), placement(x.Placement)})
		}
		return out
	}
	var input, output, nemesis, snapshot any
	if in := e.Input; in != nil {
		input = []any{value(in.Value), in.Activation, in.Threshold}
	}
	compaction := func(x *Compaction) any {
		if x == nil {
			return nil
		}
		return []any{x.Epoch, x.BytesBefore, x.BytesAfter, x.BytesReclaimed, x.Moved}
	}
	if o := e.Output; o != nil {
		output = []any{o.Found, value(o.Value), placement(o.Placement), entries(o.Entries), compaction(o.Compaction)}
	}
	if nm := e.Nemesis; nm != nil {
		var hits any
		if len(nm.Hits) > 0 {
			hits = nm.Hits
		}
		nemesis = []any{nm.Fault, nm.Phase, nm.Target, nm.Detail, hits, nm.Restart, compaction(nm.Compaction)}
	}
	if s := e.Snapshot; s != nil {
		var stats any
		if st := s.Stats; st != nil {
			stats = []any{st.Live, st.SlotsInUse, st.SlotsTotal, st.ContentBytesTotal, st.ContentBytesLive, st.Fragmentation,
				st.Compactions, st.BytesReclaimed, st.Epoch, st.TornDiscarded, st.FileBytes}
		}
		snapshot = []any{s.Reason, stats, entries(s.Layout)}
	}
	return []any{e.Index, e.Kind, e.Type, e.Process, e.Worker, e.Op, e.ID, e.Time, input, output, e.Error, nemesis, snapshot}
}

// mustJSON renders both sides the same way: the Go side goes through JSON
// with float32 widened to float64 (as the Python reader unpacks them), then
// both are decoded keeping number literals and re-rendered with numbers in
// one canonical form.
func mustJSON(v any) string {
	b, err := json.Marshal(widen(v))
	if err != nil {
		panic(err)
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var generic any
	if err := d.Decode(&generic); err != nil {
		panic(err)
	}
	b, err = json.Marshal(canonical(generic))
	if err != nil {
		panic(err)
	}
	return string(b)
}

func widen(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = widen(x[i])
		}
		return out
	case float32:
		return float64(x)
	case Kind:
		return uint8(x)
	case Type:
		return uint8(x)
	case Op:
		return uint8(x)
	case NemesisPhase:
		return uint8(x)
	}
	return v
}

func canonical(v any) any {
	switch x := v.(type) {
	case []any:
		for i := range x {
			x[i] = canonical(x[i])
		}
		return x
	case map[string]any:
		for k := range x {
			x[k] = canonical(x[k])
		}
		return x
	case json.Number:
		if !strings.ContainsAny(string(x), ".eE") {
			return x
		}
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			panic(err)
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
		return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return v
}
