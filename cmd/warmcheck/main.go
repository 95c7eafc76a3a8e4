// Command warmcheck drives, records and judges a warm-tier store.
//
// Exit codes are the CI contract: 0 valid, 1 invalid, 2 unknown, 3 usage or
// input error (bad flag, unreadable or corrupt history). Each command's
// table is in README.md ("Exit codes") and tested in exitcodes_test.go.
package main

import (
	"context"
	"io"
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

func main() {
	os.Exit(runApp(os.Args))
}

// runApp runs the CLI on the process's stdout and stderr.
func runApp(args []string) int { return runAppIO(args, os.Stdout, os.Stderr) }

// runAppIO runs the CLI and maps every outcome to an exit code; it never
// calls os.Exit itself so that tests can drive it. Results go to stdout;
// errors (one line each), logs and progress to stderr.
func runAppIO(args []string, stdout, stderr io.Writer) int {
	return runAppContext(context.Background(), args, stdout, stderr)
}

// runAppContext is runAppIO under ctx: cancelling it is what Ctrl-C does.
func runAppContext(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := &cli.App{
		Name:                 "warmcheck",
		Usage:                "prove, or disprove, that a memory-mapped warm-tier store is correct",
		Version:              buildVersion(),
		EnableBashCompletion: true,
		Writer:               stdout,
		ErrWriter:            stderr,
		ExitErrHandler:       func(*cli.Context, error) {}, // exit codes are decided by exitCode
		OnUsageError:         onUsageError(""),
		Flags:                commonFlags(),
		Before:               checkCommonFlags,
		Action:               noCommand,
		Commands:             withConventions(commands()),
	}
	return exitCode(app.RunContext(ctx, args), stderr)
}

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
		inspectCommand(),
	}
}
