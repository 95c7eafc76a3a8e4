// Package nemesis is warmcheck's catalogue of faults and the machinery that
// injects them while a workload runs: a registry of named faults (All), a
// seeded Scheduler that decides which fault fires when, where and for how
// long, and Run, which executes a schedule against a Target and records every
// fault's start and end (and the recovered state after every restart) in the
// same history as the operations.
//
// Reproducibility: the same seed gives the same schedule (the same faults,
// failpoints, gaps, hold times and power-loss seeds, in the same order). It
// does not give the same goroutine interleaving: which operation a failpoint
// catches, and how the workers' operations overlap a fault, depend on the Go
// scheduler and the machine's load.
//
// Aim: a fault that acts at a failpoint (panic, sleep, grow-failure) picks
// only among the failpoints the load passes (ScheduleOptions.Reach, from the
// store's own FailpointInfo.ReachedBy), and a fault that could never fire
// under the load is refused when the schedule is built.
//
// Imports: store, history and client (for the Recorder, the in-process
// client and the child-process controller). Never checker or workload.
package nemesis
