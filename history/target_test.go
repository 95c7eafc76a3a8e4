package history

import (
	"bytes"
	"path/filepath"
	"reflect"
	"testing"
)

// TestHeaderTarget: a user store's description survives both file forms,
// and Reports is true for everything only when there is none.
func TestHeaderTarget(t *testing.T) {
	tg := &Target{Kind: TargetGo, Name: "mapstore", Reports: []string{ReportsLayout}}
	h := Header{Seed: 1, Workload: "mixed", Target: tg}

	path := filepath.Join(t.TempDir(), "h.wch")
	w, err := Create(path, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Target, tg) {
		t.Errorf("msgpack: target %+v, want %+v", got.Target, tg)
	}

	var buf bytes.Buffer
	jw, err := NewJSONLWriter(&buf, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := jw.Close(); err != nil {
		t.Fatal(err)
	}
	got, _, err = ReadAll(&buf, "h.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Target, tg) {
		t.Errorf("jsonl: target %+v, want %+v", got.Target, tg)
	}

	if !got.Reports(ReportsLayout) || got.Reports(ReportsPlacements) {
		t.Errorf("Reports with %v: layout %v placements %v, want true false", tg.Reports, got.Reports(ReportsLayout), got.Reports(ReportsPlacements))
	}
	builtin := Header{}
	if !builtin.Reports(ReportsLayout) || !builtin.Reports(ReportsPlacements) {
		t.Error("the built-in store (no target) must report everything")
	}
	none := Header{Target: &Target{Kind: TargetGo, Name: "bare"}}
	if none.Reports(ReportsLayout) || none.Reports(ReportsPlacements) {
		t.Error("a target that lists nothing must report nothing")
	}
}
