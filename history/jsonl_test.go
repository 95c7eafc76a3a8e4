package history

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
)

func writeJSONL(t testing.TB, events []Event) []byte {
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
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestJSONLRoundTrip(t *testing.T) {
	events := sampleEvents(5000, 21)
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
	if !strings.HasPrefix(lines[0], `{"header":{"schema":1,"seed":42,`) {
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
// the events of the complete lines before the cut, then io.EOF or a
// DamageError naming the line.
func TestJSONLTruncateEveryOffset(t *testing.T) {
	events := sampleEvents(8, 23)
	data := writeJSONL(t, events)
	headerEnd := bytes.IndexByte(data, '\n') + 1
	for cut := headerEnd; cut <= len(data); cut++ {
		r, err := NewReader(bytes.NewReader(data[:cut]), "cut.jsonl")
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		complete := bytes.Count(data[headerEnd:cut], []byte("\n"))
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
		if len(got) == complete+1 && cut < len(data) && data[cut] == '\n' {
			complete++
		}
		if !sameEvents(got, events[:complete]) {
			t.Fatalf("cut %d: %d events, want %d", cut, len(got), complete)
		}
		if cut == len(data) || data[cut-1] == '\n' || data[cut] == '\n' {
			if end != io.EOF {
				t.Fatalf("cut %d: %v, want io.EOF", cut, end)
			}
			continue
		}
		var dmg *DamageError
		if !errors.As(end, &dmg) || dmg.Line != complete+2 || dmg.Chunk != -1 {
			t.Fatalf("cut %d: %v, want damage at line %d", cut, end, complete+2)
		}
	}
}

func TestJSONLBadEnum(t *testing.T) {
	data := writeJSONL(t, nil)
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
