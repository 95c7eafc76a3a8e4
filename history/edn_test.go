package history

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

// ednEvents covers every kind, type and optional structure once, plus
// values that need escaping or special EDN spellings.
func ednEvents() []Event {
	return []Event{
		{Index: 0, Kind: KindSnapshot, Type: Info, Time: 0, Snapshot: &Snapshot{Reason: "initial"}},
		{Index: 1, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpPut, ID: "mem-00000001", Time: 1500,
			Input: &Input{Value: Value{HasContent: true, ContentDigest: 18446744073709551615, ContentLen: 100, EmbeddingDigest: 42, Confidence: 0.5, Activation: 1}}},
		{Index: 2, Kind: KindOp, Type: Invoke, Process: 1, Worker: 1, Op: OpGet, ID: "mem-\"q\"\\\n", Time: 1600},
		{Index: 3, Kind: KindOp, Type: OK, Process: 0, Worker: 0, Op: OpPut, ID: "mem-00000001", Time: 2500,
			Output: &Output{Placement: Placement{Slot: 3, Offset: 4096, Length: 100, Epoch: 1, HasContent: true}}},
		{Index: 4, Kind: KindNemesis, Type: Info, Time: 2600, Nemesis: &Nemesis{Fault: "panic", Phase: NemesisStart, Target: "put.after-append", Hits: map[string]uint64{"put.after-append": 2, "get.before-read": 0}}},
		{Index: 5, Kind: KindOp, Type: Info, Process: 1, Worker: 1, Op: OpGet, ID: "mem-\"q\"\\\n", Time: 2700, Error: "panic: injected\tat put.after-append"},
		{Index: 6, Kind: KindOp, Type: Invoke, Process: 3, Worker: 1, Op: OpUpdateActivation, ID: "mem-00000001", Time: 2800, Input: &Input{Activation: float32(math.NaN())}},
		{Index: 7, Kind: KindOp, Type: Fail, Process: 3, Worker: 1, Op: OpUpdateActivation, ID: "mem-00000001", Time: 2900, Error: "bad id"},
		{Index: 8, Kind: KindNemesis, Type: Info, Time: 3000, Nemesis: &Nemesis{Fault: "kill", Phase: NemesisEnd, Target: "store", Restart: true}},
		{Index: 9, Kind: KindSnapshot, Type: Info, Time: 3100, Snapshot: &Snapshot{Reason: "restart",
			Stats:  &Stats{Live: 1, SlotsInUse: 1, SlotsTotal: 64, ContentBytesTotal: 100, ContentBytesLive: 100, Fragmentation: 0, Epoch: 1},
			Layout: []Entry{{ID: "mem-00000001", Value: Value{HasContent: true, ContentDigest: 7, ContentLen: 100, Confidence: 0.25}, Placement: Placement{Slot: 3, Offset: 4096, Length: 100, Epoch: 1, HasContent: true}}}}},
		{Index: 10, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpCompact, Time: 3200},
		{Index: 11, Kind: KindOp, Type: OK, Process: 0, Worker: 0, Op: OpCompact, Time: 3300, Output: &Output{Compaction: &Compaction{Epoch: 2, BytesBefore: 200, BytesAfter: 100, BytesReclaimed: 100, Moved: 1}}},
	}
}

func TestEDNGolden(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewEDNWriter(&buf, Header{Seed: 7, Workload: "golden", Workers: 2, Faults: []string{"panic", "kill"}})
	if err != nil {
		t.Fatal(err)
	}
	events := ednEvents()
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "history.edn")
	if *update {
		if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("EDN differs from %s (run with -update after checking):\n%s", golden, buf.String())
	}
	// Every line parses as EDN and carries the Jepsen keys.
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	ops := 0
	for n, line := range lines {
		if strings.HasPrefix(line, ";") {
			continue
		}
		v, rest, err := parseEDN(line)
		if err != nil || strings.TrimSpace(rest) != "" {
			t.Fatalf("line %d does not parse (%v, rest %q): %s", n+1, err, rest, line)
		}
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("line %d is not a map", n+1)
		}
		for _, k := range []string{":type", ":f", ":value", ":process", ":time", ":index"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("line %d lacks %s", n+1, k)
			}
		}
		e := events[ops]
		if m[":index"] != fmt.Sprint(e.Index) || m[":time"] != fmt.Sprint(e.Time) || m[":type"] != ":"+e.Type.String() {
			t.Fatalf("line %d: %v", n+1, m)
		}
		switch e.Kind {
		case KindOp:
			if m[":process"] != fmt.Sprint(e.Process) || m[":f"] != ":"+e.Op.String() {
				t.Fatalf("line %d: %v", n+1, m)
			}
			if e.ID != "" && m[":value"].(map[string]any)[":id"] != e.ID {
				t.Fatalf("line %d: id %q, want %q", n+1, m[":value"].(map[string]any)[":id"], e.ID)
			}
		case KindNemesis:
			if m[":process"] != ":nemesis" {
				t.Fatalf("line %d: %v", n+1, m)
			}
		}
		ops++
	}
	if ops != len(events) {
		t.Fatalf("%d op lines for %d events", ops, len(events))
	}
}

// parseEDN is a small EDN reader for the subset the writer emits: maps,
// vectors, keywords, strings, numbers, nil, booleans and ##NaN/##Inf.
// Scalars come back as their source text (strings unescaped).
func parseEDN(s string) (any, string, error) {
	s = strings.TrimLeft(s, " ,\t")
	if s == "" {
		return nil, s, fmt.Errorf("unexpected end")
	}
	switch s[0] {
	case '{', '[':
		closer := map[byte]byte{'{': '}', '[': ']'}[s[0]]
		var items []any
		s = s[1:]
		for {
			s = strings.TrimLeft(s, " ,\t")
			if s == "" {
				return nil, s, fmt.Errorf("unclosed %c", closer)
			}
			if s[0] == closer {
				s = s[1:]
				break
			}
			v, rest, err := parseEDN(s)
			if err != nil {
				return nil, rest, err
			}
			items, s = append(items, v), rest
		}
		if closer == ']' {
			return items, s, nil
		}
		if len(items)%2 != 0 {
			return nil, s, fmt.Errorf("map with odd element count")
		}
		m := map[string]any{}
		for i := 0; i < len(items); i += 2 {
			m[fmt.Sprint(items[i])] = items[i+1]
		}
		return m, s, nil
	case '"':
		for i := 1; i < len(s); i++ {
			switch s[i] {
			case '\\':
				i++
			case '"':
				u, err := strconv.Unquote(s[:i+1])
				return u, s[i+1:], err
			}
		}
		return nil, "", fmt.Errorf("unterminated string")
	}
	end := strings.IndexAny(s, " ,\t}]")
	if end < 0 {
		end = len(s)
	}
	tok := s[:end]
	switch {
	case tok == "nil" || tok == "true" || tok == "false" || tok == "##NaN" || tok == "##Inf" || tok == "##-Inf":
	case tok[0] == ':' && len(tok) > 1:
	default:
		if _, err := strconv.ParseFloat(tok, 64); err != nil {
			return nil, s, fmt.Errorf("bad token %q", tok)
		}
	}
	return tok, s[end:], nil
}
