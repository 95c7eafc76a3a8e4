// Package sched is a deterministic cooperative scheduler for the tasks of a
// controlled run: at most one task runs at a time, and control passes only at
// scheduling points (Point, a lock acquisition, Spin, Sleep, a task's end).
// Which task runs next is decided by a seeded Strategy (PCT or a random
// walk), so the same seed and the same program give the same interleaving,
// or by a script: a given list of choices, such as a model checker's
// counterexample trail.
//
// Locks stay real (shadow locking, as in Fray): a task acquires with
// TryLock, and when that fails it is marked blocked on the lock and another
// task runs; the lock's release makes it runnable again. When every task
// that must finish is blocked, the run stops at once with a Deadlock that
// names who waits on which lock held by whom.
//
// Time inside a run is virtual: each step advances the clock by a tick and
// Sleep waits for the virtual clock, so no decision depends on the wall
// clock.
//
// sched imports only the standard library; the store, the client and the
// runner import it.
package sched
