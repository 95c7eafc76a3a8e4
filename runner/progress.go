package runner

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/schollz/progressbar/v3"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

// countingSink passes events to the history writer and counts what the
// progress display shows. The recorder calls it under its own lock; the
// counters are atomics because the display reads them from elsewhere.
type countingSink struct {
	inner interface {
		Append(history.Event) error
		Flush() error
	}
	completions atomic.Int64 // operation completions (ok, fail, info)
	ok          atomic.Int64 // ok completions
	faults      atomic.Int64 // nemesis start events
	cover       *coverage
	clock       *faultClock // nil: not followed
}

func (s *countingSink) Append(e history.Event) error {
	switch {
	case e.Kind == history.KindOp && e.Type != history.Invoke:
		s.completions.Add(1)
		if e.Type == history.OK {
			s.ok.Add(1)
		}
	case e.Kind == history.KindNemesis && e.Nemesis != nil:
		if e.Nemesis.Phase == history.NemesisStart {
			s.faults.Add(1)
		}
		if s.cover != nil {
			s.cover.observe(e.Nemesis)
		}
		if s.clock != nil {
			s.clock.observe(e.Nemesis, time.Now())
		}
	}
	return s.inner.Append(e)
}

func (s *countingSink) Flush() error { return s.inner.Flush() }

// expectedOps is how many operations the workers will complete in all
// (preload and read-back included); 0 when the run is bounded by time.
func expectedOps(p workload.Params) int64 {
	if p.Ops == 0 {
		return 0
	}
	n := int64(p.Ops + p.Preload)
	if p.ReadBack && p.Mix.Put > 0 {
		n += int64(p.Ops) * int64(p.Mix.Put) / int64(max(1, mixTotal(p.Mix)))
	}
	return n
}

func mixTotal(m workload.Mix) int {
	return m.Put + m.Get + m.Remove + m.UpdateActivation + m.Iterate + m.Recall + m.Compact + m.Sync
}

// progress shows how far the run is: a bar on a terminal, a log line every
// few seconds otherwise (CI). Stop is idempotent.
type progress struct {
	sink     *countingSink
	total    int64         // operations expected, 0 when bounded by time
	duration time.Duration // the time bound, 0 when bounded by operations
	start    time.Time
	log      hclog.Logger
	bar      *progressbar.ProgressBar
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

const (
	barRefresh  = 200 * time.Millisecond
	lineRefresh = 2 * time.Second
)

func startProgress(w io.Writer, terminal bool, sink *countingSink, total int64, duration time.Duration, log hclog.Logger) *progress {
	p := &progress{sink: sink, total: total, duration: duration, start: time.Now(), log: log,
		stop: make(chan struct{}), done: make(chan struct{})}
	every := lineRefresh
	if w != nil && terminal {
		every = barRefresh
		p.bar = newProgressBar(w, total, duration)
	}
	go p.loop(every)
	return p
}

// newProgressBar counts operations against total, or, for a run bounded by
// time, milliseconds against the duration (then the bar says "time" and the
// operations are in its description, never as the bar's count).
func newProgressBar(w io.Writer, total int64, duration time.Duration) *progressbar.ProgressBar {
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(barRefresh),
		progressbar.OptionClearOnFinish(),
	}
	if total > 0 {
		opts = append(opts, progressbar.OptionSetDescription("ops"), progressbar.OptionShowCount())
		return progressbar.NewOptions64(total, opts...)
	}
	opts = append(opts, progressbar.OptionSetDescription("time"))
	return progressbar.NewOptions64(duration.Milliseconds(), opts...)
}

func (p *progress) loop(every time.Duration) {
	defer close(p.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.show()
		}
	}
}

func (p *progress) show() {
	ops, faults := p.sink.completions.Load(), p.sink.faults.Load()
	elapsed := time.Since(p.start)
	left := p.timeLeft(ops, elapsed)
	if p.bar != nil {
		if p.total > 0 {
			p.bar.Describe(fmt.Sprintf("ops (faults fired %d)", faults))
			_ = p.bar.Set64(min(ops, p.total))
		} else {
			p.bar.Describe(fmt.Sprintf("time of %v (%d ops, faults fired %d)", p.duration, ops, faults))
			_ = p.bar.Set64(min(elapsed.Milliseconds(), p.duration.Milliseconds()))
		}
		return
	}
	if p.log != nil {
		p.log.Info("progress", "ops_done", ops, "ops_expected", p.total, "faults_fired", faults,
			"elapsed", elapsed.Round(time.Millisecond), "time_left", left)
	}
}

// timeLeft estimates the rest of the run from the rate so far; "?" until
// there is a rate.
func (p *progress) timeLeft(ops int64, elapsed time.Duration) string {
	switch {
	case p.duration > 0:
		return max(0, p.duration-elapsed).Round(time.Second).String()
	case ops > 0 && p.total > 0:
		rest := time.Duration(float64(elapsed) * float64(p.total-min(ops, p.total)) / float64(ops))
		return rest.Round(100 * time.Millisecond).String()
	}
	return "?"
}

func (p *progress) Stop() {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		if p.bar != nil {
			_ = p.bar.Finish()
		}
	})
}

// scheduleProgress counts the schedules of RunSchedules: a bar over the
// schedules on a terminal (a controlled run has no bar of its own: its
// operations take a fraction of a second), a line per schedule otherwise.
type scheduleProgress struct {
	w     io.Writer
	total int
	bar   *progressbar.ProgressBar
	valid int // schedules judged valid so far, shown beside the count
}

func newScheduleProgress(w io.Writer, terminal bool, total int) *scheduleProgress {
	p := &scheduleProgress{w: w, total: total}
	if w != nil && terminal {
		p.bar = progressbar.NewOptions(total,
			progressbar.OptionSetWriter(w),
			progressbar.OptionSetDescription("schedules"),
			progressbar.OptionShowCount(),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionSetWidth(30),
			progressbar.OptionClearOnFinish(),
		)
	}
	return p
}

// done counts schedule n (1-based, in explored order) and its outcome.
func (p *scheduleProgress) done(n int, out *Outcome) {
	if out.Verdict == checker.Valid {
		p.valid++
	}
	switch {
	case p.bar != nil:
		p.bar.Describe(fmt.Sprintf("schedules (%d valid, last %s)", p.valid, out.Verdict))
		_ = p.bar.Set(n)
	case p.w != nil:
		fmt.Fprintf(p.w, "schedule %d/%d (%s seed %d): %s in %v\n", n, p.total, out.Schedule.Mode,
			out.Schedule.Seed, out.Verdict, out.Elapsed.Round(time.Millisecond))
	}
}

// finish clears the bar; the verdict follows on the same terminal.
func (p *scheduleProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
	}
}
