package main

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/nemesis"
	"github.com/warmcheck/warmcheck/runner"
	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/workload"
)

// registries maps each `warmcheck list` topic to the registry it prints.
// Every line is the entry's name, a tab, and its description, straight from
// the registry (never a hand-kept string); on a terminal the columns are
// aligned instead (listWriter).
var registries = map[string]func(io.Writer) error{
	"workloads": listWorkloads,
	"nemeses":   listNemeses,
	"bugs":      listBugs,
	"checks":    listChecks,
}

// listCommand prints a registry, one entry per line: name, tab,
// description (aligned columns on a terminal).
func listCommand() *cli.Command {
	return &cli.Command{
		Name:        "list",
		Usage:       "print a registry: " + strings.Join(listTopics(), ", "),
		ArgsUsage:   "TOPIC",
		Description: "Piped, each line is NAME<TAB>DESCRIPTION; on a terminal the columns are aligned.",
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{fmt.Errorf("list: give one topic: %s", strings.Join(listTopics(), ", "))}
			}
			f, ok := registries[c.Args().First()]
			if !ok {
				return usageError{fmt.Errorf("list: unknown topic %q (known: %s)", c.Args().First(), strings.Join(listTopics(), ", "))}
			}
			w := listWriter(c.App.Writer, isTerminal(c.App.Writer))
			if err := f(w); err != nil {
				return err
			}
			return w.Flush()
		},
	}
}

// listWriter aligns the tab-separated columns for a reader (tabwriter) on
// a terminal, and passes them through as they are for a program.
func listWriter(w io.Writer, terminal bool) interface {
	io.Writer
	Flush() error
} {
	if terminal {
		return tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	}
	return bufio.NewWriter(w)
}

func listTopics() []string {
	var t []string
	for k := range registries {
		t = append(t, k)
	}
	sort.Strings(t)
	return t
}

func listLine(w io.Writer, name, desc string) error {
	_, err := fmt.Fprintf(w, "%s\t%s\n", name, desc)
	return err
}

func listWorkloads(w io.Writer) error {
	for _, wl := range workload.All() {
		faults := "none"
		switch {
		case wl.Random:
			faults = "drawn from the seed among " + strings.Join(wl.FaultPool, ",")
		case len(wl.Faults) > 0:
			faults = strings.Join(wl.Faults, ",")
		}
		if err := listLine(w, wl.Name, fmt.Sprintf("%s [mode=%s faults=%s]", wl.Description, wl.Mode, faults)); err != nil {
			return err
		}
	}
	return nil
}

func listNemeses(w io.Writer) error {
	for _, n := range nemesis.All() {
		if err := listLine(w, n.Name(), n.Description()); err != nil {
			return err
		}
	}
	return nil
}

// listBugs prints each seeded bug with its description and what `run --bug`
// picks for it. A bug of the catalogue without a recipe is said so.
func listBugs(w io.Writer) error {
	for _, b := range store.Bugs() {
		picks := "no recipe: give --workload, --nemesis and --mode"
		if r, err := runner.RecipeFor(string(b.Name)); err == nil {
			picks = r.Picks()
		}
		if err := listLine(w, string(b.Name), fmt.Sprintf("%s [picks %s]", b.Description, picks)); err != nil {
			return err
		}
	}
	return nil
}

func listChecks(w io.Writer) error {
	for _, c := range checker.Checks() {
		if err := listLine(w, c.Name(), c.Description()); err != nil {
			return err
		}
	}
	return nil
}
