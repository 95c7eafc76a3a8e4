package runner

import (
	_ "embed"
	"fmt"
	"html/template"
	"os"
	"time"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
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

type reportData struct {
	R         *Resolved
	O         *Outcome
	Checks    []checker.Result
	Faults    []faultRow
	Final     *history.Stats
	Files     []string
	Generated string
}

// maxFaultRows bounds the fault timeline in the report.
const maxFaultRows = 200

func writeReport(path string, r *Resolved, o *Outcome, events []history.Event) error {
	d := reportData{R: r, O: o, Checks: o.Report.Checks, Generated: time.Now().UTC().Format(time.RFC3339),
		Files: []string{HistoryFile, ResultsFile, ConfigFile, MetricsFile, LogFile}}
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
