package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/warmcheck/warmcheck/client"
)

// serveStoreCommand is the hidden child-process side of --mode process: it
// opens (and recovers) the store in --dir (default $WARMCHECK_DATA_DIR),
// serves it over PROTOCOL.md on the Unix socket --socket (default
// $WARMCHECK_SOCKET), and runs until SIGTERM. A panic inside the store
// kills it with client.ExitInjectedPanic. It is also an ordinary exec target:
// `warmcheck run --target exec:'warmcheck serve-store --durable-image'`.
// Flags are parsed by client.ParseServeArgs, the same code that writes them
// (client.ServeArgs), so parent and child cannot disagree.
func serveStoreCommand() *cli.Command {
	return &cli.Command{
		Name:            "serve-store",
		Hidden:          true,
		Usage:           "serve a store over PROTOCOL.md on a Unix socket ([--dir D] [--socket S] [--bug B]... [--durable-image] [--group-commit D] [--sync-every-op])",
		SkipFlagParsing: true,
		Action: func(c *cli.Context) error {
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			if code := client.ServeMain(ctx, c.Args().Slice(), os.Stderr); code != 0 {
				return cli.Exit("", code)
			}
			return nil
		},
	}
}
