package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"
)

// withConventions gives every command (but one that parses its own
// arguments) the shared flags (--log-level, -q), their check, and a one-line
// error instead of the help on a flag parse error. A command added later
// gets them by being listed in commands().
func withConventions(cmds []*cli.Command) []*cli.Command {
	for _, c := range cmds {
		c.OnUsageError = onUsageError(c.Name)
		if c.SkipFlagParsing {
			continue
		}
		c.Flags = append(c.Flags, commonFlags()...)
		if c.Before == nil {
			c.Before = checkCommonFlags
		}
	}
	return cmds
}

// onUsageError turns a flag parse error of command (root when "") into a
// usage error (exit 3) naming the flag the way the user wrote it (--ops,
// not Go's -ops).
func onUsageError(command string) cli.OnUsageErrorFunc {
	return func(_ *cli.Context, err error, _ bool) error {
		msg := strings.NewReplacer("flag -", "flag --", "defined: -", "defined: --", "argument: -", "argument: --").Replace(err.Error())
		help := "warmcheck --help"
		if command != "" {
			msg = command + ": " + msg
			help = "warmcheck " + command + " --help"
		}
		return usageError{fmt.Errorf("%s (%s)", msg, help)}
	}
}

// noCommand is the root action: a bare `warmcheck` prints a short usage on
// stderr and exits 3 (it did nothing a script could rely on); an unknown
// command is a usage error.
func noCommand(c *cli.Context) error {
	names := commandNames(c.App.Commands)
	if c.NArg() > 0 {
		return usageError{fmt.Errorf("unknown command %q (commands: %s)", c.Args().First(), strings.Join(names, ", "))}
	}
	fmt.Fprintf(c.App.ErrWriter, "usage: warmcheck [--log-level LEVEL] [-q] COMMAND [flags] [args]\ncommands: %s\n"+
		"warmcheck --help and warmcheck COMMAND --help describe them\n", strings.Join(names, ", "))
	return usageError{errNoCommand}
}

func commandNames(cmds []*cli.Command) []string {
	var names []string
	for _, c := range cmds {
		if !c.Hidden && c.Name != "help" {
			names = append(names, c.Name)
		}
	}
	return names
}

// exitCode prints err, if it has a message, as one line "warmcheck: ..." on
// stderr and returns the exit code it stands for: a cli.ExitCoder's own, 3
// for any other error, 0 for none.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return exitValid
	}
	code := exitUsage
	var coder cli.ExitCoder
	if errors.As(err, &coder) {
		code = coder.ExitCode()
	}
	if msg := oneLine(err.Error()); msg != "" {
		fmt.Fprintln(stderr, "warmcheck:", msg)
	}
	return code
}

// oneLine folds a multi-line message into one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}
