// Package model holds a Promela model of the store's concurrency protocol
// (store.pml), model-checked with spin by check.sh, and the Go tests that
// run that script and replay a counterexample trail on the real store.
// See README.md for what is modelled and what is abstracted away.
//
// The package has no code of its own; its tests import store.
package model
