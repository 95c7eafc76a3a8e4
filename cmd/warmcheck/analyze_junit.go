package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strings"

	"github.com/warmcheck/warmcheck/checker"
)

// JUnit XML, the dialect CI dashboards read (Jenkins, GitLab, GitHub
// actions that publish test reports): one testsuite per analyzed history.
// Its first testcase, "verdict", carries the history's verdict: it passes
// only when the history is valid, so that a suite whose checks are all
// skipped still fails the build when the run is unknown (<error>) or
// invalid (<failure>). Then one testcase per check: invalid -> <failure>,
// unknown -> <error>, not-evaluated -> <skipped message=reason>. An
// unreadable history is one testcase "read-history" with an <error>.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string    `xml:"name,attr"`
	Classname string    `xml:"classname,attr"`
	Time      string    `xml:"time,attr"`
	Failure   *junitMsg `xml:"failure,omitempty"`
	Error     *junitMsg `xml:"error,omitempty"`
	Skipped   *junitMsg `xml:"skipped,omitempty"`
	SystemOut string    `xml:"system-out,omitempty"`
}

type junitMsg struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

func seconds(ns int64) string { return fmt.Sprintf("%.3f", float64(ns)/1e9) }

func junitReport(results []analyzed) junitSuites {
	out := junitSuites{Name: "warmcheck analyze"}
	var total int64
	for _, a := range results {
		s := junitSuite{Name: a.Path}
		class := "warmcheck." + strings.NewReplacer("/", ".", "\\", ".").Replace(strings.Trim(a.Path, "./"))
		if a.Err != nil {
			s.Cases = append(s.Cases, junitCase{Name: "read-history", Classname: class, Time: "0.000",
				Error: &junitMsg{Message: a.Err.Error(), Type: "input-error"}})
			s.Tests, s.Errors, s.Time = 1, 1, "0.000"
		} else {
			r := a.Report
			total += r.ElapsedNanos
			s.Time = seconds(r.ElapsedNanos)
			s.Properties = []junitProperty{
				{"verdict", string(r.Verdict)}, {"seed", fmt.Sprint(r.Seed)}, {"workload", r.Workload},
				{"bug", r.Bug}, {"events", fmt.Sprint(r.Events)},
			}
			if a.Warning != "" {
				s.Properties = append(s.Properties, junitProperty{"warning", a.Warning})
			}
			s.Cases = append(s.Cases, verdictCase(r, class))
			switch r.Verdict {
			case checker.Invalid:
				s.Failures++
			case checker.Valid:
			default:
				s.Errors++
			}
			for _, ch := range r.Checks {
				tc := junitCase{Name: ch.Name, Classname: class, Time: seconds(ch.ElapsedNanos), SystemOut: ch.Summary}
				msg := &junitMsg{Message: ch.Summary, Type: string(ch.Verdict), Body: ch.Explanation}
				switch ch.Verdict {
				case checker.Invalid:
					tc.Failure = msg
					s.Failures++
				case checker.Unknown:
					tc.Error = msg
					s.Errors++
				case checker.NotEvaluated:
					tc.Skipped = msg
					s.Skipped++
				}
				s.Cases = append(s.Cases, tc)
			}
			s.Tests = len(s.Cases)
		}
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	out.Time = seconds(total)
	return out
}

// verdictCase is the history's verdict as a testcase: a pass only when the
// history is valid; a run verdict is never not-evaluated, and anything but
// valid or invalid is an error.
func verdictCase(r *checker.Report, class string) junitCase {
	tc := junitCase{Name: "verdict", Classname: class, Time: seconds(r.ElapsedNanos), SystemOut: r.Reason}
	msg := &junitMsg{Message: r.Reason, Type: string(r.Verdict)}
	switch r.Verdict {
	case checker.Valid:
	case checker.Invalid:
		tc.Failure = msg
	default:
		tc.Error = msg
	}
	return tc
}

func writeJUnitFile(path string, results []analyzed) error {
	b, err := xml.MarshalIndent(junitReport(results), "", "  ")
	if err != nil {
		return err
	}
	b = append([]byte(xml.Header), append(b, '\n')...)
	return os.WriteFile(path, b, 0o644)
}
