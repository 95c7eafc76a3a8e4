package checker

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// Options tune the checks. The zero value means the defaults below; they are
// recorded in the Report so that a verdict can be reproduced.
type Options struct {
	// MinOK is the least number of ok operations for a run not to be vacuous.
	MinOK int `json:"min_ok"`
	// MinOKFraction is the least fraction of invoked operations that must
	// complete ok for a run not to be vacuous.
	MinOKFraction float64 `json:"min_ok_fraction"`
	// MinPlanFraction is the least fraction of the planned operations
	// (header ops + preload), or of the planned duration of a
	// duration-bounded run, that must be carried out for a run not to be
	// vacuous.
	MinPlanFraction float64 `json:"min_plan_fraction"`
	// RecoveryBound is how soon after a panic fault ends every worker that
	// continues must get an ok.
	RecoveryBound time.Duration `json:"recovery_bound_ns"`
	// Only, when non-empty, restricts the run to the named checks (and the
	// well-formedness gate, which always runs).
	Only []string `json:"only,omitempty"`
}

// Defaults for Options.
const (
	DefaultMinOK         = 1
	DefaultMinOKFraction = 0.2
	// DefaultMinPlanFraction: a run that carried out its plan issued every
	// planned operation; 10% short is a run that stopped early.
	DefaultMinPlanFraction = 0.9
	DefaultRecoveryBound   = 5 * time.Second
)

func (o Options) withDefaults() Options {
	if o.MinOK <= 0 {
		o.MinOK = DefaultMinOK
	}
	if o.MinOKFraction <= 0 {
		o.MinOKFraction = DefaultMinOKFraction
	}
	if o.MinPlanFraction <= 0 {
		o.MinPlanFraction = DefaultMinPlanFraction
	}
	if o.RecoveryBound <= 0 {
		o.RecoveryBound = DefaultRecoveryBound
	}
	return o
}

// allChecks is the registry, in the order Run executes the checks. The first
// (anti-vacuity) is the gate: when it finds the history malformed, every
// other check is not evaluated. Adding a check is one line here.
var allChecks = []func(Options) Check{
	func(o Options) Check { return antiVacuityCheck{opts: o} },
	func(Options) Check { return integrityCheck{} },
	func(Options) Check { return newLinearizableCheck() },
	func(Options) Check { return offsetOverlapCheck{} },
	func(Options) Check { return offsetMonotonicCheck{} },
	func(Options) Check { return uniqueSlotsCheck{} },
	func(Options) Check { return contentLengthCheck{} },
	func(Options) Check { return iterationCheck{} },
	func(Options) Check { return fieldsCheck{} },
	func(Options) Check { return durabilityCheck{} },
	func(o Options) Check { return recoveryCheck{bound: o.RecoveryBound} },
	func(o Options) Check { return progressCheck{recoveryBound: o.RecoveryBound} },
}

// Checks returns every registered check with default options, in run order:
// the source of `warmcheck list checks`.
func Checks() []Check {
	return instantiate(Options{}.withDefaults())
}

func instantiate(o Options) []Check {
	out := make([]Check, len(allChecks))
	for i, mk := range allChecks {
		out[i] = mk(o)
	}
	return out
}

// gate is implemented by a check whose failure makes the rest meaningless.
type gate interface {
	// blocks reports whether r means that the other checks must not run.
	blocks(r Result) bool
}

// Run executes the checks in registry order over in and composes the
// verdict (see runVerdict). It never panics on bad input: a check that
// panics is reported as unknown with ErrCheckPanicked. When ctx ends, the
// checks not yet run are unknown: they may have had something to judge.
func Run(ctx context.Context, in *Input, opts Options) Report {
	opts = opts.withDefaults()
	start := time.Now()
	rep := newReport(in, opts)
	only := make(map[string]bool, len(opts.Only))
	for _, n := range opts.Only {
		only[n] = true
	}
	var blockedBy string
	judged := false
	for i, c := range instantiate(opts) {
		name := c.Name()
		if len(only) > 0 && !only[name] && i != 0 {
			continue
		}
		var r Result
		switch {
		case blockedBy != "":
			r = Result{Name: name, Verdict: NotEvaluated,
				Summary: fmt.Sprintf("not evaluated: %s found the history malformed", blockedBy)}
		case ctx.Err() != nil:
			r = Result{Name: name, Verdict: Unknown, Summary: fmt.Sprintf("not run: %v", notRunCause(ctx))}
		default:
			r = runOne(ctx, c, in)
			g, isGate := c.(gate)
			if isGate && g.blocks(r) {
				blockedBy = name
			}
			judged = judged || (!isGate && r.Verdict == Valid)
		}
		rep.Checks = append(rep.Checks, r)
	}
	rep.Verdict, rep.Reason = runVerdict(rep.Checks, judged)
	// A corrupt history, salvaged, lost events after its damage that a
	// violation may hide in: what was found there stands, but finding
	// nothing proves nothing.
	if rep.Completeness == history.Corrupt && rep.Verdict == Valid {
		rep.Verdict = Unknown
		rep.Reason = "unknown: the history is corrupt (salvaged): the checks found nothing in its intact part, which proves nothing about the rest"
	}
	rep.ElapsedNanos = time.Since(start).Nanoseconds()
	return rep
}

// notRunCause says why a check was not run once ctx ended: a cancel is an
// interruption, anything else a deadline.
func notRunCause(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.Canceled) {
		return ErrInterrupted
	}
	return ErrDeadlineExceeded
}

// runVerdict composes the checks' verdicts into the run's:
//   - invalid if any check is invalid;
//   - else unknown if any check is unknown;
//   - else unknown if no check other than the gate (anti-vacuity, which
//     judges the evidence, not a guarantee) is valid: a run in which every
//     guarantee went not-evaluated proved nothing;
//   - else valid.
//
// A not-evaluated check is neutral: the history held nothing for it to judge
// (no crash for durability, no iterate for iteration), which is neither a
// pass nor a doubt about the checks that did judge. judged says whether some
// non-gate check was valid. reason is one line saying which checks decided.
func runVerdict(checks []Result, judged bool) (v Verdict, reason string) {
	by := map[Verdict][]string{}
	for _, c := range checks {
		by[c.Verdict] = append(by[c.Verdict], c.Name)
	}
	switch {
	case len(by[Invalid]) > 0:
		return Invalid, "invalid: " + strings.Join(by[Invalid], ", ")
	case len(by[Unknown]) > 0:
		return Unknown, "unknown: " + strings.Join(by[Unknown], ", ")
	case !judged && len(by[NotEvaluated]) == 0:
		return Unknown, "unknown: no guarantee was judged (no check ran but the anti-vacuity gate)"
	case !judged:
		return Unknown, "unknown: no guarantee was judged (not evaluated, nothing to judge: " + strings.Join(by[NotEvaluated], ", ") + ")"
	}
	reason = fmt.Sprintf("valid: %d checks valid", len(by[Valid]))
	if n := len(by[NotEvaluated]); n > 0 {
		reason += fmt.Sprintf(", %d not evaluated (nothing to judge: %s)", n, strings.Join(by[NotEvaluated], ", "))
	}
	return Valid, reason
}

// runOne runs one check, timing it and turning a panic into unknown.
func runOne(ctx context.Context, c Check, in *Input) (r Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			r = Result{Name: c.Name(), Verdict: Unknown,
				Summary:     fmt.Sprintf("%v: %v", ErrCheckPanicked, p),
				Explanation: string(debug.Stack())}
		}
		r.Name = c.Name()
		if r.Verdict == "" {
			r.Verdict = Unknown
		}
		r.ElapsedNanos = time.Since(start).Nanoseconds()
	}()
	return c.Run(ctx, in)
}

// compose folds run verdicts: invalid > unknown > valid. A run verdict is
// never not-evaluated (runVerdict); should one be, it is not valid.
func compose(a, b Verdict) Verdict {
	rank := func(v Verdict) int {
		switch v {
		case Invalid:
			return 2
		case Valid:
			return 0
		default:
			return 1
		}
	}
	if rank(b) > rank(a) {
		if b == NotEvaluated {
			return Unknown
		}
		return b
	}
	return a
}

// Worst composes verdicts of several runs (e.g. several analyzed paths).
func Worst(vs ...Verdict) Verdict {
	out := Valid
	for _, v := range vs {
		out = compose(out, v)
	}
	return out
}

// violation builds an invalid Result from a sentinel and a detailed account.
func violation(sentinel error, summary, explanation string, witness []uint64) Result {
	return Result{Verdict: Invalid, Summary: summary,
		Explanation: sentinel.Error() + "\n" + explanation, Witness: sortedUnique(witness)}
}

// sentinels maps each check to the sentinel error stating its guarantee.
var sentinels = map[string]error{
	"anti-vacuity":     ErrVacuous,
	"linearizable":     ErrNotLinearizable,
	"offset-overlap":   ErrOffsetOverlap,
	"offset-monotonic": ErrOffsetMonotonic,
	"unique-slots":     ErrUniqueSlots,
	"content-length":   ErrContentLength,
	"iteration":        ErrIteration,
	"fields":           ErrFields,
	"durability":       ErrDurability,
	"recovery":         ErrRecovery,
	"progress":         ErrStalled,
	"integrity":        ErrIntegrity,
}

// ResultErr is nil unless r is invalid; then it is an error that matches
// the check's sentinel with errors.Is (ErrDurability, ErrUniqueSlots, ...)
// and carries the summary.
func ResultErr(r Result) error {
	if r.Verdict != Invalid {
		return nil
	}
	if s, ok := sentinels[r.Name]; ok {
		return fmt.Errorf("%w: %s", s, r.Summary)
	}
	return fmt.Errorf("%s: %s", r.Name, r.Summary)
}
