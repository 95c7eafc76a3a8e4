package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"reflect"
	"strings"
	"testing"
)

func writeJSONL(t testing.TB, events []Event) []byte {
	t.Helper()
	return writeJSONLTo(t, events, true)
}

// writeJSONLTo writes events as JSON Lines, with the end line when closed.
func writeJSONLTo(t testing.TB, events []Event, closed bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := NewJSONLWriter(&buf, testHeader)
	if err != nil {
		t.Fatal(err)
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if closed {
		err = w.Close()
	} else {
		err = w.Flush()
	}
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONLRoundTrip(t *testing.T) {
	events := sampleEvents(2000, 21)
	data := writeJSONL(t, events)
	h, got, err := ReadAll(bytes.NewReader(data), "h.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(h, wantHeader()) {
		t.Fatalf("header %+v", h)
	}
	if !sameEvents(got, events) {
		t.Fatalf("events differ")
	}
	// The spellings are the documented ones.
	lines := strings.Split(string(data), "\n")
	if !strings.HasPrefix(lines[0], `{"header":{"schema":2,"seed":42,`) {
		t.Fatalf("header line %s", lines[0])
	}
	for _, want := range []string{`"type":"invoke"`, `"type":"ok"`, `"kind":"op"`, `"op":"put"`, `"op":"update-activation"`, `"kind":"nemesis"`, `"phase":"start"`, `"content_digest":`} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("no %s in the JSON Lines", want)
		}
	}
}

func TestJSONLTolerance(t *testing.T) {
	events := sampleEvents(10, 22)
	data := writeJSONL(t, events)
	// Blank lines and CRLF-free final line without '\n' are accepted.
	data = bytes.Replace(data, []byte("\n"), []byte("\n\n"), 3)
	data = bytes.TrimSuffix(data, []byte("\n"))
	_, got, err := ReadAll(bytes.NewReader(data), "x.jsonl")
	if err != nil || !sameEvents(got, events) {
		t.Fatalf("%d events, %v", len(got), err)
	}
}

// TestJSONLTruncateEveryOffset: a JSON Lines history cut anywhere yields
// the events of the complete lines before the cut, then io.EOF only when
// the end line is whole, else a torn DamageError naming the first line not
// returned; a cut inside the first event line leaves nothing readable
// (corrupt).
func TestJSONLTruncateEveryOffset(t *testing.T) {
	events := sampleEvents(8, 23)
	data := writeJSONL(t, events)
	headerEnd := bytes.IndexByte(data, '\n') + 1
	endLine := bytes.LastIndexByte(data[:len(data)-1], '\n') + 1
	for cut := headerEnd; cut <= len(data); cut++ {
		r, err := NewReader(bytes.NewReader(data[:cut]), "cut.jsonl")
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		complete := bytes.Count(data[headerEnd:min(cut, endLine)], []byte("\n"))
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
		// A cut right before a '\n' leaves a whole object that still decodes.
		if len(got) == complete+1 && cut < endLine && data[cut] == '\n' {
			complete++
		}
		if !sameEvents(got, events[:complete]) {
			t.Fatalf("cut %d: %d events, want %d", cut, len(got), complete)
		}
		if cut >= len(data)-1 {
			if end != io.EOF {
				t.Fatalf("cut %d: %v, want io.EOF", cut, end)
			}
			continue
		}
		var dmg *DamageError
		if !errors.As(end, &dmg) || dmg.Line != complete+2 || dmg.Chunk != -1 {
			t.Fatalf("cut %d: %v, want damage at line %d", cut, end, complete+2)
		}
		want := Torn
		if complete == 0 && cut > headerEnd && data[cut-1] != '\n' && data[cut] != '\n' {
			want = Corrupt // inside the first event line: nothing readable
		}
		if dmg.Completeness != want {
			t.Fatalf("cut %d: %v, want %v", cut, end, want)
		}
	}
}

func TestJSONLBadEnum(t *testing.T) {
	data := writeJSONLTo(t, nil, false)
	data = append(data, `{"index":0,"kind":"op","type":"invoke","process":0,"worker":0,"op":"frobnicate","time":1}`+"\n"...)
	_, _, err := ReadAll(bytes.NewReader(data), "bad.jsonl")
	var dmg *DamageError
	if !errors.As(err, &dmg) || dmg.Line != 2 || !strings.Contains(dmg.Reason, `unknown operation "frobnicate"`) {
		t.Fatalf("%v", err)
	}
}

func TestEnumNames(t *testing.T) {
	for _, op := range Ops() {
		got, err := ParseOp(op.String())
		if err != nil || got != op {
			t.Fatalf("%v: %v %v", op, got, err)
		}
	}
	if len(Ops()) != 10 || Op(0).Valid() || Op(11).Valid() || Op(11).String() != "op(11)" {
		t.Fatalf("ops %v", Ops())
	}
	var o Op
	if err := o.UnmarshalText([]byte("op(11)")); err != nil || o != 11 {
		t.Fatalf("%v %v", o, err)
	}
	for _, s := range []string{"invoke", "ok", "fail", "info"} {
		if ty, err := ParseType(s); err != nil || ty.String() != s {
			t.Fatalf("%s: %v", s, err)
		}
	}
	if _, err := ParseKind("nope"); err == nil {
		t.Fatal("parsed an unknown kind")
	}
	if p, err := ParseNemesisPhase("end"); err != nil || p != NemesisEnd {
		t.Fatal(err)
	}
}

func TestJSONLNonFiniteFloats(t *testing.T) {
	nan := float32(math.NaN())
	events := []Event{
		{Index: 0, Kind: KindOp, Type: Invoke, Op: OpPut, ID: "a", Input: &Input{Value: Value{Confidence: nan, Activation: float32(math.Inf(1))}, Threshold: float32(math.Inf(-1))}},
		{Index: 1, Kind: KindOp, Type: OK, Op: OpGet, ID: "a", Output: &Output{Found: true, Value: Value{Confidence: 0.5, Activation: nan}}},
		{Index: 2, Kind: KindSnapshot, Type: Info, Snapshot: &Snapshot{Reason: "final", Stats: &Stats{Fragmentation: math.NaN(), Live: 3}}},
	}
	data := writeJSONL(t, events)
	if !bytes.Contains(data, []byte(`"confidence":"NaN"`)) || !bytes.Contains(data, []byte(`"threshold":"-Inf"`)) {
		t.Fatalf("non-finite spelling:\n%s", data)
	}
	_, got, err := ReadAll(bytes.NewReader(data), "nan.jsonl")
	if err != nil || len(got) != len(events) {
		t.Fatalf("%d events: %v", len(got), err)
	}
	for i := range events {
		if !bytes.Equal(AppendEvent(nil, &got[i]), AppendEvent(nil, &events[i])) {
			t.Fatalf("event %d: %+v", i, got[i])
		}
	}
	bad := append(writeJSONLTo(t, nil, false), `{"index":0,"kind":"op","type":"invoke","op":"put","id":"a","input":{"value":{"confidence":"lots"}}}`+"\n"...)
	if _, _, err := ReadAll(bytes.NewReader(bad), "bad.jsonl"); err == nil || !strings.Contains(err.Error(), `"lots"`) {
		t.Fatalf("%v", err)
	}
}

// TestEveryFloatFieldSurvivesNaN catches a float field added to a history
// type without being listed in jsonfloat.go.
func TestEveryFloatFieldSurvivesNaN(t *testing.T) {
	for _, v := range []any{&Value{}, &Input{}, &Stats{}, &Output{}, &Placement{}, &Entry{}, &Compaction{}, &Nemesis{}, &Snapshot{}, &Event{}, &Header{}} {
		rv := reflect.ValueOf(v).Elem()
		for i := 0; i < rv.NumField(); i++ {
			if k := rv.Field(i).Kind(); k == reflect.Float32 || k == reflect.Float64 {
				rv.Field(i).SetFloat(math.NaN())
			}
		}
		if _, err := json.Marshal(v); err != nil {
			t.Errorf("%T with NaN floats: %v", v, err)
		}
	}
}
