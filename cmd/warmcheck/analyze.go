package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/internal/humanfmt"
	"github.com/warmcheck/warmcheck/runner"
)

// analyzeCommand re-judges saved histories with the same checks a run uses.
func analyzeCommand() *cli.Command {
	return &cli.Command{
		Name:      "analyze",
		Usage:     "re-check saved histories (run directories or history files)",
		ArgsUsage: "PATH...",
		Description: "PATH is a run directory (holding " + runner.HistoryFile + ", or one *.jsonl history) or a history file,\n" +
			"msgpack or JSON Lines. analyze prints; it changes a run directory's record only with --write.\n" +
			"--json and --json-out write the one shape of results.json (checker/results.schema.json):\n" +
			"{\"verdict\", \"histories\": [...]}, for one PATH or many.\n" +
			"A torn history (cut off by a crash) is judged up to where it is intact, with a warning naming the byte offset;\n" +
			"a corrupt one (damage followed by more data, or nothing readable) is an input error unless --salvage.\n" +
			"Flags may come before or after the paths.\n" +
			"Exit code: 1 if any history is invalid, else 3 if any could not be read, else 2 if any is unknown, else 0.",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the results as JSON on stdout (the human summary goes to stderr)"},
			&cli.StringFlag{Name: "json-out", Usage: "write the results as JSON to `FILE`"},
			&cli.BoolFlag{Name: "write", Usage: "rewrite each run directory's " + runner.ResultsFile + " and " + runner.ReportFile + " (and the verdict in " + runner.MetricsFile + ") with this verdict"},
			&cli.StringFlag{Name: "junit", Usage: "write the checks as a JUnit XML report to `FILE`"},
			&cli.DurationFlag{Name: "timeout", Value: defaultAnalyzeTimeout, Usage: "give up (unknown) after this long per history"},
			&cli.StringSliceFlag{Name: "check", Usage: "run only these checks (anti-vacuity always runs)"},
			&cli.Float64Flag{Name: "min-ok-fraction", Value: checker.DefaultMinOKFraction, Usage: "fewer ok operations than this fraction of those invoked is vacuous (unknown)"},
			&cli.DurationFlag{Name: "recovery-bound", Value: checker.DefaultRecoveryBound, Usage: "how soon after a panic every continuing worker must get an ok"},
			&cli.BoolFlag{Name: "salvage", Usage: "judge the intact part of a corrupt history instead of refusing it (exit 3); its verdict is never valid"},
		},
		Action: analyzeAction,
	}
}

// defaultAnalyzeTimeout bounds the checks of one history; past it the
// checks not finished are unknown.
const defaultAnalyzeTimeout = 10 * time.Minute

// analyzed is the outcome for one PATH.
type analyzed struct {
	Path    string // as given
	History string // the history file read
	RunDir  string // the run directory, when PATH is one
	Report  *checker.Report
	Err     error // input error: unreadable, not a history
	Warning string
	events  []history.Event
}

func analyzeAction(c *cli.Context) error {
	c, err := interspersedFlags(c)
	if err != nil {
		return usageError{fmt.Errorf("analyze: %w", err)}
	}
	if c.NArg() == 0 {
		return usageError{errors.New("analyze: give at least one PATH (a run directory or a history file)")}
	}
	if f := c.Float64("min-ok-fraction"); f < 0 || f > 1 {
		return usageError{fmt.Errorf("analyze: --min-ok-fraction %g is not between 0 and 1", f)}
	}
	for _, name := range c.StringSlice("check") {
		if !knownCheck(name) {
			return usageError{fmt.Errorf("analyze: unknown check %q (warmcheck list checks)", name)}
		}
	}
	opts := checker.Options{
		MinOKFraction: c.Float64("min-ok-fraction"),
		RecoveryBound: c.Duration("recovery-bound"),
		Only:          c.StringSlice("check"),
	}
	human := c.App.Writer
	if c.Bool("json") {
		human = c.App.ErrWriter
	}
	var results []analyzed
	for _, p := range c.Args().Slice() {
		a := analyzeOne(c.Context, p, opts, c.Duration("timeout"), c.Bool("salvage"))
		if c.Bool("write") {
			a.writeRecord()
		}
		a.events = nil
		printAnalyzed(human, c.App.ErrWriter, a, quiet(c))
		results = append(results, a)
	}
	if c.Bool("json") {
		if err := printJSON(c.App.Writer, results); err != nil {
			return cli.Exit(fmt.Sprintf("analyze: %v", err), exitUsage)
		}
	}
	if f := c.String("json-out"); f != "" {
		if err := writeJSONFile(f, results); err != nil {
			return cli.Exit(fmt.Sprintf("analyze: --json-out: %v", err), exitUsage)
		}
	}
	if f := c.String("junit"); f != "" {
		if err := writeJUnitFile(f, results); err != nil {
			return cli.Exit(fmt.Sprintf("analyze: --junit: %v", err), exitUsage)
		}
	}
	return cli.Exit("", analyzeExitCode(results))
}

// interspersedFlags re-parses the command line when flags follow a PATH
// (urfave/cli stops at the first argument; "analyze DIR --junit out.xml" is
// the natural form in CI scripts): flags are moved before the paths and
// parsed into a fresh context with the command's own flag definitions.
func interspersedFlags(c *cli.Context) (*cli.Context, error) {
	args := c.Args().Slice()
	late := false
	for _, a := range args {
		if a == "--" {
			break
		}
		if strings.HasPrefix(a, "-") && a != "-" {
			late = true
		}
	}
	if !late {
		return c, nil
	}
	set := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range c.Command.Flags {
		if err := f.Apply(set); err != nil {
			return nil, err
		}
	}
	var flags, paths []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			paths = append(paths, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			paths = append(paths, a)
			continue
		}
		flags = append(flags, a)
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		fl := set.Lookup(name)
		if fl == nil {
			return nil, fmt.Errorf("unknown flag %s", a)
		}
		if bf, ok := fl.Value.(interface{ IsBoolFlag() bool }); (!ok || !bf.IsBoolFlag()) && !hasValue {
			if i+1 >= len(args) {
				return nil, fmt.Errorf("flag %s needs a value", a)
			}
			i++
			flags = append(flags, args[i])
		}
	}
	// Flags given before PATH keep their values unless repeated after it.
	for _, name := range c.FlagNames() {
		if c.IsSet(name) && set.Lookup(name) != nil {
			for _, v := range flagValues(c, name) {
				flags = append([]string{"--" + name + "=" + v}, flags...)
			}
		}
	}
	if err := set.Parse(append(append(flags, "--"), paths...)); err != nil {
		return nil, err
	}
	nc := cli.NewContext(c.App, set, c)
	nc.Command = c.Command
	return nc, nil
}

func flagValues(c *cli.Context, name string) []string {
	if vs := c.StringSlice(name); len(vs) > 0 {
		return vs
	}
	return []string{fmt.Sprint(c.Value(name))}
}

func knownCheck(name string) bool {
	for _, ch := range checker.Checks() {
		if ch.Name() == name {
			return true
		}
	}
	return false
}

// analyzeExitCode: invalid beats an input error (a bug found must not hide
// behind an unreadable neighbour), which beats unknown.
func analyzeExitCode(results []analyzed) int {
	var verdicts []checker.Verdict
	inputErr := false
	for _, a := range results {
		if a.Err != nil {
			inputErr = true
			continue
		}
		verdicts = append(verdicts, a.Report.Verdict)
	}
	switch w := checker.Worst(verdicts...); {
	case w == checker.Invalid:
		return exitInvalid
	case inputErr:
		return exitUsage
	case w == checker.Unknown:
		return exitUnknown
	}
	return exitValid
}

// analyzeOne reads and judges one PATH; it writes nothing. salvage: judge
// the intact prefix of a corrupt history instead of refusing it.
func analyzeOne(ctx context.Context, path string, opts checker.Options, timeout time.Duration, salvage bool) analyzed {
	a := analyzed{Path: path}
	file, runDir, err := locateHistory(path)
	if err != nil {
		a.Err = err
		return a
	}
	a.History, a.RunDir = file, runDir
	in, warning, err := readAnalyzeInput(file, runDir, salvage)
	if err != nil {
		a.Err = err
		return a
	}
	a.Warning = warning
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	rep := checker.Run(ctx, in, opts)
	a.Report, a.events = &rep, in.Events
	return a
}

// writeRecord is --write: the run directory's results.json and report.html
// (runner.WriteRecord) get this verdict. A PATH that is not a run
// directory has no record: a warning says nothing was written.
func (a *analyzed) writeRecord() {
	warn := func(s string) { a.Warning = strings.TrimPrefix(a.Warning+"; ", "; ") + s }
	switch {
	case a.Err != nil:
	case a.RunDir == "":
		warn("--write: " + a.Path + " is a history file, not a run directory: nothing written")
	default:
		if err := runner.WriteRecord(a.RunDir, filepath.Base(a.History), a.Report, a.Warning, a.events); err != nil {
			warn("--write: could not write the record: " + err.Error())
		}
	}
}

// locateHistory resolves PATH to a history file, and to the run directory
// when PATH is one.
func locateHistory(path string) (file, runDir string, err error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", "", err
	}
	if !st.IsDir() {
		return path, "", nil
	}
	wch := filepath.Join(path, runner.HistoryFile)
	if _, err := os.Stat(wch); err == nil {
		return wch, path, nil
	}
	jsonl, _ := filepath.Glob(filepath.Join(path, "*.jsonl"))
	switch len(jsonl) {
	case 1:
		return jsonl[0], path, nil
	case 0:
		return "", "", fmt.Errorf("%s: no %s and no *.jsonl history in this directory", path, runner.HistoryFile)
	}
	return "", "", fmt.Errorf("%s: no %s and %d *.jsonl files: name the history file", path, runner.HistoryFile, len(jsonl))
}

// toResults is the one JSON shape (checker.Results) of the analyzed paths.
func toResults(results []analyzed) checker.Results {
	hs := make([]checker.HistoryResult, len(results))
	for i, a := range results {
		hs[i] = checker.HistoryResult{Path: a.Path, History: a.History, Warning: a.Warning, Report: a.Report}
		if a.Err != nil {
			hs[i].Error, hs[i].Report = a.Err.Error(), nil
		}
	}
	return checker.NewResults(hs...)
}

func printJSON(w io.Writer, results []analyzed) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(toResults(results))
}

func writeJSONFile(path string, results []analyzed) error {
	b, err := json.MarshalIndent(toResults(results), "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// printAnalyzed writes the human summary of one PATH: the verdict, then
// (unless quiet) the report (printReport). An input error is one line on
// errw.
func printAnalyzed(w, errw io.Writer, a analyzed, quiet bool) {
	if a.Err != nil {
		fmt.Fprintf(errw, "warmcheck: analyze: %s\n", oneLine(a.Err.Error()))
		return
	}
	r := a.Report
	fmt.Fprintf(w, "%s: %s (seed %d, workload %q, %s, checked in %v)\n",
		a.Path, strings.ToUpper(string(r.Verdict)), r.Seed, r.Workload, humanfmt.Count(r.Events, "event", "events"), time.Duration(r.ElapsedNanos).Round(time.Millisecond))
	if a.Warning != "" {
		fmt.Fprintf(w, "  warning: %s\n", a.Warning)
	}
	if quiet {
		return
	}
	fmt.Fprintf(w, "  %s\n", r.Reason)
	printReport(w, r)
}
