// Package checker judges a saved history: it decides, for each guarantee the
// warm-tier store makes, whether the history proves it held (valid), proves
// it broken (invalid), or cannot tell (unknown).
//
// Every check is a pure function of a history.Header and its events (see
// Input); nothing here talks to a store, so `warmcheck analyze` on a history
// copied from another machine gives the verdict the run gave. Run executes
// the registered checks (checker.go) in order and composes their verdicts:
// invalid > unknown > valid; a check with nothing to judge is not-evaluated
// and neutral, but a run in which no guarantee was judged is unknown, never
// valid (runVerdict).
//
// Imports: the standard library, history, and its internal packages: the
// register engine behind the linearizable check (internal/register, which
// imports porcupine) and, in tests, synthetic histories (internal/synth). It
// never imports store: it judges saved data only.
package checker
