package runner

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/warmcheck/warmcheck/history"
)

// timelineHistory has two workers, one operation of each outcome, a
// completion-less invoke, two fault kinds and a fault still open at the end.
func timelineHistory() []history.Event {
	val := history.Value{HasContent: true, ContentDigest: 0xabc, ContentLen: 7}
	evs := []history.Event{
		{Kind: history.KindOp, Type: history.Invoke, Process: 0, Worker: 0, Op: history.OpPut, ID: "m1", Time: 10, Input: &history.Input{Value: val}},
		{Kind: history.KindNemesis, Type: history.Info, Time: 15, Nemesis: &history.Nemesis{Fault: "pause", Phase: history.NemesisStart, Target: "store"}},
		{Kind: history.KindOp, Type: history.Invoke, Process: 1, Worker: 1, Op: history.OpGet, ID: "m1", Time: 20},
		{Kind: history.KindOp, Type: history.OK, Process: 0, Worker: 0, Op: history.OpPut, ID: "m1", Time: 30, Output: &history.Output{}},
		{Kind: history.KindOp, Type: history.OK, Process: 1, Worker: 1, Op: history.OpGet, ID: "m1", Time: 40, Output: &history.Output{Found: true, Value: val}},
		{Kind: history.KindNemesis, Type: history.Info, Time: 45, Nemesis: &history.Nemesis{Fault: "pause", Phase: history.NemesisEnd, Target: "store"}},
		{Kind: history.KindOp, Type: history.Invoke, Process: 0, Worker: 0, Op: history.OpRemove, ID: "m2", Time: 50},
		{Kind: history.KindOp, Type: history.Fail, Process: 0, Worker: 0, Op: history.OpRemove, ID: "m2", Time: 60, Error: "rejected </script><b>"},
		{Kind: history.KindNemesis, Type: history.Info, Time: 65, Nemesis: &history.Nemesis{Fault: "kill", Phase: history.NemesisStart}},
		{Kind: history.KindOp, Type: history.Invoke, Process: 1, Worker: 1, Op: history.OpUpdateActivation, ID: "m1", Time: 70, Input: &history.Input{Activation: 0.5}},
		{Kind: history.KindOp, Type: history.Info, Process: 1, Worker: 1, Op: history.OpUpdateActivation, ID: "m1", Time: 80, Error: "killed"},
		{Kind: history.KindOp, Type: history.Invoke, Process: 2, Worker: 1, Op: history.OpGet, ID: "m3", Time: 90},
		{Kind: history.KindSnapshot, Type: history.Info, Time: 100, Snapshot: &history.Snapshot{Reason: "final"}},
	}
	for i := range evs {
		evs[i].Index = uint64(i)
	}
	return evs
}

func TestTimelineDataPairsOperationsAndFaults(t *testing.T) {
	d := newTimelineData("t", timelineHistory(), maxTimelineOps)
	type want struct {
		lane             int32
		start, end       int64
		outcome          int
		op, id           string
		invoke, complete int64
	}
	wants := []want{
		{0, 10, 30, timelineOK, "put", "m1", 0, 3},
		{1, 20, 40, timelineOK, "get", "m1", 2, 4},
		{0, 50, 60, timelineFail, "remove", "m2", 6, 7},
		{1, 70, 80, timelineInfo, "update-activation", "m1", 9, 10},
		{1, 90, 100, timelineUnanswered, "get", "m3", 11, -1},
	}
	if len(d.Ops) != len(wants) {
		t.Fatalf("got %d operations, want %d: %v", len(d.Ops), len(wants), d.Ops)
	}
	for i, w := range wants {
		o := d.Ops[i]
		got := want{o[0].(int32), o[1].(int64), o[2].(int64), o[3].(int), o[4].(string), o[5].(string), o[6].(int64), o[7].(int64)}
		if got != w {
			t.Errorf("operation %d = %+v, want %+v", i, got, w)
		}
	}
	if v := d.Ops[1][8].(string); !strings.Contains(v, "0000000000000abc/7B") {
		t.Errorf("get's value summary %q does not name the value read", v)
	}
	if e := d.Ops[2][9].(string); e != "rejected </script><b>" {
		t.Errorf("fail's error = %q", e)
	}
	if len(d.FaultKinds) != 2 || d.FaultKinds[0] != "pause" || d.FaultKinds[1] != "kill" {
		t.Errorf("fault kinds = %v, want [pause kill]", d.FaultKinds)
	}
	if len(d.Faults) != 2 || d.Faults[0][1].(int64) != 15 || d.Faults[0][2].(int64) != 45 ||
		d.Faults[1][0].(int) != 1 || d.Faults[1][2].(int64) != 100 || d.Faults[1][6].(int64) != -1 {
		t.Errorf("faults = %v, want pause [15,45] and kill [65,end) still open", d.Faults)
	}
	if len(d.Lanes) != 2 || d.Lanes[0] != 0 || d.Lanes[1] != 1 {
		t.Errorf("lanes = %v, want [0 1]", d.Lanes)
	}
}

func TestTimelineCapsOperations(t *testing.T) {
	var evs []history.Event
	const maxOps = 10
	for i := range maxOps + 3 {
		evs = append(evs,
			history.Event{Kind: history.KindOp, Type: history.Invoke, Op: history.OpGet, ID: "m", Time: int64(2 * i)},
			history.Event{Kind: history.KindOp, Type: history.OK, Op: history.OpGet, ID: "m", Time: int64(2*i + 1)})
	}
	d := newTimelineData("t", evs, maxOps)
	if len(d.Ops) != maxOps || d.Omitted != 3 {
		t.Fatalf("drew %d and omitted %d of %d operations, want %d and 3", len(d.Ops), d.Omitted, maxOps+3, maxOps)
	}
}

// TestTimelineHTML renders the page and parses it back: the data the script
// draws must round-trip through the HTML escaping, and the page must hold
// its canvas and no reference to anything outside the file.
func TestTimelineHTML(t *testing.T) {
	dir := t.TempDir()
	if err := writeTimeline(dir, "hot-spot seed 1: invalid", timelineHistory(), nil); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, TimelineFile))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := html.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	var data, canvas *html.Node
	var external []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "id" && a.Val == "timeline-data":
				data = n
			case a.Key == "id" && a.Val == "tl" && n.Data == "canvas":
				canvas = n
			case a.Key == "src" || (a.Key == "href" && strings.Contains(a.Val, "://")):
				external = append(external, a.Val)
			}
		}
	}
	if canvas == nil || data == nil || data.FirstChild == nil {
		t.Fatalf("page lacks its canvas or its data (canvas %v, data %v)", canvas != nil, data != nil)
	}
	if len(external) > 0 {
		t.Errorf("page loads from outside the file: %v", external)
	}
	var got struct {
		Lanes      []int32  `json:"lanes"`
		FaultKinds []string `json:"fault_kinds"`
		Ops        [][]any  `json:"ops"`
	}
	if err := json.Unmarshal([]byte(data.FirstChild.Data), &got); err != nil {
		t.Fatalf("embedded data is not JSON: %v", err)
	}
	if len(got.Ops) != 5 || got.Ops[2][4] != "remove" || got.Ops[2][9] != "rejected </script><b>" || len(got.FaultKinds) != 2 {
		t.Errorf("embedded data = %+v, want the 5 operations (an error text intact) and 2 fault kinds", got)
	}
}

// TestTimelineMarksWitnesses: an invalid check's witness events map to the
// operations they invoke or complete, each once; events of no drawn
// operation (a nemesis event) map to none.
func TestTimelineMarksWitnesses(t *testing.T) {
	d := newTimelineData("t", timelineHistory(), maxTimelineOps)
	d.markWitnesses([]checkWitness{{"linearizable", []uint64{2, 4, 3, 5}}, {"fields", []uint64{11}}})
	if len(d.Witnesses) != 2 || d.Witnesses[0].Check != "linearizable" || !slices.Equal(d.Witnesses[0].Ops, []int{1, 0}) ||
		!slices.Equal(d.Witnesses[1].Ops, []int{4}) {
		t.Fatalf("witnesses = %+v, want linearizable [1 0] (get, put; the fault event is none) and fields [4] (the unanswered get)", d.Witnesses)
	}
}

// BenchmarkWriteTimeline writes the timeline of a 100k-event history (50k
// operations on 16 workers) and reports the page's size.
func BenchmarkWriteTimeline(b *testing.B) {
	val := history.Value{HasContent: true, ContentDigest: 0xabc, ContentLen: 100}
	var evs []history.Event
	for i := range 50_000 {
		w := int32(i % 16)
		evs = append(evs,
			history.Event{Kind: history.KindOp, Type: history.Invoke, Process: int64(w), Worker: w, Op: history.OpPut, ID: "m", Time: int64(2 * i), Input: &history.Input{Value: val}},
			history.Event{Kind: history.KindOp, Type: history.OK, Process: int64(w), Worker: w, Op: history.OpPut, ID: "m", Time: int64(2*i + 1), Output: &history.Output{}})
	}
	for i := range evs {
		evs[i].Index = uint64(i)
	}
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		if err := writeTimeline(dir, "bench", evs, nil); err != nil {
			b.Fatal(err)
		}
	}
	st, err := os.Stat(filepath.Join(dir, TimelineFile))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(st.Size()), "page-bytes")
}
