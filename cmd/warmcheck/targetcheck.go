package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/conformance"
)

// targetCheckCommand checks that a target speaks PROTOCOL.md: exit 0
// conformant, 1 not, 3 usage.
func targetCheckCommand() *cli.Command {
	return &cli.Command{
		Name:  "target-check",
		Usage: "check that a store target speaks PROTOCOL.md correctly, before trusting warmcheck's verdicts on it",
		Description: "Starts the target in a fresh data directory and checks the handshake, every operation, the error codes,\n" +
			"seq echo, malformed and abandoned requests, concurrency and a restart, one line per check.\n" +
			"Exit code: 0 conformant, 1 not conformant, 3 usage error.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "target", Usage: "exec:'CMD ARGS': the store server to check (required)"},
			&cli.DurationFlag{Name: "timeout", Value: 5 * time.Second, Usage: "bound on every request"},
			&cli.BoolFlag{Name: "verbose", Usage: "copy the target's stderr to stderr"},
			&cli.StringSliceFlag{Name: "check", Usage: "run only this check (repeatable): " + strings.Join(conformance.CheckNames(), ", ")},
		},
		Action: targetCheckAction,
	}
}

func targetCheckAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageError{fmt.Errorf("target-check takes no arguments, got %q", c.Args().Slice())}
	}
	cmd, ok := strings.CutPrefix(c.String("target"), "exec:")
	if !ok || strings.TrimSpace(cmd) == "" {
		return usageError{errors.New("target-check needs --target exec:'CMD ARGS'")}
	}
	if c.Duration("timeout") <= 0 {
		return usageError{errors.New("--timeout must be positive")}
	}
	cfg := conformance.Config{Exec: strings.TrimSpace(cmd), Timeout: c.Duration("timeout"), Only: c.StringSlice("check")}
	if c.Bool("verbose") {
		cfg.Stderr = os.Stderr
	} else {
		cfg.Stderr = hclog.NewNullLogger().StandardWriter(&hclog.StandardLoggerOptions{})
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep, err := conformance.Run(ctx, cfg)
	if err != nil {
		return usageError{err}
	}
	w := c.App.Writer
	if h := rep.Hello; h != nil {
		fmt.Fprintf(w, "target %s (version %q), protocol %d, capabilities %s\n", h.Name, h.Version, h.Protocol, strings.Join(h.CapabilityNames(), ","))
	}
	failed := 0
	for _, r := range rep.Results {
		line := fmt.Sprintf("  %-7s %s", r.Status, r.Name)
		if r.Message != "" {
			line += ": " + r.Message
		}
		fmt.Fprintln(w, line)
		if r.Status == conformance.Fail {
			failed++
		}
	}
	if !rep.Conformant() {
		fmt.Fprintf(w, "not conformant: %d of %d checks failed\n", failed, len(rep.Results))
		return cli.Exit("", exitInvalid)
	}
	fmt.Fprintf(w, "conformant: %d checks\n", len(rep.Results))
	return nil
}
