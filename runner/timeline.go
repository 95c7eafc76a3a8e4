package runner

import (
	"cmp"
	_ "embed"
	"encoding/json"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"slices"

	"github.com/warmcheck/warmcheck/history"
)

//go:embed timeline.html.tmpl
var timelineTemplate string

var timelineTmpl = template.Must(template.New("timeline").Parse(timelineTemplate))

// maxTimelineOps bounds the operations timeline.html draws; the page says
// when a history had more (the rest are left out, not merged).
const maxTimelineOps = 250_000

// Outcome codes of a timeline operation, as the page's script reads them.
const (
	timelineOK = iota
	timelineFail
	timelineInfo
	timelineUnanswered // invoked, never completed before the history ended
)

// timelineOp is one operation: its invoke and its completion paired by
// process. It is written as a JSON array (the page holds up to
// maxTimelineOps of them):
// [lane, start ns, end ns, outcome, op, id, invoke event, completion event, value, error].
// For an unanswered operation end is the history's last time and the
// completion event is -1.
type timelineOp [10]any

// timelineFault is one fault window: [kind index, start ns, end ns, target,
// detail, start event, end event]. A fault still open when the history ended
// ends at the history's last time and its end event is -1.
type timelineFault [7]any

// timelineData is everything timeline.html draws, embedded as JSON.
type timelineData struct {
	Title      string          `json:"title"`
	Lanes      []int32         `json:"lanes"` // worker of each lane, ascending
	End        int64           `json:"end"`   // the history's last event time, ns
	Ops        []timelineOp    `json:"ops"`
	Omitted    int             `json:"omitted"` // operations past maxOps, not drawn
	FaultKinds []string        `json:"fault_kinds"`
	Faults     []timelineFault `json:"faults"`
	Witnesses  []witnessOps    `json:"witnesses"`
	maxOps     int
}

// witnessOps is an invalid check's witness on the timeline: the drawn
// operations whose invoke or completion is one of its events.
type witnessOps struct {
	Check string `json:"check"`
	Ops   []int  `json:"ops"` // indices into timelineData.Ops
}

// checkWitness is the witness (history event indices) of an invalid check.
type checkWitness struct {
	Check  string
	Events []uint64
}

// markWitnesses fills d.Witnesses: the operations of each witness among the
// drawn ones.
func (d *timelineData) markWitnesses(witnesses []checkWitness) {
	opOf := map[int64]int{} // invoke or completion event index -> operation
	for i, o := range d.Ops {
		opOf[o[6].(int64)] = i
		if done := o[7].(int64); done >= 0 {
			opOf[done] = i
		}
	}
	d.Witnesses = []witnessOps{}
	for _, w := range witnesses {
		marked := witnessOps{Check: w.Check, Ops: []int{}}
		for _, ev := range w.Events {
			if i, ok := opOf[int64(ev)]; ok && !slices.Contains(marked.Ops, i) {
				marked.Ops = append(marked.Ops, i)
			}
		}
		d.Witnesses = append(d.Witnesses, marked)
	}
}

// newTimelineData pairs events' invokes with their completions by process
// (history.Event: a process has at most one operation outstanding) and
// their fault starts with ends by (fault, target); it keeps the first
// maxOps operations to complete.
func newTimelineData(title string, events []history.Event, maxOps int) timelineData {
	d := timelineData{Title: title, Ops: []timelineOp{}, FaultKinds: []string{}, Faults: []timelineFault{}, Witnesses: []witnessOps{}, maxOps: maxOps}
	if len(events) > 0 {
		d.End = events[len(events)-1].Time
	}
	open := map[int64]int{}          // process -> position of its pending invoke
	faultOpen := map[[2]string]int{} // (fault, target) -> position of its start
	kindIndex := map[string]int{}
	lanes := map[int32]bool{}
	var pending []int // invokes in order, to emit the unanswered ones at the end
	for i := range events {
		e := &events[i]
		switch e.Kind {
		case history.KindOp:
			if e.Type == history.Invoke {
				open[e.Process] = i
				pending = append(pending, i)
				lanes[e.Worker] = true
				continue
			}
			inv, ok := open[e.Process]
			if !ok {
				continue // a completion without an invoke: the checks report it
			}
			delete(open, e.Process)
			d.addOp(&events[inv], e)
		case history.KindNemesis:
			if e.Nemesis == nil {
				continue
			}
			k := [2]string{e.Nemesis.Fault, e.Nemesis.Target}
			if e.Nemesis.Phase != history.NemesisEnd {
				faultOpen[k] = i
				continue
			}
			if start, ok := faultOpen[k]; ok {
				delete(faultOpen, k)
				d.addFault(kindIndex, &events[start], e)
			}
		}
	}
	for _, i := range pending {
		if j, ok := open[events[i].Process]; ok && j == i {
			d.addOp(&events[i], nil)
		}
	}
	for _, start := range faultOpen {
		d.addFault(kindIndex, &events[start], nil)
	}
	slices.SortStableFunc(d.Faults, func(a, b timelineFault) int { return cmp.Compare(a[1].(int64), b[1].(int64)) })
	for w := range lanes {
		d.Lanes = append(d.Lanes, w)
	}
	slices.Sort(d.Lanes)
	return d
}

// addOp appends the operation invoked by inv and completed by done (nil:
// unanswered), or counts it as omitted past d.maxOps.
func (d *timelineData) addOp(inv, done *history.Event) {
	if len(d.Ops) == d.maxOps {
		d.Omitted++
		return
	}
	end, outcome, doneIdx, value, errText := d.End, timelineUnanswered, int64(-1), describeInput(inv), ""
	if done != nil {
		end, doneIdx, errText = done.Time, int64(done.Index), done.Error
		switch done.Type {
		case history.OK:
			outcome = timelineOK
			if out := describeOutput(inv.Op, done.Output); out != "" {
				value = joinNonEmpty(value, "-> "+out)
			}
		case history.Fail:
			outcome = timelineFail
		default:
			outcome = timelineInfo
		}
	}
	d.Ops = append(d.Ops, timelineOp{inv.Worker, inv.Time, end, outcome, inv.Op.String(), inv.ID, int64(inv.Index), doneIdx, value, errText})
}

func (d *timelineData) addFault(kindIndex map[string]int, start, end *history.Event) {
	k, ok := kindIndex[start.Nemesis.Fault]
	if !ok {
		k = len(d.FaultKinds)
		kindIndex[start.Nemesis.Fault] = k
		d.FaultKinds = append(d.FaultKinds, start.Nemesis.Fault)
	}
	endTime, endIdx, detail := d.End, int64(-1), start.Nemesis.Detail
	if end != nil {
		endTime, endIdx = end.Time, int64(end.Index)
		if end.Nemesis.Restart {
			detail = joinNonEmpty(detail, "store restarted")
		}
	}
	d.Faults = append(d.Faults, timelineFault{k, start.Time, endTime, start.Nemesis.Target, detail, int64(start.Index), endIdx})
}

// describeInput summarizes what an invoke asked for.
func describeInput(e *history.Event) string {
	if e.Input == nil {
		return ""
	}
	switch e.Op {
	case history.OpPut:
		return "put " + describeValue(e.Input.Value)
	case history.OpUpdateActivation:
		return fmt.Sprintf("activation %g", e.Input.Activation)
	case history.OpRecall:
		return fmt.Sprintf("threshold %g", e.Input.Threshold)
	}
	return ""
}

// describeOutput summarizes an ok completion's result.
func describeOutput(op history.Op, out *history.Output) string {
	if out == nil {
		return ""
	}
	switch op {
	case history.OpGet:
		if !out.Found {
			return "not found"
		}
		return describeValue(out.Value)
	case history.OpRemove, history.OpUpdateActivation:
		if !out.Found {
			return "not found"
		}
		return "found"
	case history.OpIterate, history.OpRecall:
		return fmt.Sprintf("%d entries", len(out.Entries))
	case history.OpCompact:
		if c := out.Compaction; c != nil {
			return fmt.Sprintf("%d bytes reclaimed, %d moved", c.BytesReclaimed, c.Moved)
		}
	}
	return ""
}

// describeValue names a value by its content digest, length and activation,
// in the form the linearizable check's explanations use.
func describeValue(v history.Value) string {
	content := "nil"
	if v.HasContent {
		content = fmt.Sprintf("%016x/%dB", v.ContentDigest, v.ContentLen)
	}
	return fmt.Sprintf("{content %s act %g}", content, v.Activation)
}

func joinNonEmpty(a, b string) string {
	if a == "" {
		return b
	}
	return a + " " + b
}

// writeTimeline writes timeline.html for events into dir, with the
// operations of each invalid check's witness marked.
func writeTimeline(dir, title string, events []history.Event, witnesses []checkWitness) error {
	f, err := os.Create(filepath.Join(dir, TimelineFile))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	d := newTimelineData(title, events, maxTimelineOps)
	d.markWitnesses(witnesses)
	// json.Marshal escapes <, > and &, so the data cannot close its script
	// element; handing it to the template as JS skips html/template's own
	// escaping pass over megabytes of JSON.
	data, err := json.Marshal(d)
	if err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %v", ErrRunDir, TimelineFile, err)
	}
	page := struct {
		Title string
		Data  template.JS
	}{title, template.JS(data)}
	if err := timelineTmpl.Execute(f, page); err != nil {
		f.Close()
		return fmt.Errorf("%w: %s: %v", ErrRunDir, TimelineFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	return nil
}
