package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
)

// ReplayResult compares a controlled run with its replay.
type ReplayResult struct {
	Original, Replay string // run directories
	// Same: the same events (times and wall-clock durations in fault
	// details aside) and the same verdict.
	Same bool
	// FirstDiff is the index of the first event that differs, -1 if none;
	// Want and Got describe it in the original and in the replay ("" past
	// the end of a history).
	FirstDiff int
	Want, Got string
	// Events are the counts in the original and the replay.
	Events, ReplayEvents   int
	Verdict, ReplayVerdict checker.Verdict
	Outcome                *Outcome
}

// Replay reruns the controlled run in runDir (its config.json and its
// history header: workload, seed, operations, faults, bug, schedule) into a
// new run directory under out, and compares the two histories event by
// event.
func Replay(ctx context.Context, runDir, out string) (*ReplayResult, error) {
	c, err := replayConfig(runDir)
	if err != nil {
		return nil, err
	}
	c.Out = out
	r, err := Resolve(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(runDir, ConfigFile), err)
	}
	hdr, want, err := history.ReadFile(filepath.Join(runDir, HistoryFile))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrRunInput, err)
	}
	if hdr.Schedule == nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrRunInput, runDir, ErrNotReplayable)
	}
	o, err := Run(ctx, r)
	if err != nil {
		return nil, err
	}
	gotHdr, got, err := history.ReadFile(filepath.Join(o.Dir, HistoryFile))
	if err != nil {
		return nil, fmt.Errorf("%w: replay: %w", ErrHistory, err)
	}
	res := &ReplayResult{Original: runDir, Replay: o.Dir, FirstDiff: -1, Events: len(want), ReplayEvents: len(got),
		Verdict: originalVerdict(runDir), ReplayVerdict: o.Verdict, Outcome: o}
	res.FirstDiff, res.Want, res.Got = firstDiff(hdr, gotHdr, want, got)
	res.Same = res.FirstDiff < 0 && res.Verdict == res.ReplayVerdict
	return res, nil
}

// replayConfig is the Config that reproduces the run in runDir: every
// choice explicit, so no default or recipe can differ.
func replayConfig(runDir string) (Config, error) {
	path := filepath.Join(runDir, ConfigFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("%w: %v", ErrRunInput, err)
	}
	var cj configJSON
	if err := json.Unmarshal(b, &cj); err != nil {
		return Config{}, fmt.Errorf("%w: %s: %v", ErrRunInput, path, err)
	}
	if cj.Sched == nil {
		return Config{}, fmt.Errorf("%w: %s: schedule %q: %w", ErrRunInput, path, cj.Schedule, ErrNotReplayable)
	}
	c := Config{Workload: cj.Workload, Seed: cj.Seed, SeedSet: true, Ops: cj.Ops, Workers: cj.Workers,
		Nemeses: append([]string{}, cj.Nemeses...), Bug: cj.Bug, Mode: cj.Mode,
		Schedule: cj.Sched.Mode, ScheduleFrom: cj.Sched.Index, PCTDepth: cj.Sched.Depth}
	if len(c.Nemeses) == 0 {
		c.Nemeses = []string{"none"}
	}
	return c, nil
}

// originalVerdict is the verdict in runDir's results.json ("" if absent).
func originalVerdict(runDir string) checker.Verdict {
	if rep := readRunReport(runDir); rep != nil {
		return rep.Verdict
	}
	return ""
}

// wallDuration matches the wall-clock durations fault details carry ("in
// 1.2ms"): they differ between a run and its replay.
var wallDuration = regexp.MustCompile(` in [0-9.]+(ns|µs|us|ms|s|m[0-9.]+s|h[0-9.ms]+)`)

// Comparable strips from events what differs between two runs of one
// schedule: event times, wall-clock durations inside fault details, and the
// times the store's own clock set (created_at, last_access of a put that
// left them 0, last_access of an update-activation): those read the wall
// clock, so they are timestamps too. A store-set time is one no earlier than
// the run's start (the header's started_unix_nanos) less a minute, the
// slack of FORMAT.md section 3; the workload's explicit times lie years
// before any run and are compared.
func Comparable(h history.Header, events []history.Event) []history.Event {
	wallFrom := h.StartedUnixNanos - int64(time.Minute)
	out := make([]history.Event, len(events))
	for i, e := range events {
		e.Time = 0
		if e.Nemesis != nil {
			n := *e.Nemesis
			n.Detail = wallDuration.ReplaceAllString(n.Detail, " in (time)")
			e.Nemesis = &n
		}
		if h.StartedUnixNanos > 0 {
			stripStoreTimes(&e, wallFrom)
		}
		out[i] = e
	}
	return out
}

// stripStoreTimes zeroes, in copies of e's values, the times at or after
// wallFrom.
func stripStoreTimes(e *history.Event, wallFrom int64) {
	strip := func(v *history.Value) {
		if v.CreatedAt >= wallFrom {
			v.CreatedAt = 0
		}
		if v.LastAccess >= wallFrom {
			v.LastAccess = 0
		}
	}
	entries := func(es []history.Entry) []history.Entry {
		out := append([]history.Entry(nil), es...)
		for k := range out {
			strip(&out[k].Value)
		}
		return out
	}
	if e.Input != nil {
		in := *e.Input
		strip(&in.Value)
		e.Input = &in
	}
	if e.Output != nil {
		o := *e.Output
		strip(&o.Value)
		o.Entries = entries(o.Entries)
		e.Output = &o
	}
	if e.Snapshot != nil {
		sn := *e.Snapshot
		sn.Layout = entries(sn.Layout)
		e.Snapshot = &sn
	}
}

// firstDiff is the first index at which the histories differ (-1 if they
// do not) and the event there in each.
func firstDiff(hWant, hGot history.Header, want, got []history.Event) (int, string, string) {
	a, b := Comparable(hWant, want), Comparable(hGot, got)
	for i := range max(len(a), len(b)) {
		switch {
		case i >= len(a):
			return i, "", describeEvent(b[i])
		case i >= len(b):
			return i, describeEvent(a[i]), ""
		case !reflect.DeepEqual(a[i], b[i]):
			return i, describeEvent(a[i]), describeEvent(b[i])
		}
	}
	return -1, "", ""
}

func describeEvent(e history.Event) string {
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Sprintf("%+v", e)
	}
	return string(b)
}
