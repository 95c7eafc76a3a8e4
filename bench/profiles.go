package bench

import (
	"context"
	"fmt"
	"strings"
)

// Profile is one scale scenario of `warmcheck bench`.
type Profile struct {
	Name        string
	Description string
	// DefaultRuns is the --runs default: 30 for the statistical profiles,
	// fewer for those whose single run is long.
	DefaultRuns int
	// run performs one run, recording one sample of each metric.
	run func(ctx context.Context, e *env) error
	// finish, if set, runs after every run has been summarized (cliff
	// detection, leak fit, plots).
	finish func(e *env) error
}

// profiles is the registry; `warmcheck list profiles` prints it. Adding a
// profile is one line here and one file.
var profiles = []Profile{
	{"baseline-10k", "10K memories, review size mix: put rate, get p99, RSS growth; ratios to the raw baseline", 30, runBaseline10k, finishThroughput},
	{"perf-100k", "100K memories: put latency p50..max, degradation (last tenth vs first tenth, time order), full iteration, get p99, RSS growth", 30, runPerf100k, finishThroughput},
	{"extreme-1m", "1M memories: cold iteration after reopen (time, rate, RSS), reopen time, compaction of 1M with 10% removed", 1, runExtreme1m, nil},
	{"fragmentation", "20K mixed sizes, remove a random half, 10K more, compact, verify every byte of every live memory", 30, runFragmentation, nil},
	{"leak", "10 cycles of put 10K / remove 10K, RSS after each; least-squares slope with its CI, fails above 1 MB/cycle", 30, runLeak, finishLeak},
	{"cliff", "fresh store at 1K, 10K, 50K, 100K, 200K (and 1M with --full): put rate, get p99, iteration time, RSS; names the scale that breaks the trend", 3, runCliff, finishCliff},
	{"concurrent-at-scale", "100K preloaded, then 10 writers and 10 readers, recorded and checked like `warmcheck run`", 1, runConcurrent, nil},
}

// Profiles returns the registry, in order.
func Profiles() []Profile { return append([]Profile(nil), profiles...) }

// LookupProfile finds a profile by name.
func LookupProfile(name string) (Profile, error) {
	for _, p := range profiles {
		if p.Name == name {
			return p, nil
		}
	}
	names := make([]string, len(profiles))
	for i, p := range profiles {
		names[i] = p.Name
	}
	return Profile{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownProfile, name, strings.Join(names, ", "))
}
