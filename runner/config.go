package runner

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/sched"
	"github.com/warmcheck/warmcheck/workload"
)

// Config is what the user asked for; zero fields mean "the default". It is
// turned into a Resolved configuration by Resolve before anything runs.
type Config struct {
	Workload string        // "": the bug recipe's, else workload.Default
	Seed     int64         // used when SeedSet
	SeedSet  bool          // false: a random seed is drawn (and printed and recorded)
	Ops      int           // 0: the workload's (or the recipe's)
	Duration time.Duration // > 0: workers run until it passes (exclusive with Ops)
	Workers  int           // 0: the workload's
	// Nemeses as named by the user: nil means not named (the workload's or
	// the recipe's defaults); an empty list or ["none"] means no fault.
	Nemeses []string
	Bug     string // a seeded bug of the store's catalogue, "" for none
	Mode    string // "": the recipe's or the workload's
	// Target is the store under test: "" or "builtin", or "exec:CMD ARGS"
	// for a store speaking PROTOCOL.md (target_exec.go).
	Target string
	// Schedule is how goroutines interleave: "os" (free), "pct" or
	// "random" (controlled, schedule.go); "": the recipe's, else "os".
	Schedule string
	// Schedules is how many controlled schedules to explore (0: 1),
	// starting at schedule ScheduleFrom; PCTDepth is PCT's bug depth
	// (0: sched.DefaultDepth).
	Schedules    int
	ScheduleFrom int
	PCTDepth     int
	Out          string // "": "runs"
	// OpTimeout bounds each operation; an operation that takes longer ends
	// info. 0: DefaultOpTimeout.
	OpTimeout time.Duration
	// Progress is where the progress bar or progress lines go (nil: none).
	Progress io.Writer
	// Terminal selects the progress bar over periodic log lines.
	Terminal bool
	// LogLevel is the level of the log lines copied to Progress (the log
	// file gets debug and up); hclog.NoLevel: info, or warn beside a
	// progress bar.
	LogLevel hclog.Level
	// Keep is how many run directories of the workload to keep, newest
	// first (0: DefaultKeep; negative: all); KeepStore keeps the store
	// files of a valid run (retention.go).
	Keep      int
	KeepStore bool
	// Version and Args are recorded in config.json and the history header.
	Version string
	Args    []string
	// StoreCommand and StoreEnv start the child store process in process
	// mode (nil: this executable's `serve-store`); tests re-execute their
	// own binary with them.
	StoreCommand []string
	StoreEnv     []string
	// MetricsAddr, when set (host:port), serves the store's metrics at
	// /metrics while the run lasts (free runs only; metricsaddr.go).
	MetricsAddr string
	// Plot, when set, draws latency and throughput over time from the
	// history into the given path (cmd/warmcheck passes bench.PlotLatency;
	// runner does not import bench, which may itself drive runs).
	Plot func(events []history.Event, path string) error
	// External, when set, is the store under test instead of the built-in
	// one (target_external.go).
	External *External
}

// Defaults of a run.
const (
	DefaultOut       = "runs"
	DefaultOpTimeout = 2 * time.Second
	// loadGrace is how long past the expected end the workers may run
	// before the run stops them (a hung store is then a finding of the
	// checks, not a hung warmcheck).
	loadGrace = 45 * time.Second
)

// Resolved is a configuration with every default filled in.
type Resolved struct {
	Config
	Workload workload.Workload
	Plan     *workload.Plan
	Faults   []string
	Mode     workload.Mode
	Recipe   *Recipe // set when Bug is
	// Exec is the command line of an exec target, "" for the built-in store.
	Exec string
	// Budget bounds the workers' phase: past it the run stops issuing
	// operations and judges what it recorded.
	Budget time.Duration

	// wrapClient, when set (tests only), wraps the store's client before the
	// recorder sees it: a test target that stalls or misbehaves.
	wrapClient func(client.Client) client.Client
	// Sched is the schedule mode; for a controlled one, Schedules are
	// explored from SchedFrom, SchedIndex is the one this run is, and Depth
	// is PCT's depth (schedule.go).
	Sched      sched.Mode
	Schedules  int
	SchedFrom  int
	SchedIndex int
	Depth      int
}

// Resolve fills in the defaults: the bug's recipe first, then the
// workload's. Every error wraps ErrConfig: it is the user's to fix.
func Resolve(c Config) (*Resolved, error) {
	r := &Resolved{Config: c}
	if c.Ops < 0 || c.Workers < 0 || c.Duration < 0 || c.OpTimeout < 0 {
		return nil, configErrorf("--ops, --workers, --duration and the timeout must not be negative")
	}
	if c.Ops > 0 && c.Duration > 0 {
		return nil, configErrorf("give --ops or --duration, not both")
	}
	if c.Bug != "" {
		rec, err := RecipeFor(c.Bug)
		if err != nil {
			return nil, configErrorf("--bug: %w", err)
		}
		r.Recipe = &rec
	}
	name := c.Workload
	if name == "" && r.Recipe != nil {
		name = r.Recipe.Workload
	}
	if name == "" {
		name = workload.Default
	}
	wl, err := workload.Lookup(name)
	if err != nil {
		return nil, configErrorf("--workload: %w", err)
	}
	r.Workload = wl
	r.Workload.Name = name
	if !r.SeedSet {
		r.Seed = randomSeed()
		r.SeedSet = true
	}
	mode := c.Mode
	if mode == "" && r.Recipe != nil {
		mode = r.Recipe.Mode
	}
	if mode == "" {
		mode = string(wl.Mode)
	}
	if mode, err = r.resolveTarget(c, mode); err != nil {
		return nil, err
	}
	if r.Mode, err = workload.ParseMode(mode); err != nil {
		return nil, configErrorf("--mode: %w", err)
	}
	// asked are the faults named by the user or the recipe; nil: the
	// workload's own.
	var asked []string
	switch {
	case c.Nemeses != nil:
		asked = normaliseFaults(c.Nemeses)
	case r.Recipe != nil:
		asked = append([]string{}, r.Recipe.Nemeses...)
	}
	if c.External != nil {
		if asked, err = resolveExternal(c, wl, asked); err != nil {
			return nil, err
		}
	}
	if err := checkFaults(asked, r.Mode); err != nil {
		return nil, configErrorf("--nemesis: %w", err)
	}
	o := workload.Overrides{Workers: c.Workers, Ops: c.Ops, Unbounded: c.Duration > 0, Faults: asked,
		CanFire: func(f string, p workload.Params) bool { return canFire(f, p, r.aim()) }}
	if r.Recipe != nil && c.Workload == "" {
		if o.Workers == 0 {
			o.Workers = r.Recipe.Workers
		}
		if o.Ops == 0 && !o.Unbounded {
			o.Ops = r.Recipe.Ops
			if r.Recipe.ScheduleOps > 0 && r.recipeSchedule(c) {
				o.Ops = r.Recipe.ScheduleOps
			}
		}
	}
	r.Plan, err = wl.Plan(r.Seed, o)
	if err != nil {
		return nil, configErrorf("%w", err)
	}
	r.Faults = asked
	if r.Faults == nil {
		r.Faults = append([]string{}, r.Plan.Faults...)
	}
	if err := checkFaults(r.Faults, r.Mode); err != nil {
		return nil, configErrorf("--nemesis: %w", err)
	}
	// Every fault must be able to fire under the load, before anything
	// runs: one that cannot would leave the run vacuous (unknown).
	if len(r.Faults) > 0 {
		if _, err := nemesis.NewScheduler(r.scheduleOptions()); err != nil {
			return nil, configErrorf("faults %s under workload %s: %w", strings.Join(r.Faults, ","), r.Workload.Name, err)
		}
	}
	if err := r.resolveSchedule(c); err != nil {
		return nil, err
	}
	if err := checkMetricsAddr(c.MetricsAddr); err != nil {
		return nil, err
	}
	if r.Sched.Controlled() && c.MetricsAddr != "" {
		return nil, fmt.Errorf("%w: --metrics-addr with --schedule %s: a scrape would call the store outside the schedule's tasks", ErrConfig, r.Sched)
	}
	if r.Sched.Controlled() && r.Plan.Params.AutoCompact.Enabled {
		return nil, fmt.Errorf("%w: --schedule %s: workload %s runs the store's auto-compaction, background work a controlled schedule cannot interleave", ErrConfig, r.Sched, r.Workload.Name)
	}
	if r.Out == "" {
		r.Out = DefaultOut
	}
	if r.OpTimeout == 0 {
		r.OpTimeout = DefaultOpTimeout
	}
	r.Budget = loadGrace
	if c.Duration > 0 {
		r.Budget = c.Duration + loadGrace
	}
	return r, nil
}

// normaliseFaults drops "none" and empty names and duplicates, keeping order.
func normaliseFaults(in []string) []string {
	out := []string{}
	for _, f := range in {
		if f == "" || f == "none" || slices.Contains(out, f) {
			continue
		}
		out = append(out, f)
	}
	return out
}

// randomSeed draws a seed from the OS; the seed is positive so that it
// reads the same in every tool that prints it.
func randomSeed() int64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return time.Now().UnixNano() & (1<<62 - 1)
	}
	return int64(binary.LittleEndian.Uint64(b[:]) & (1<<62 - 1))
}

// configJSON is config.json: the resolved configuration, enough to rerun.
type configJSON struct {
	Workload  string          `json:"workload"`
	Seed      int64           `json:"seed"`
	Ops       int             `json:"ops"`
	Duration  string          `json:"duration,omitempty"`
	Workers   int             `json:"workers"`
	Nemeses   []string        `json:"nemeses"`
	Bug       string          `json:"bug,omitempty"`
	Mode      string          `json:"mode"`
	OpTimeout string          `json:"op_timeout"`
	Params    workload.Params `json:"params"`
	Mix       string          `json:"mix"`
	Sizes     string          `json:"sizes"`
	Targets   []string        `json:"targets"`
	Rerun     string          `json:"rerun"`
	Args      []string        `json:"args,omitempty"`
	Version   string          `json:"warmcheck_version"`
	// Schedule is the interleaving: os (free) or a controlled one.
	Schedule   string            `json:"schedule"`
	Sched      *history.Schedule `json:"schedule_params,omitempty"`
	StartedUTC string            `json:"started_utc"`
	// Target is the store under test when it is not the built-in one in
	// process, as in the history header.
	Target *history.Target `json:"target,omitempty"`
	// AutoCompact is the store's background compaction, "off" or when it starts.
	AutoCompact string `json:"auto_compact"`
}

func (r *Resolved) configJSON(started time.Time, tgt *history.Target) configJSON {
	c := configJSON{Target: tgt,
		Workload: r.Workload.Name, Seed: r.Seed, Ops: r.Plan.Params.Ops, Workers: r.Plan.Params.Workers,
		Nemeses: r.Faults, Bug: r.Bug, Mode: string(r.Mode), OpTimeout: r.OpTimeout.String(),
		Params: r.Plan.Params, Mix: r.Plan.Params.Mix.String(), Sizes: r.Plan.Params.Sizes.String(),
		Rerun: r.RerunCommand(), Args: r.Args, Version: r.Version,
		StartedUTC: started.UTC().Format(time.RFC3339Nano),
		Schedule:   string(r.Sched), Sched: r.scheduleHeader(),
		AutoCompact: r.Plan.Params.AutoCompact.String(),
	}
	if r.Duration > 0 {
		c.Duration = r.Duration.String()
	}
	for _, t := range r.Workload.Targets {
		c.Targets = append(c.Targets, t.String())
	}
	return c
}

// RerunCommand is the command line that repeats this run's operations and
// fault schedule.
func (r *Resolved) RerunCommand() string {
	if r.External != nil {
		return r.externalRerun()
	}
	s := fmt.Sprintf("warmcheck run --workload %s --seed %d --mode %s --workers %d", r.Workload.Name, r.Seed, r.Mode, r.Plan.Params.Workers)
	if r.Duration > 0 {
		s += " --duration " + r.Duration.String()
	} else {
		s += fmt.Sprintf(" --ops %d", r.Plan.Params.Ops)
	}
	if len(r.Faults) == 0 {
		s += " --nemesis none"
	} else {
		s += " --nemesis " + strings.Join(r.Faults, ",")
	}
	if r.Bug != "" {
		s += " --bug " + r.Bug
	}
	s += r.targetFlag()
	if r.Sched.Controlled() {
		s += fmt.Sprintf(" --schedule %s --schedule-from %d", r.Sched, r.SchedIndex)
		if r.Sched == sched.ModePCT {
			s += fmt.Sprintf(" --pct-depth %d", r.Depth)
		}
	}
	return s
}
