package runner

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/workload"
)

//go:embed report.html.tmpl
var reportTemplate string

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"dur": fmtDur,
	"ms":  func(ns int64) string { return fmtDur(time.Duration(ns)) },
}).Parse(reportTemplate))

// faultRow is one nemesis event of the report's fault timeline.
type faultRow struct {
	Time   time.Duration
	Fault  string
	Phase  string
	Target string
	Detail string
}

// savedConfig is the part of config.json that report.html shows.
type savedConfig struct {
	Ops      int    `json:"ops"`
	Duration string `json:"duration"`
	Workers  int    `json:"workers"`
	Mix      string `json:"mix"`
	Sizes    string `json:"sizes"`
	Rerun    string `json:"rerun"`
	Params   struct {
		Preload  int
		ReadBack bool
		Barrier  bool
	} `json:"params"`
}

// reportData is everything report.html shows, read from the run directory
// (config.json, metrics.json) and the report: a run and `analyze --write`
// render it alike. Cfg and O are nil when their file is absent (a
// directory holding only a history).
type reportData struct {
	Rep         *checker.Report
	Warning     string
	Description string // the workload's, "" when not in the registry
	BugWhy      string // the bug recipe's reason, "" when none
	Cfg         *savedConfig
	O           *Outcome
	Faults      []faultRow
	Final       *history.Stats
	Files       []string // the record's files present in the directory
	Generated   string
}

// maxFaultRows bounds the fault timeline in the report.
const maxFaultRows = 200

// WriteRecord writes the judgement of the run directory dir: results.json
// (the checker.Results shape, one history, paths relative to dir),
// report.html, timeline.html (the history's operations per worker), and the verdict in metrics.json when there is one. All three
// come from rep, so that they always agree; `warmcheck run` and `warmcheck
// analyze --write` both record through it. historyFile is the judged
// history's name in dir (HistoryFile, or a *.jsonl), warning its warning
// ("" for none), events the judged events.
func WriteRecord(dir, historyFile string, rep *checker.Report, warning string, events []history.Event) error {
	res := checker.NewResults(checker.HistoryResult{Path: ".", History: historyFile, Warning: warning, Report: rep})
	var o *Outcome
	if b, err := os.ReadFile(filepath.Join(dir, MetricsFile)); err == nil {
		o = &Outcome{}
		if err := json.Unmarshal(b, o); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRunDir, MetricsFile, err)
		}
		if o.Verdict != rep.Verdict {
			o.Verdict = rep.Verdict
			if err := writeJSON(filepath.Join(dir, MetricsFile), o); err != nil {
				return err
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	var cfg *savedConfig
	if b, err := os.ReadFile(filepath.Join(dir, ConfigFile)); err == nil {
		cfg = &savedConfig{}
		if err := json.Unmarshal(b, cfg); err != nil {
			return fmt.Errorf("%w: %s: %v", ErrRunDir, ConfigFile, err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	if err := writeJSON(filepath.Join(dir, ResultsFile), res); err != nil {
		return err
	}
	var witnesses []checkWitness
	for _, c := range rep.Checks {
		if c.Verdict == checker.Invalid && len(c.Witness) > 0 {
			witnesses = append(witnesses, checkWitness{c.Name, c.Witness})
		}
	}
	if err := writeTimeline(dir, fmt.Sprintf("%s seed %d: %s", rep.Workload, rep.Seed, rep.Verdict), events, witnesses); err != nil {
		return err
	}
	d := newReportData(rep, warning, cfg, o, events)
	for _, f := range []string{historyFile, ResultsFile, ConfigFile, MetricsFile, ScheduleFile, LogFile, TimelineFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			d.Files = append(d.Files, f)
		}
	}
	return writeReport(filepath.Join(dir, ReportFile), d)
}

// readRunReport is the report of the one history a run directory's
// results.json judged (WriteRecord's shape), or nil when it is absent or
// unreadable.
func readRunReport(dir string) *checker.Report {
	b, err := os.ReadFile(filepath.Join(dir, ResultsFile))
	if err != nil {
		return nil
	}
	var res checker.Results
	if json.Unmarshal(b, &res) != nil || len(res.Histories) != 1 {
		return nil
	}
	return res.Histories[0].Report
}

func newReportData(rep *checker.Report, warning string, cfg *savedConfig, o *Outcome, events []history.Event) reportData {
	d := reportData{Rep: rep, Warning: warning, Cfg: cfg, O: o, Generated: time.Now().UTC().Format(time.RFC3339)}
	if wl, err := workload.Lookup(rep.Workload); err == nil {
		d.Description = wl.Description
	}
	if rep.Bug != "" {
		if rec, err := RecipeFor(rep.Bug); err == nil {
			d.BugWhy = rec.Why
		}
	}
	for i := range events {
		e := &events[i]
		switch {
		case e.Kind == history.KindNemesis && e.Nemesis != nil && len(d.Faults) < maxFaultRows:
			phase := "start"
			if e.Nemesis.Phase == history.NemesisEnd {
				phase = "end"
				if e.Nemesis.Restart {
					phase = "end (restarted)"
				}
			}
			d.Faults = append(d.Faults, faultRow{time.Duration(e.Time), e.Nemesis.Fault, phase, e.Nemesis.Target, e.Nemesis.Detail})
		case e.Kind == history.KindSnapshot && e.Snapshot != nil && e.Snapshot.Reason == "final":
			d.Final = e.Snapshot.Stats
		}
	}
	return d
}

func writeReport(path string, d reportData) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	if err := reportTmpl.Execute(f, d); err != nil {
		f.Close()
		return fmt.Errorf("%w: report: %v", ErrRunDir, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	return nil
}

// fmtDur prints a latency with three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "-"
	case d < time.Microsecond:
		return fmt.Sprintf("%dns", d.Nanoseconds())
	case d < time.Millisecond:
		return fmt.Sprintf("%.3gµs", float64(d)/float64(time.Microsecond))
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
