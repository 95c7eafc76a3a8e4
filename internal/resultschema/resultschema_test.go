package resultschema

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
)

func judged(t *testing.T) checker.Results {
	t.Helper()
	events := []history.Event{
		{Index: 0, Kind: history.KindOp, Type: history.Invoke, Process: 1, Op: history.OpPut, ID: "a",
			Input: &history.Input{}},
	}
	rep := checker.Run(context.Background(), &checker.Input{Header: history.Header{Schema: 2, Seed: 3, Workload: "w"}, Events: events}, checker.Options{})
	return checker.NewResults(
		checker.HistoryResult{Path: "a.wch", History: "a.wch", Report: &rep},
		checker.HistoryResult{Path: "b.wch", Error: "b.wch: byte 0: not a warmcheck history"})
}

func TestValidateAcceptsResults(t *testing.T) {
	r := judged(t)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := Validate(b); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if r.Verdict == checker.Valid {
		t.Fatalf("an unreadable history composed into a valid verdict")
	}
}

// TestValidateRejects: the schema is not vacuous; each departure from the
// shape is caught.
func TestValidateRejects(t *testing.T) {
	good, _ := json.Marshal(judged(t))
	for name, mutate := range map[string]func(m map[string]any){
		"bare report at top level": func(m map[string]any) {
			h := m["histories"].([]any)[0].(map[string]any)
			for k := range m {
				delete(m, k)
			}
			for k, v := range h["report"].(map[string]any) {
				m[k] = v
			}
		},
		"not-evaluated run verdict": func(m map[string]any) { m["verdict"] = "not-evaluated" },
		"unknown top-level field":   func(m map[string]any) { m["extra"] = 1 },
		"error and report together": func(m map[string]any) {
			hs := m["histories"].([]any)
			hs[0].(map[string]any)["error"] = "boom"
		},
		"neither error nor report": func(m map[string]any) {
			delete(m["histories"].([]any)[0].(map[string]any), "report")
		},
		"unreadable but valid": func(m map[string]any) {
			m["histories"].([]any)[1].(map[string]any)["verdict"] = "valid"
		},
		"check without summary": func(m map[string]any) {
			rep := m["histories"].([]any)[0].(map[string]any)["report"].(map[string]any)
			delete(rep["checks"].([]any)[0].(map[string]any), "summary")
		},
		"check verdict misspelt": func(m map[string]any) {
			rep := m["histories"].([]any)[0].(map[string]any)["report"].(map[string]any)
			rep["checks"].([]any)[0].(map[string]any)["verdict"] = "vacuous"
		},
	} {
		t.Run(name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(good, &m); err != nil {
				t.Fatal(err)
			}
			mutate(m)
			b, _ := json.Marshal(m)
			err := Validate(b)
			if err == nil {
				t.Fatalf("accepted:\n%s", b)
			}
			if !strings.Contains(err.Error(), "jsonschema") && !strings.Contains(err.Error(), "validation") {
				t.Logf("error: %v", err)
			}
		})
	}
}
