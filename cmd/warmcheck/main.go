// Command warmcheck drives, records and judges a warm-tier store.
//
// Exit codes are the CI contract: 0 valid, 1 invalid, 2 unknown, 3 usage or
// input error (bad flag, unreadable or corrupt history).
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

// Exit codes.
const (
	exitValid   = 0
	exitInvalid = 1
	exitUnknown = 2
	exitUsage   = 3
)

// version is overridden at link time (-ldflags "-X main.version=...").
var version = "dev"

func main() {
	os.Exit(runApp(os.Args))
}

// runApp runs the CLI and maps every outcome to an exit code; it never calls
// os.Exit itself so that tests can drive it.
func runApp(args []string) int {
	app := &cli.App{
		Name:                 "warmcheck",
		Usage:                "prove, or disprove, that a memory-mapped warm-tier store is correct",
		Version:              version,
		EnableBashCompletion: true,
		ExitErrHandler:       func(*cli.Context, error) {}, // exit codes are decided below
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageError{err}
		},
		Commands: commands(),
	}
	err := app.Run(args)
	if err == nil {
		return exitValid
	}
	var coder cli.ExitCoder
	if errors.As(err, &coder) {
		if msg := coder.Error(); msg != "" {
			fmt.Fprintln(os.Stderr, "warmcheck:", msg)
		}
		return coder.ExitCode()
	}
	fmt.Fprintln(os.Stderr, "warmcheck:", err)
	return exitUsage
}

// usageError is a bad flag or argument: exit code 3.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return exitUsage }

// commands lists every subcommand; each lives in its own file.
func commands() []*cli.Command {
	return []*cli.Command{
		runCommand(),
		replayCommand(),
		shrinkCommand(),
		analyzeCommand(),
		exportCommand(),
		listCommand(),
		benchCommand(),
		compareCommand(),
		serveStoreCommand(),
		targetCheckCommand(),
		crashesCommand(),
	}
}
