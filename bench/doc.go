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
// Files: stats.go (summaries, least-squares slope, Mann-Whitney U),
// cliff.go (trend breaks over scales), result.go (bench.json), targets.go
// (the review's and our targets), compare.go (base vs new), profiles.go (the
// registry) and one file per profile, baseline.go (the raw baseline),
// rss.go and machine.go (what the machine says), plot.go and report.go (PNG
// plots and report.html).
//
// Imports: store (the system under test), history (PlotLatency takes history
// events), client and checker (concurrent-at-scale records and judges a
// history like `warmcheck run`); gonum, gonum/plot and go-moremath for the
// statistics and plots. It never imports cmd/warmcheck.
package bench
