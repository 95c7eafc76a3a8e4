package checker

import (
	"context"

	"github.com/warmcheck/warmcheck/history"
)

// Verdict is the outcome of one check or of a whole run. A check is
// NotEvaluated when the history holds nothing for it to judge (it is then
// neutral, never a pass); a run is never NotEvaluated: see runVerdict for
// how the checks compose.
type Verdict string

const (
	Valid        Verdict = "valid"
	Invalid      Verdict = "invalid"
	Unknown      Verdict = "unknown"
	NotEvaluated Verdict = "not-evaluated"
)

// Result is what one check concluded.
type Result struct {
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	Summary string  `json:"summary"` // one line
	// Explanation is a plain-text account of the first violation (or of why
	// the verdict is unknown); empty when valid.
	Explanation string `json:"explanation,omitempty"`
	// Witness is the indices of the events that make up a minimal witness of
	// the violation, in history order.
	Witness []uint64 `json:"witness,omitempty"`
	// Artifacts names files a check wrote (e.g. a porcupine visualization),
	// relative to the output directory.
	Artifacts []string `json:"artifacts,omitempty"`
	// Details holds check-specific counters for results.json.
	Details map[string]any `json:"details,omitempty"`
	// ElapsedNanos is how long the check took.
	ElapsedNanos int64 `json:"elapsed_ns"`
}

// Input is everything a check may look at: the saved history only.
type Input struct {
	Header history.Header
	Events []history.Event
	// OutDir, when non-empty, is where a check may write artifacts.
	OutDir string
	// Completeness is what the reader concluded about the file (FORMAT.md,
	// "Complete, torn, corrupt"). When it is not Complete, Events holds only
	// what came before the damage, and checks treat operations pending at
	// the end as cut off (unknown outcome, like info), not as hung. A
	// Corrupt history is judged only when the user asked to salvage it, and
	// its verdict is never valid (Run makes valid unknown); a Torn one may
	// be valid. The zero value is Complete.
	Completeness history.Completeness
	// Damage, when non-nil, is the reader's account of where the history
	// stops being intact (a *history.DamageError). A non-nil Damage with a
	// Complete Completeness is read as CompletenessOf(Damage).
	Damage error

	// derived caches what several checks compute from Events (the paired
	// operations); it is filled on first use. An Input is therefore not
	// safe for concurrent use by several checks, and Events must not change
	// once a check has run.
	derived *derived
}

// completeness is in.Completeness, or what Damage says when only Damage
// was set.
// cut reports whether the history stops before its end (torn, or corrupt and
// salvaged): operations open at the cut were cut off, not hung.
func (in *Input) cut() bool { return in.completeness() != history.Complete }

func (in *Input) completeness() history.Completeness {
	if in.Completeness == history.Complete && in.Damage != nil {
		return history.CompletenessOf(in.Damage)
	}
	return in.Completeness
}

// Check is one guarantee, judged over a saved history. Run must be a pure
// function of in (apart from writing artifacts into in.OutDir).
type Check interface {
	Name() string
	Description() string
	Run(ctx context.Context, in *Input) Result
}
