package history

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// jsonEventLines is every event the JSON Lines tests know, as the writer
// writes them (one line each, no '\n'): the realistic mix, the EDN golden
// events (hits, stats and layout, compaction, NaN activation), and values
// at the edges of their types.
func jsonEventLines(t testing.TB) [][]byte {
	events := append(sampleEvents(3000, 77), ednEvents()...)
	events = append(events,
		Event{Index: math.MaxUint64, Kind: KindOp, Type: Invoke, Process: math.MinInt64, Worker: math.MinInt32, Op: OpRecall, ID: "ünï\u2028", Time: math.MaxInt64,
			Input: &Input{Activation: float32(math.Inf(-1)), Threshold: float32(math.Inf(1)), Value: Value{Confidence: math.SmallestNonzeroFloat32, Activation: -math.MaxFloat32, ContentLen: math.MaxUint32}}},
		Event{Index: 1, Kind: KindOp, Type: OK, Op: OpIterate, Output: &Output{Entries: []Entry{{ID: "a"}, {ID: "b", Value: Value{HasContent: true, ContentDigest: math.MaxUint64}}}}},
		Event{Index: 2, Kind: KindSnapshot, Type: Info, Snapshot: &Snapshot{Reason: "final", Stats: &Stats{Fragmentation: math.NaN()}}},
		Event{Index: 3, Kind: 9, Type: 0, Op: 200},
		Event{Index: 4, Kind: KindNemesis, Type: Info, Nemesis: &Nemesis{Fault: "kill", Phase: NemesisEnd, Hits: map[string]uint64{"a": 0, "b": math.MaxUint64}, Restart: true, Detail: `quote " and \ back`}},
		Event{Index: 5, Kind: KindNemesis, Type: Info, Nemesis: &Nemesis{Fault: "compact", Phase: NemesisEnd, Compaction: &Compaction{Epoch: 2, BytesAfter: math.MaxUint64}}},
	)
	data := writeJSONLTo(t, events, false)
	lines := bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))[1:]
	if len(lines) != len(events) {
		t.Fatalf("%d lines for %d events", len(lines), len(events))
	}
	return lines
}

// TestJSONEventMatchesEncodingJSON: the fast decoder takes every line the
// writer writes (except strings that need escapes), and whatever it takes
// decodes exactly as json.Unmarshal decodes it; mutated lines (random byte
// changes, and the JSON features the fast path leaves to encoding/json)
// give the same event or the same error either way.
func TestJSONEventMatchesEncodingJSON(t *testing.T) {
	lines := jsonEventLines(t)
	escaped := 0
	for i, line := range lines {
		switch {
		case bytes.Contains(line, []byte(`\`)):
			escaped++
			checkJSONEvent(t, line)
		case !checkJSONEvent(t, line):
			t.Errorf("line %d left the fast path: %s", i, line)
		}
	}
	if escaped > 5 {
		t.Fatalf("%d of %d lines have escapes", escaped, len(lines))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	edits := []func(string) string{
		func(s string) string { return strings.Replace(s, `"index"`, `"Index"`, 1) },              // case-folded key
		func(s string) string { return strings.Replace(s, `{"index"`, `{"x":[1,{}],"index"`, 1) }, // unknown key
		func(s string) string { return strings.Replace(s, `,"time"`, `,"time":1,"time"`, 1) },     // repeated key
		func(s string) string { return strings.Replace(s, `"id":"`, `"id":"\u00e9\n`, 1) },        // escapes
		func(s string) string { return strings.Replace(s, `"index":`, `"index":null,"kind":`, 1) },
		func(s string) string { return strings.Replace(s, `:`, ` : `, -1) },
		func(s string) string { return strings.Replace(s, `"time":`, `"time":-0`, 1) },
		func(s string) string { return strings.Replace(s, `"time":`, `"time":1.`, 1) },
		func(s string) string { return strings.Replace(s, `"time":`, `"time":1e`, 1) },
		func(s string) string { return strings.Replace(s, `"worker":`, `"worker":99999999999`, 1) },
		func(s string) string { return setNumber(s, "confidence", "1e39") },
		func(s string) string { return setNumber(s, "confidence", "-3.4028235677973366e38") }, // rounds to -MaxFloat32
		func(s string) string { return setNumber(s, "confidence", "1.00000005960464477539062501") },
		func(s string) string { return setNumber(s, "fragmentation", "2e308") },
		func(s string) string { return setNumber(s, "confidence", `"Inf"`) },
		func(s string) string { return setNumber(s, "activation", `"+Inf"`) },
		func(s string) string { return setNumber(s, "activation", `"nan"`) },
		func(s string) string { return setNumber(s, "content_len", "4294967296") },
		func(s string) string { return setNumber(s, "worker", "2147483648") },
		func(s string) string { return setNumber(s, "process", "-9223372036854775809") },
		func(s string) string { return setNumber(s, "index", "18446744073709551616") },
		func(s string) string { return setNumber(s, "time", "00") },
		func(s string) string { return strings.Replace(s, `"kind":"op"`, `"kind":"kind(7)"`, 1) },
		func(s string) string { return strings.Replace(s, `"op":"`, `"op":"op(`, 1) },
		func(s string) string { return strings.Replace(s, `"type":"`, `"type":1,"x":"`, 1) },
		func(s string) string { return strings.Replace(s, `true`, `tru`, 1) },
		func(s string) string { return strings.Replace(s, `"id":"`, "\"id\":\"\xff", 1) },
		func(s string) string { return s + " x" },
		func(s string) string { return s + " \r\t" },
		func(s string) string { return strings.TrimSuffix(s, "}") + ",}" },
		func(s string) string { return `{}` },
		func(s string) string { return `[]` },
		func(s string) string { return `{"output":{"entries":[]},"nemesis":{"hits":{}}}` },
		func(s string) string { return `{"nemesis":{"hits":{"a":1,"a":2}}}` },
	}
	for round := 0; round < 4000; round++ {
		line := []byte(string(lines[rng.IntN(len(lines))]))
		if round%2 == 0 {
			for n := 1 + rng.IntN(3); n > 0; n-- {
				line[rng.IntN(len(line))] = " \"{}[],:0123456789-.eE\\ntrufalsenul"[rng.IntN(33)]
			}
		} else {
			line = []byte(edits[rng.IntN(len(edits))](string(line)))
		}
		checkJSONEvent(t, line)
	}
}

var numberAfter = map[string]*regexp.Regexp{}

// setNumber replaces the value of the first "key": that holds a number.
func setNumber(s, key, v string) string {
	re, ok := numberAfter[key]
	if !ok {
		re = regexp.MustCompile(`"` + key + `":-?[0-9][0-9.eE+-]*`)
		numberAfter[key] = re
	}
	loc := re.FindStringIndex(s)
	if loc == nil {
		return s
	}
	return s[:loc[0]] + `"` + key + `":` + v + s[loc[1]:]
}

// checkJSONEvent compares decodeJSONEvent with json.Unmarshal on one line
// and reports whether the fast path took it.
func checkJSONEvent(t testing.TB, line []byte) (fast bool) {
	t.Helper()
	var want, got Event
	wantErr := json.Unmarshal(line, &want)
	gotErr := decodeJSONEvent(line, &got)
	var viaFast Event
	d := jsonDecoder{b: line}
	fast = d.event(&viaFast) && d.end()
	switch {
	case fast && wantErr != nil:
		t.Fatalf("fast path accepted a line encoding/json rejects (%v):\n%s", wantErr, line)
	case (gotErr == nil) != (wantErr == nil) || (gotErr != nil && gotErr.Error() != wantErr.Error()):
		t.Fatalf("error %v, encoding/json %v:\n%s", gotErr, wantErr, line)
	case wantErr == nil && !equalNaN(reflect.ValueOf(got), reflect.ValueOf(want)):
		t.Fatalf("decoded differently:\n%s\n fast %+v\n json %+v", line, got, want)
	case fast && !equalNaN(reflect.ValueOf(viaFast), reflect.ValueOf(want)):
		t.Fatalf("fast path decoded differently:\n%s", line)
	}
	return fast
}

// equalNaN is reflect.DeepEqual with NaN equal to NaN.
func equalNaN(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || (math.IsNaN(x) && math.IsNaN(y))
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return equalNaN(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			if !equalNaN(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := 0; i < a.Len(); i++ {
			if !equalNaN(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// FuzzJSONEvent: on any line, decodeJSONEvent agrees with json.Unmarshal,
// and the fast path never takes a line json.Unmarshal rejects.
//
//	go test -run XXX -fuzz FuzzJSONEvent -fuzztime 60s ./history/
func FuzzJSONEvent(f *testing.F) {
	for i, line := range jsonEventLines(f) {
		if i%97 == 0 || i > 3000 {
			f.Add(line)
		}
	}
	f.Add([]byte(`{"index":01}`))
	f.Add([]byte(`{"input":{"value":{"confidence":"NaN"}}}`))
	f.Add([]byte(`{"input":{"value":{"decay_rate":"NaN","created_at":-1,"last_access":2}}}`))
	f.Add([]byte(`{"output":{"value":{"decay_rate":0.5,"created_at":1}}}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		checkJSONEvent(t, line)
	})
}

// BenchmarkDecodeJSONEvent compares the fast path with json.Unmarshal on
// the realistic mix, per event.
func BenchmarkDecodeJSONEvent(b *testing.B) {
	lines := jsonEventLines(b)[:3000]
	for _, c := range []struct {
		name   string
		decode func([]byte, *Event) error
	}{
		{"fast", decodeJSONEvent},
		{"encoding-json", func(l []byte, e *Event) error { return json.Unmarshal(l, e) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var e Event
				if err := c.decode(lines[i%len(lines)], &e); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
