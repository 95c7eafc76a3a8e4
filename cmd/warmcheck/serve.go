package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// serveStoreCommand is a TEMPORARY placeholder: hidden: serve a store to a parent over a Unix socket (issue 3).
func serveStoreCommand() *cli.Command {
	return &cli.Command{
		Name:   "serve-store",
		Hidden: true,
		Usage:  "hidden: serve a store to a parent over a Unix socket (issue 3)",
		Action: func(*cli.Context) error {
			return usageError{errors.New("serve: not implemented yet")}
		},
	}
}
