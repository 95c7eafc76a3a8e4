package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/store"
)

// inspectCommand checks a store directory offline (store.Inspect): exit 0
// consistent, 1 inconsistent, 2 unknown (torn records of a store not closed
// cleanly, or slots that kept changing), 3 unreadable or bad usage.
func inspectCommand() *cli.Command {
	return &cli.Command{
		Name:      "inspect",
		Usage:     "check every invariant of a store directory, read-only (safe on a store another process has open), and print its stats",
		ArgsUsage: "STORE_DIR",
		Description: "Exit 0 consistent, 1 inconsistent (damage no crash explains), 2 unknown (torn records of a store\n" +
			"not closed cleanly, or slots that kept changing), 3 unreadable. README: \"Inspecting a store directory\".",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the report as JSON (the shape of store.InspectReport)"},
			&cli.IntFlag{Name: "max-problems", Value: store.DefaultMaxProblems, Usage: "problems listed in full; the rest are counted"},
		},
		Action: inspectAction,
	}
}

func inspectAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return usageError{fmt.Errorf("inspect: want one STORE_DIR, got %d argument(s)", c.NArg())}
	}
	if c.Int("max-problems") < 1 {
		return usageError{fmt.Errorf("inspect: --max-problems must be at least 1, got %d", c.Int("max-problems"))}
	}
	rep, err := store.Inspect(c.Args().First(), store.InspectOptions{MaxProblems: c.Int("max-problems")})
	if err != nil {
		return cli.Exit(fmt.Sprintf("inspect: %v", err), exitUsage)
	}
	if c.Bool("json") {
		enc := json.NewEncoder(c.App.Writer)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeInspectText(c.App.Writer, rep)
	}
	if err != nil {
		return cli.Exit(fmt.Sprintf("inspect: write report: %v", err), exitUsage)
	}
	switch rep.Verdict {
	case store.Consistent:
		return nil
	case store.Inconsistent:
		return cli.Exit("", exitInvalid)
	}
	return cli.Exit("", exitUnknown)
}

func writeInspectText(w io.Writer, rep store.InspectReport) error {
	closed := "not closed cleanly: open in another process, or crashed"
	if rep.CleanClose {
		closed = "closed cleanly"
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("store %s: %s (%s)\n", rep.Dir, rep.Verdict, closed)
	if n := len(rep.Problems) + rep.MoreProblems; n > 0 {
		p("problems (%d):\n", n)
		for _, pr := range rep.Problems {
			p("  %s\n", pr)
		}
		if rep.MoreProblems > 0 {
			p("  ... and %d more\n", rep.MoreProblems)
		}
	}
	st := rep.Stats
	p("slots %d: used %d, live %d, free %d, superseded %d, torn %d, unsettled %d\n",
		st.Slots, st.SlotsUsed, st.Live, st.Free, st.Superseded, st.Torn, st.Unsettled)
	p("content: %d of %d bytes live, fragmentation %.1f%%\n", st.ContentBytesLive, st.ContentBytesTotal, 100*st.Fragmentation)
	p("blocks.dat: %d bytes\n", st.BlocksFileBytes)
	for _, e := range st.Epochs {
		p("%s: %d bytes, tail %d, %d current records, %d live bytes\n", e.File, e.FileBytes, e.Tail, e.Records, e.LiveBytes)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
