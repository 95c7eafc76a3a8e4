package bench

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/store"
)

// Config configures one `warmcheck bench` invocation.
type Config struct {
	Profile string
	Runs    int     // 0: the profile's DefaultRuns
	Scale   float64 // multiplies every size; 0 means 1
	Full    bool    // cliff: add the 1M scale
	Seed    int64
	// WorkDir is where stores are created, one fresh directory per run,
	// removed afterwards; "" means os.TempDir().
	WorkDir string
	// OutDir receives bench.json, benchstat.txt, report.html and the plots; "" writes
	// nothing (tests).
	OutDir string
	Logger hclog.Logger
	// StoreOpened, when set, is given every real store the profile opens,
	// as soon as it is open (for `--metrics-addr`: the latest one is served).
	StoreOpened func(*store.Store)

	// openStore replaces the store under test; nil means the real store.
	// Tests of the harness itself drive the raw baseline through it.
	openStore opener
}

// env is what a profile run sees.
type env struct {
	cfg   Config
	res   *Result
	run   int
	dir   string // fresh per run
	log   hclog.Logger
	store opener
	raw   opener
	// last holds the latest run's raw series, for plots.
	last lastRun
}

// lastRun keeps the per-op series of the latest run, for plots only (they
// are too big for bench.json).
type lastRun struct {
	putStore, putRaw []timedLatency
	getStore, getRaw []float64
	// leak holds the store's RSS after every cycle of every run.
	leak []LeakSample
	// cliffScales are the cliff profile's sizes, in order.
	cliffScales []int
}

// timedLatency is one operation: when it started (ns since the first put)
// and how long it took (ns).
type timedLatency struct {
	Start, Nanos float64
}

// scaled returns base * scale, rounded, at least min.
func (e *env) scaled(base, min int) int {
	n := int(math.Round(float64(base) * e.cfg.Scale))
	if n < min {
		n = min
	}
	return n
}

// subjects returns the store and the raw baseline, in an order that
// alternates between runs so that neither always runs on a cold (or warm)
// machine.
func (e *env) subjects() []struct {
	name string
	open opener
} {
	s := []struct {
		name string
		open opener
	}{{"store", e.store}, {"raw", e.raw}}
	if e.run%2 == 1 {
		s[0], s[1] = s[1], s[0]
	}
	return s
}

// subdir makes a fresh directory for one subject of one run.
func (e *env) subdir(name string) (string, error) {
	d := filepath.Join(e.dir, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("bench: %w", err)
	}
	return d, nil
}

// metricName prefixes raw-baseline metrics with "raw.".
func metricName(subject, name string) string {
	if subject == "raw" {
		return "raw." + name
	}
	return name
}

// Run executes a profile cfg.Runs times and returns its result, with every
// metric summarized, targets judged, and (when OutDir is set) bench.json,
// report.html and the plots written.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	p, err := LookupProfile(cfg.Profile)
	if err != nil {
		return nil, err
	}
	if cfg.Runs == 0 {
		cfg.Runs = p.DefaultRuns
	}
	if cfg.Runs < 1 {
		return nil, fmt.Errorf("%w: --runs %d must be at least 1", ErrBadParameter, cfg.Runs)
	}
	if cfg.Scale == 0 {
		cfg.Scale = 1
	}
	if !(cfg.Scale > 0) || math.IsInf(cfg.Scale, 0) {
		return nil, fmt.Errorf("%w: --scale %v must be positive", ErrBadParameter, cfg.Scale)
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	e := &env{cfg: cfg, log: cfg.Logger.Named(p.Name), store: cfg.openStore, raw: openRaw}
	if e.store == nil {
		e.store = func(dir string) (subject, error) { return openStore(dir, cfg.StoreOpened) }
	}
	start := time.Now()
	e.res = &Result{Schema: ResultSchema, Profile: p.Name, Runs: cfg.Runs, Scale: cfg.Scale, Full: cfg.Full,
		Seed: cfg.Seed, Machine: DescribeMachine(), StartedUnixNanos: start.UnixNano()}
	for run := 0; run < cfg.Runs; run++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		dir, err := os.MkdirTemp(cfg.WorkDir, "warmcheck-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: work directory: %w", err)
		}
		e.run, e.dir = run, dir
		runStart := time.Now()
		err = p.run(ctx, e)
		os.RemoveAll(dir)
		if err != nil {
			return nil, fmt.Errorf("profile %s run %d: %w", p.Name, run, err)
		}
		e.log.Info("run done", "run", run+1, "of", cfg.Runs, "elapsed", time.Since(runStart).Round(time.Millisecond))
	}
	if err := e.res.summarize(); err != nil {
		return nil, err
	}
	if p.finish != nil {
		if err := p.finish(e); err != nil {
			return nil, fmt.Errorf("profile %s: %w", p.Name, err)
		}
	}
	e.res.Targets = append(judgeTargets(e.res), e.res.Targets...)
	e.res.ElapsedNanos = int64(time.Since(start))
	if cfg.OutDir != "" {
		if err := e.res.Save(filepath.Join(cfg.OutDir, "bench.json")); err != nil {
			return nil, err
		}
		if err := e.res.saveBenchstat(filepath.Join(cfg.OutDir, BenchstatFile)); err != nil {
			return nil, err
		}
		if err := writeReport(e.res, filepath.Join(cfg.OutDir, "report.html")); err != nil {
			return nil, err
		}
	}
	return e.res, nil
}

// plotPath returns where a plot goes and records it in the result, or ""
// when there is no output directory.
func (e *env) plotPath(name string) string {
	if e.cfg.OutDir == "" {
		return ""
	}
	e.res.Plots = append(e.res.Plots, name)
	return filepath.Join(e.cfg.OutDir, name)
}

// check records a correctness verdict of this run.
func (e *env) check(name string, err error) {
	c := CheckOutcome{Name: name, Run: e.run, Status: CheckPass, Detail: "ok"}
	if err != nil {
		c.Status, c.Detail = CheckFail, err.Error()
		e.log.Error("check failed", "check", name, "run", e.run, "error", err)
	}
	e.res.Checks = append(e.res.Checks, c)
}

// note adds a caveat once.
func (e *env) note(s string) {
	for _, n := range e.res.Notes {
		if n == s {
			return
		}
	}
	e.res.Notes = append(e.res.Notes, s)
}

// freshSubject is one subject opened on a fresh directory, with the RSS it
// started from.
type freshSubject struct {
	s      subject
	dir    string
	before RSS // settled RSS just before the open
}

// openFresh is the set-up every profile starts each subject with: stop if
// ctx is done, make the directory dirName, settle and read RSS, then open
// the subject there.
func (e *env) openFresh(ctx context.Context, dirName string, open opener) (freshSubject, error) {
	if err := ctx.Err(); err != nil {
		return freshSubject{}, err
	}
	dir, err := e.subdir(dirName)
	if err != nil {
		return freshSubject{}, err
	}
	before, err := settledRSS()
	if err != nil {
		return freshSubject{}, err
	}
	s, err := open(dir)
	if err != nil {
		return freshSubject{}, err
	}
	return freshSubject{s: s, dir: dir, before: before}, nil
}
