// Package runner is `warmcheck run`: it drives a store with a workload's
// concurrent workers while a nemesis schedule fires, records every
// operation into the history, judges the history with the same checks as
// `warmcheck analyze`, and writes the run directory:
//
//	<out>/<workload>/<timestamp>/
//	    history.wch     the recorded history (history package format)
//	    results.json    the checker's report (checker.Results, one history;
//	                    schema: checker/results.schema.json)
//	    config.json     the resolved configuration (seed included)
//	    warmcheck.log   the run's log (hclog)
//	    report.html     verdict, per-check results, latency percentiles,
//	                    review targets against what was measured
//	    metrics.json    latency percentiles, targets, timings, problems
//	    latency.png     latency and throughput over time, faults shaded
//	    store/          the store's files
//	<out>/latest -> <workload>/<timestamp>
//
// It also holds the seeded-bug recipes: for each bug of the store's
// catalogue, the workload, faults, mode and size of run that expose it, and
// the checks expected to catch it.
//
// Determinism: the seed fixes every worker's operations and the fault
// schedule, not the goroutine interleaving; two runs with one seed issue the
// same operations but may observe different orders. A run goes on past its
// planned operations (drawing more from the same streams, for at most 10 s
// and at most as many operations again) until every requested fault has
// fired, so that no run is vacuous by bad luck.
//
// A run never hangs on a hung store: every operation has a deadline (it then
// ends info), the workers are stopped when one of them gets no ok for the
// recovery bound plus one operation timeout, or when the time budget runs
// out, and the history recorded so far is judged. A controlled run
// (--schedule pct|random, controlled.go) has no deadlines: a hung store is a
// deadlock, which its scheduler finds at once.
//
// Imports: workload, client, nemesis, checker, history, store, sched. Nothing
// imports runner except cmd/warmcheck (and bench, which may drive runs).
package runner
