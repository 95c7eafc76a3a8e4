package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/client"
)

// serveStoreCommand is the hidden child-process side of --mode process: it
// opens (and recovers) the store in --dir, serves it on the Unix socket
// --socket, writes client.ReadyLine on stdout once listening, and runs until
// SIGTERM. A panic inside the store kills it with client.ExitInjectedPanic.
// Flags are parsed by client.ParseServeArgs, the same code that writes them
// (client.ServeArgs), so parent and child cannot disagree.
func serveStoreCommand() *cli.Command {
	return &cli.Command{
		Name:            "serve-store",
		Hidden:          true,
		Usage:           "serve a store to a parent warmcheck over a Unix socket (--dir D --socket S [--bug B]... [--durable-image] [--group-commit D] [--sync-every-op])",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			cfg, err := client.ParseServeArgs(c.Args().Slice())
			if err != nil {
				return usageError{err}
			}
			cfg.Ready = os.Stdout
			cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "serve-store", Output: os.Stderr, Level: hclog.Warn})
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			return client.Serve(ctx, cfg)
		},
	}
}
