package history

import (
	"errors"
	"strings"
	"testing"
)

func TestValidateAcceptsWellFormed(t *testing.T) {
	if err := Validate(sampleEvents(20_000, 11)); err != nil {
		t.Fatal(err)
	}
	if err := Validate(nil); err != nil {
		t.Fatal(err)
	}
}

// goodHistory is small and well formed; every case below breaks one rule.
func goodHistory() []Event {
	put := &Input{Value: Value{HasContent: true, ContentDigest: 7, ContentLen: 3}}
	return []Event{
		{Index: 0, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpPut, ID: "a", Time: 10, Input: put},
		{Index: 1, Kind: KindOp, Type: Invoke, Process: 1, Worker: 1, Op: OpGet, ID: "a", Time: 11},
		{Index: 2, Kind: KindOp, Type: OK, Process: 0, Worker: 0, Op: OpPut, ID: "a", Time: 12, Output: &Output{}},
		{Index: 3, Kind: KindNemesis, Type: Info, Time: 13, Nemesis: &Nemesis{Fault: "panic", Phase: NemesisStart}},
		{Index: 4, Kind: KindOp, Type: Info, Process: 1, Worker: 1, Op: OpGet, ID: "a", Time: 14, Error: "panic"},
		{Index: 5, Kind: KindOp, Type: Invoke, Process: 3, Worker: 1, Op: OpSync, Time: 15},
		{Index: 6, Kind: KindOp, Type: OK, Process: 3, Worker: 1, Op: OpSync, Time: 16},
		{Index: 7, Kind: KindSnapshot, Type: Info, Time: 17, Snapshot: &Snapshot{Reason: "final"}},
		{Index: 8, Kind: KindOp, Type: Invoke, Process: 0, Worker: 0, Op: OpRemove, ID: "a", Time: 18},
	}
}

func TestValidateRules(t *testing.T) {
	if err := Validate(goodHistory()); err != nil {
		t.Fatalf("good history rejected: %v", err)
	}
	cases := []struct {
		name     string
		mutate   func(h []Event) []Event
		rule     error
		position int
		field    string
	}{
		{"index repeats", func(h []Event) []Event { h[3].Index = 2; return h }, ErrIndexOrder, 3, "index"},
		{"index goes back", func(h []Event) []Event { h[5].Index = 1; return h }, ErrIndexOrder, 5, "index"},
		{"time goes back", func(h []Event) []Event { h[6].Time = 14; return h }, ErrTimeOrder, 6, "time"},
		{"unknown type", func(h []Event) []Event { h[2].Type = 9; return h }, ErrUnknownValue, 2, "type"},
		{"unknown kind", func(h []Event) []Event { h[3].Kind = 0; return h }, ErrUnknownValue, 3, "kind"},
		{"unknown op", func(h []Event) []Event { h[5].Op, h[6].Op = 99, 99; return h }, ErrUnknownValue, 5, "op"},
		{"unknown phase", func(h []Event) []Event { h[3].Nemesis.Phase = 7; return h }, ErrUnknownValue, 3, "nemesis.phase"},
		{"ok put without id", func(h []Event) []Event { h[0].ID, h[2].ID = "", ""; return h }, ErrMissingField, 2, "id"},
		{"ok get without id", func(h []Event) []Event {
			h[1].ID, h[4].ID, h[4].Type, h[4].Error, h[4].Output = "", "", OK, "", &Output{}
			return h
		}, ErrMissingField, 4, "id"},
		{"put without input", func(h []Event) []Event { h[0].Input = nil; return h }, ErrMissingField, 0, "input"},
		{"ok get without output", func(h []Event) []Event { h[4].Type, h[4].Error = OK, ""; return h }, ErrMissingField, 4, "output"},
		{"info without error", func(h []Event) []Event { h[4].Error = ""; return h }, ErrMissingField, 4, "error"},
		{"nemesis without fault", func(h []Event) []Event { h[3].Nemesis.Fault = ""; return h }, ErrMissingField, 3, "nemesis.fault"},
		{"nemesis event without nemesis", func(h []Event) []Event { h[3].Nemesis = nil; return h }, ErrMissingField, 3, "nemesis"},
		{"snapshot without reason", func(h []Event) []Event { h[7].Snapshot.Reason = ""; return h }, ErrMissingField, 7, "snapshot.reason"},
		{"negative process", func(h []Event) []Event { h[5].Process, h[6].Process = -3, -3; return h }, ErrNegativeProcess, 5, "process"},
		{"nemesis as ok", func(h []Event) []Event { h[3].Type = OK; return h }, ErrNonOpType, 3, "type"},
		{"op with snapshot", func(h []Event) []Event { h[6].Snapshot = &Snapshot{Reason: "x"}; return h }, ErrUnexpectedField, 6, "nemesis"},
		{"snapshot with output", func(h []Event) []Event { h[7].Output = &Output{}; return h }, ErrUnexpectedField, 7, "op"},
		{"completion without invoke", func(h []Event) []Event { h[1].Process = 5; return h }, ErrUnmatchedComplete, 4, "process"},
		{"completion of another op", func(h []Event) []Event { h[2].Op = OpGet; return h }, ErrCompletionMismatch, 2, "op"},
		{"completion of another id", func(h []Event) []Event { h[2].ID = "b"; return h }, ErrCompletionMismatch, 2, "id"},
		{"completion by another worker", func(h []Event) []Event { h[2].Worker = 4; return h }, ErrCompletionMismatch, 2, "worker"},
		{"two outstanding invokes", func(h []Event) []Event { h[1].Process = 0; return h }, ErrDoubleInvoke, 1, "process"},
		{"retired process invokes", func(h []Event) []Event { h[5].Process, h[6].Process = 1, 1; return h }, ErrRetiredProcess, 5, "process"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := Validate(c.mutate(goodHistory()))
			if !errors.Is(err, c.rule) {
				t.Fatalf("got %v, want %v", err, c.rule)
			}
			var verr *ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("not a *ValidationError: %T", err)
			}
			found := false
			for _, p := range verr.Problems {
				if errors.Is(p, c.rule) && p.Position == c.position && p.Field == c.field {
					found = true
				}
			}
			if !found {
				t.Fatalf("no problem at event %d field %s: %v", c.position, c.field, err)
			}
			if !strings.Contains(err.Error(), c.rule.Error()) {
				t.Fatalf("message does not state the rule: %v", err)
			}
		})
	}
}

func TestValidateCapsProblems(t *testing.T) {
	h := goodHistory()
	for i := 0; i < 500; i++ {
		h = append(h, Event{Index: 1, Kind: KindOp, Type: OK, Process: 77, Op: OpSync, Time: 100})
	}
	var verr *ValidationError
	if err := Validate(h); !errors.As(err, &verr) || len(verr.Problems) != maxProblems || verr.Total < 1000 {
		t.Fatalf("%v", err)
	}
}

// TestValidateEmptyIDs: operations that take no memory id carry none in any
// outcome, and a call made with an empty id (which the store rejects with
// ErrBadID: the recorder writes invoke "" then fail "") is well formed, as
// is one that ended info or never completed. Only an ok with an empty id is
// not (TestValidateRules).
func TestValidateEmptyIDs(t *testing.T) {
	var h []Event
	add := func(p int64, op Op, typ Type, in *Input, out *Output, errText string) {
		h = append(h, Event{Index: uint64(len(h)), Kind: KindOp, Type: typ, Process: p, Worker: int32(p % 4), Op: op, Time: int64(len(h)), Input: in, Output: out, Error: errText})
	}
	put := &Input{Value: Value{HasContent: true, ContentLen: 1}}
	for _, op := range []Op{OpIterate, OpSync, OpStats, OpLayout, OpCompact, OpRecall} {
		var in *Input
		if op == OpRecall {
			in = &Input{Threshold: 0.5}
		}
		var out *Output
		if needsOutput(op) {
			out = &Output{}
		}
		add(0, op, Invoke, in, nil, "")
		add(0, op, OK, nil, out, "")
		add(0, op, Invoke, in, nil, "")
		add(0, op, Fail, nil, nil, "store: closed")
	}
	for _, op := range []Op{OpPut, OpGet, OpRemove, OpUpdateActivation} {
		var in *Input
		if needsInput(op) {
			in = put
		}
		add(1, op, Invoke, in, nil, "")
		add(1, op, Fail, nil, nil, "store: invalid memory id: length 0, want 1..255")
	}
	add(1, OpPut, Invoke, put, nil, "")
	add(1, OpPut, Info, nil, nil, "timeout")
	add(5, OpGet, Invoke, nil, nil, "") // still outstanding at the end
	if err := Validate(h); err != nil {
		t.Fatal(err)
	}
	// The same history with the fail turned ok is not.
	for i := range h {
		if h[i].Op == OpRemove && h[i].Type == Fail {
			h[i].Type, h[i].Error, h[i].Output = OK, "", &Output{}
			if err := Validate(h); !errors.Is(err, ErrMissingField) || !strings.Contains(err.Error(), "field id") {
				t.Fatalf("ok remove with an empty id: %v", err)
			}
			return
		}
	}
	t.Fatal("no remove in the history")
}
