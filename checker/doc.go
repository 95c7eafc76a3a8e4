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
// A store under test other than the built-in one (a user's store, package
// warmtest) says in the header what it reports (history.Header.Target): the
// checks that need placements (offset-overlap, offset-monotonic,
// unique-slots, content-length) or its layout (content-length, durability,
// and the layout entries fields reads) are then not evaluated, and its
// snapshots say nothing about its state (target.go, forgetSnapshotStates).
//
// Imports: the standard library, history, and its internal packages: the
// register engine behind the linearizable check (internal/register, which
// imports porcupine) and, in tests, synthetic histories (internal/synth). It
// never imports store: it judges saved data only.
package checker
