// Package bench runs the scale profiles of `warmcheck bench` and compares
// their saved results for `warmcheck compare`.
//
// It is for numbers a storage engineer can put in a nightly job: every
// metric is a sample of per-run values with a confidence interval, every
// target is asserted (pass, fail or not evaluated, never just printed), and
// every profile runs the raw baseline (an mmap region and a Go map, no locks,
// no checksums) in the same process so that the store is also reported as a
// ratio to it.
//
// Files: stats.go (summaries, least-squares slope),
// cliff.go (trend breaks over scales), result.go (bench.json), targets.go
// (the review's and our targets), compare.go (base vs new as benchstat
// does, with golang.org/x/perf/benchmath; Holm-Bonferroni for the gate),
// geomean.go (benchstat's geomean row), compare_text.go (its table),
// profiles.go (the registry), run.go (Run: repeat a profile, summarize,
// judge, write), profile_*.go (one file per profile), subject.go (what a
// profile drives: the store or the raw baseline), baseline.go (the raw
// baseline), content.go (the memories and their byte-for-byte check),
// measure.go (timed calls, RSS settling, page-cache eviction), rss.go and
// machine.go (what the machine says), plot.go, report.go and format.go
// (PNG plots, report.html, text).
//
// Imports: store (the system under test), history (PlotLatency takes history
// events), client and checker (concurrent-at-scale records and judges a
// history like `warmcheck run`); gonum, gonum/plot and go-moremath for the
// statistics and plots; golang.org/x/sys/unix for the raw baseline's mmap
// and for evicting its own files from the page cache. It never imports
// cmd/warmcheck or runner (runner takes PlotLatency as a function value).
package bench
