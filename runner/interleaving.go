package runner

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
	"github.com/warmcheck/warmcheck/sched"
)

// Interleaving is the schedule around a violation, in the style of
// Lincheck's trace: one column per task, one row per scheduling step, the
// cell of the task that took the step naming its point (which call, which
// failpoint or lock).
type Interleaving struct {
	// Focus says what the rows are around.
	Focus string             `json:"focus"`
	Tasks []string           `json:"tasks"`
	Rows  []InterleavingStep `json:"rows"`
}

// InterleavingStep is one row: Column indexes Tasks; Witness marks the
// start or end of a call that is part of the violation's witness.
type InterleavingStep struct {
	Step    int    `json:"step"`
	Column  int    `json:"column"`
	Where   string `json:"where"`
	Witness bool   `json:"witness,omitempty"`
}

// Interleaving table bounds: rows before the first witness call (what led
// to it), after the last, and rows in all.
const (
	interleavingBefore  = 24
	interleavingAfter   = 8
	interleavingMaxRows = 80
	// traceCap bounds the steps a controlled run keeps for the table.
	traceCap = 1 << 20
)

// interleavingAround picks the steps around the witness of the first
// invalid check (or, for a stuck run, the last steps). trace is the whole
// run's; preload is how many operations worker 0 issued before the
// scheduler ran (they have no steps).
func interleavingAround(events []history.Event, rep checker.Report, trace []sched.Step, complete bool, preload int, stuck bool) *Interleaving {
	if len(trace) == 0 {
		return nil
	}
	var witness []uint64
	focus := ""
	for _, c := range rep.Checks {
		if c.Verdict == checker.Invalid && len(c.Witness) > 0 {
			witness, focus = c.Witness, c.Name
			break
		}
	}
	var marks []int
	if len(witness) > 0 && !stuck && complete { // a trace missing its start cannot be counted into
		marks = witnessSteps(events, witness, trace, preload)
	}
	lo, hi := len(trace)-interleavingMaxRows, len(trace)-1
	switch {
	case len(marks) > 0:
		lo, hi = slices.Min(marks)-interleavingBefore, slices.Max(marks)+interleavingAfter
		if hi-lo+1 > interleavingMaxRows {
			hi = lo + interleavingMaxRows - 1
		}
		focus = fmt.Sprintf("the calls of the %s witness (events %s)", focus, humanfmt.List(witness))
	case stuck:
		focus = "the last steps before every task was blocked"
	default:
		return nil
	}
	lo, hi = max(lo, 0), min(hi, len(trace)-1)
	out := &Interleaving{Focus: focus}
	col := map[string]int{}
	for _, st := range trace[lo : hi+1] {
		if _, ok := col[st.Task]; !ok {
			col[st.Task] = len(out.Tasks)
			out.Tasks = append(out.Tasks, st.Task)
		}
	}
	for i := lo; i <= hi; i++ {
		st := trace[i]
		out.Rows = append(out.Rows, InterleavingStep{Step: st.Step, Column: col[st.Task], Where: st.Where, Witness: slices.Contains(marks, i)})
	}
	return out
}

// witnessSteps maps the witness's operations to the trace positions of
// their "call" and "end" points: the k-th invoke of worker w (after worker
// 0's preload) is the k-th call of task worker-w.
func witnessSteps(events []history.Event, witness []uint64, trace []sched.Step, preload int) []int {
	ordinal := map[uint64]int{} // invoke event index -> ordinal among its worker's invokes
	seen := map[int32]int{}
	for i := range events {
		e := &events[i]
		if e.Kind != history.KindOp || e.Type != history.Invoke {
			continue
		}
		ordinal[e.Index] = seen[e.Worker]
		seen[e.Worker]++
	}
	invokeOf := map[uint64]uint64{} // completion -> its invoke
	open := map[int64]uint64{}
	for i := range events {
		e := &events[i]
		if e.Kind != history.KindOp {
			continue
		}
		if e.Type == history.Invoke {
			open[e.Process] = e.Index
		} else if inv, ok := open[e.Process]; ok {
			invokeOf[e.Index] = inv
			delete(open, e.Process)
		}
	}
	var marks []int
	for _, w := range witness {
		if w >= uint64(len(events)) {
			continue
		}
		e := &events[w]
		if e.Kind != history.KindOp {
			continue
		}
		inv := e.Index
		if e.Type != history.Invoke {
			var ok bool
			if inv, ok = invokeOf[e.Index]; !ok {
				continue
			}
		}
		k := ordinal[inv]
		if e.Worker == 0 {
			k -= preload
		}
		task := fmt.Sprintf("worker-%d", e.Worker)
		calls, ends := 0, 0
		for i, st := range trace {
			if st.Task != task {
				continue
			}
			if strings.HasPrefix(st.Where, "call ") {
				if calls == k {
					marks = append(marks, i)
				}
				calls++
			} else if strings.HasPrefix(st.Where, "end ") {
				if ends == k {
					marks = append(marks, i)
					break
				}
				ends++
			}
		}
	}
	return marks
}

// finishSchedule adds the interleaving around the violation to a controlled
// run's outcome and writes schedule.json; a free run has nothing to add.
func finishSchedule(dir string, r *Resolved, out *Outcome, events []history.Event) error {
	s := out.Schedule
	if s == nil {
		return nil
	}
	if out.Verdict == checker.Invalid || s.Stuck != "" {
		complete := len(s.trace) > 0 && s.trace[0].Step == 1
		s.Interleaving = interleavingAround(events, out.Report, s.trace, complete, len(r.Plan.Preload()), s.Stuck != "")
	}
	s.trace = nil
	return writeJSON(filepath.Join(dir, ScheduleFile), s)
}

// Grid is the table's cells for the HTML report: per row, the step, a
// witness mark, then one cell per task.
func (t *Interleaving) Grid() [][]string {
	out := make([][]string, len(t.Rows))
	for i, r := range t.Rows {
		row := make([]string, 2+len(t.Tasks))
		row[0] = fmt.Sprint(r.Step)
		if r.Witness {
			row[1] = "*"
		}
		row[2+r.Column] = r.Where
		out[i] = row
	}
	return out
}

// Text renders the table for a terminal: one column per task.
func (t *Interleaving) Text() string {
	const width = 30
	var b strings.Builder
	fmt.Fprintf(&b, "interleaving around %s (* = a witness call):\n", t.Focus)
	fmt.Fprintf(&b, "%8s ", "step")
	for _, name := range t.Tasks {
		fmt.Fprintf(&b, " %-*s", width, name)
	}
	b.WriteString("\n")
	for _, r := range t.Rows {
		mark := " "
		if r.Witness {
			mark = "*"
		}
		fmt.Fprintf(&b, "%7d%s ", r.Step, mark)
		for c := range t.Tasks {
			cell := ""
			if c == r.Column {
				cell = r.Where
				if len(cell) > width {
					cell = cell[:width-1] + "~"
				}
			}
			fmt.Fprintf(&b, " %-*s", width, cell)
		}
		b.WriteString("\n")
	}
	return b.String()
}
