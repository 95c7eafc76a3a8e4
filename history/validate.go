package history

import (
	"errors"
	"fmt"
	"strings"
)

// Well-formedness rules of a history, one sentinel each; the message states
// the rule. A history that breaks any of them cannot be judged: the checker
// would be judging the recorder's bugs, not the store's.
var (
	ErrIndexOrder         = errors.New("event indices strictly increase")
	ErrTimeOrder          = errors.New("event times never go backwards")
	ErrUnknownValue       = errors.New("kind, type, operation and nemesis phase are named values")
	ErrMissingField       = errors.New("every field the event's kind requires is present")
	ErrUnexpectedField    = errors.New("an event carries only the fields of its kind")
	ErrNonOpType          = errors.New("nemesis and snapshot events are info")
	ErrUnmatchedComplete  = errors.New("every completion matches an earlier invoke of the same process")
	ErrCompletionMismatch = errors.New("a completion has the operation, memory id and worker of its invoke")
	ErrDoubleInvoke       = errors.New("no process has two outstanding invokes")
	ErrRetiredProcess     = errors.New("a process whose operation ended info never invokes again")
	ErrNegativeProcess    = errors.New("client processes and workers are non-negative")
	ErrRecordedFields     = errors.New("decay_rate, created_at and last_access are recorded on every put, get, iterate and layout value of a history, or on none")
)

// Problem is one broken rule at one event.
type Problem struct {
	Position int    // position in the slice
	Index    uint64 // the event's Index
	Field    string // the offending field, snake_case as in JSON Lines
	Rule     error  // one of the sentinels above
	Detail   string
}

func (p Problem) Error() string {
	return fmt.Sprintf("event %d (index %d) field %s: %v: %s", p.Position, p.Index, p.Field, p.Rule, p.Detail)
}

func (p Problem) Unwrap() error { return p.Rule }

// ValidationError lists the problems of a malformed history (at most
// maxProblems of them; Total counts all). errors.Is matches every rule
// that was broken.
type ValidationError struct {
	Problems []Problem
	Total    int
}

const maxProblems = 100

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "malformed history: %d problem(s)", e.Total)
	for i, p := range e.Problems {
		if i == 5 {
			fmt.Fprintf(&b, "; ... %d more", e.Total-5)
			break
		}
		b.WriteString("; ")
		b.WriteString(p.Error())
	}
	return b.String()
}

func (e *ValidationError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i := range e.Problems {
		errs[i] = e.Problems[i]
	}
	return errs
}

// Validate checks that events form a well-formed history and returns nil or
// a *ValidationError. Invokes still outstanding at the end are allowed
// (their outcome is unknown, as if they had ended info).
func Validate(events []Event) error {
	v := validator{outstanding: map[int64]openInvoke{}, retired: map[int64]int{}, recordedAt: -1}
	for i := range events {
		v.event(i, &events[i])
	}
	if v.total == 0 {
		return nil
	}
	return &ValidationError{Problems: v.problems, Total: v.total}
}

// openInvoke is what a completion must match.
type openInvoke struct {
	pos    int
	op     Op
	id     string
	worker int32
}

type validator struct {
	outstanding map[int64]openInvoke // by process
	retired     map[int64]int        // process -> position of its info completion
	problems    []Problem
	total       int
	prev        *Event
	// recordedAt is the position of the first value that says whether the
	// history records the appended fields (-1 before it), recordedIndex its
	// event's index, recorded its say.
	recordedAt    int
	recordedIndex uint64
	recorded      bool
}

func (v *validator) report(pos int, e *Event, field string, rule error, format string, args ...any) {
	v.total++
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, Problem{Position: pos, Index: e.Index, Field: field, Rule: rule, Detail: fmt.Sprintf(format, args...)})
	}
}

// needsID, needsInput and needsOutput are the presence rules of event.go
// (needsID: an ok completion of the op carries a memory id).
func needsID(op Op) bool {
	return op == OpPut || op == OpGet || op == OpRemove || op == OpUpdateActivation
}

func needsInput(op Op) bool { return op == OpPut || op == OpUpdateActivation || op == OpRecall }

// needsOutput: the operations whose ok completion returns something a
// checker reads (sync, stats and layout return nothing in an Output).
func needsOutput(op Op) bool {
	return needsID(op) || op == OpIterate || op == OpRecall || op == OpCompact
}

func (v *validator) event(pos int, e *Event) {
	if p := v.prev; p != nil {
		if e.Index <= p.Index {
			v.report(pos, e, "index", ErrIndexOrder, "index %d follows index %d", e.Index, p.Index)
		}
		if e.Time < p.Time {
			v.report(pos, e, "time", ErrTimeOrder, "time %d follows time %d (index %d)", e.Time, p.Time, p.Index)
		}
	}
	v.prev = e
	if !e.Type.Valid() {
		v.report(pos, e, "type", ErrUnknownValue, "type %d is not invoke, ok, fail or info", uint8(e.Type))
	}
	v.recordedFields(pos, e)
	switch e.Kind {
	case KindOp:
		v.op(pos, e)
	case KindNemesis, KindSnapshot:
		v.nonOp(pos, e)
	default:
		v.report(pos, e, "kind", ErrUnknownValue, "kind %d is not op, nemesis or snapshot", uint8(e.Kind))
	}
}

// recordedFields checks ErrRecordedFields on the values a check compares
// with each other: put inputs, found get outputs, iterate entries and
// layouts (recall entries never carry the fields).
func (v *validator) recordedFields(pos int, e *Event) {
	check := func(field string, val *Value) {
		if v.recordedAt < 0 {
			v.recordedAt, v.recordedIndex, v.recorded = pos, e.Index, val.Recorded
			return
		}
		if val.Recorded != v.recorded {
			v.report(pos, e, field, ErrRecordedFields, "recorded=%v here, %v at index %d", val.Recorded, v.recorded, v.recordedIndex)
		}
	}
	switch {
	case e.Kind == KindOp && e.Op == OpPut && e.Type == Invoke && e.Input != nil:
		check("input.value", &e.Input.Value)
	case e.Kind == KindOp && e.Op == OpGet && e.Type == OK && e.Output != nil && e.Output.Found:
		check("output.value", &e.Output.Value)
	case e.Kind == KindOp && e.Op == OpIterate && e.Type == OK && e.Output != nil:
		for i := range e.Output.Entries {
			check(fmt.Sprintf("output.entries[%d].value", i), &e.Output.Entries[i].Value)
		}
	case e.Kind == KindSnapshot && e.Snapshot != nil:
		for i := range e.Snapshot.Layout {
			check(fmt.Sprintf("snapshot.layout[%d].value", i), &e.Snapshot.Layout[i].Value)
		}
	}
}

func (v *validator) nonOp(pos int, e *Event) {
	if e.Type != Info {
		v.report(pos, e, "type", ErrNonOpType, "%s event has type %s", e.Kind, e.Type)
	}
	if e.Op != 0 || e.Input != nil || e.Output != nil {
		v.report(pos, e, "op", ErrUnexpectedField, "%s event carries an operation, input or output", e.Kind)
	}
	if e.Kind == KindNemesis {
		if e.Snapshot != nil {
			v.report(pos, e, "snapshot", ErrUnexpectedField, "nemesis event carries a snapshot")
		}
		switch n := e.Nemesis; {
		case n == nil:
			v.report(pos, e, "nemesis", ErrMissingField, "nemesis event without nemesis")
		case n.Fault == "":
			v.report(pos, e, "nemesis.fault", ErrMissingField, "nemesis event names no fault")
		case !n.Phase.Valid():
			v.report(pos, e, "nemesis.phase", ErrUnknownValue, "phase %d is not start or end", uint8(n.Phase))
		}
		return
	}
	if e.Nemesis != nil {
		v.report(pos, e, "nemesis", ErrUnexpectedField, "snapshot event carries a nemesis")
	}
	switch s := e.Snapshot; {
	case s == nil:
		v.report(pos, e, "snapshot", ErrMissingField, "snapshot event without snapshot")
	case s.Reason == "":
		v.report(pos, e, "snapshot.reason", ErrMissingField, "snapshot without a reason")
	}
}

func (v *validator) op(pos int, e *Event) {
	if e.Nemesis != nil || e.Snapshot != nil {
		v.report(pos, e, "nemesis", ErrUnexpectedField, "op event carries a nemesis or snapshot")
	}
	if !e.Op.Valid() {
		v.report(pos, e, "op", ErrUnknownValue, "op %d is not a store operation", uint8(e.Op))
	}
	if e.Process < 0 || e.Worker < 0 {
		v.report(pos, e, "process", ErrNegativeProcess, "process %d, worker %d", e.Process, e.Worker)
	}
	switch e.Type {
	case Invoke:
		v.invoke(pos, e)
	case OK, Fail, Info:
		v.completion(pos, e)
	}
}

func (v *validator) invoke(pos int, e *Event) {
	if needsInput(e.Op) && e.Input == nil {
		v.report(pos, e, "input", ErrMissingField, "%s invoke without input", e.Op)
	}
	if at, ok := v.retired[e.Process]; ok {
		v.report(pos, e, "process", ErrRetiredProcess, "process %d ended info at event %d and invokes again", e.Process, at)
	}
	if open, ok := v.outstanding[e.Process]; ok {
		v.report(pos, e, "process", ErrDoubleInvoke, "process %d still has the invoke at event %d outstanding", e.Process, open.pos)
	}
	v.outstanding[e.Process] = openInvoke{pos: pos, op: e.Op, id: e.ID, worker: e.Worker}
}

func (v *validator) completion(pos int, e *Event) {
	inv, ok := v.outstanding[e.Process]
	if !ok {
		v.report(pos, e, "process", ErrUnmatchedComplete, "%s completion of process %d, which has no outstanding invoke", e.Type, e.Process)
		return
	}
	delete(v.outstanding, e.Process)
	switch {
	case inv.op != e.Op:
		v.report(pos, e, "op", ErrCompletionMismatch, "completes %s but the invoke at event %d was %s", e.Op, inv.pos, inv.op)
	case inv.id != e.ID:
		v.report(pos, e, "id", ErrCompletionMismatch, "completes id %q but the invoke at event %d was for %q", e.ID, inv.pos, inv.id)
	case inv.worker != e.Worker:
		v.report(pos, e, "worker", ErrCompletionMismatch, "worker %d, the invoke at event %d was worker %d", e.Worker, inv.pos, inv.worker)
	}
	switch e.Type {
	case OK:
		// An empty memory id is a value the client may pass (the store
		// must reject it: ErrBadID), so an invoke and a fail or info
		// completion may carry one. Only an ok needs an id: it says the
		// operation took effect on a memory, and the checkers judge it
		// by that id. An ok with none means the recorder lost the id or
		// the store accepted an invalid one; either way this history
		// cannot be judged as recorded.
		if needsID(e.Op) && e.ID == "" {
			v.report(pos, e, "id", ErrMissingField, "ok %s without a memory id (the store accepted an empty id, or the recorder lost it)", e.Op)
		}
		if needsOutput(e.Op) && e.Output == nil {
			v.report(pos, e, "output", ErrMissingField, "ok %s without output", e.Op)
		}
	case Fail, Info:
		if e.Error == "" {
			v.report(pos, e, "error", ErrMissingField, "%s completion without error text", e.Type)
		}
		if e.Type == Info {
			v.retired[e.Process] = pos
		}
	}
}
