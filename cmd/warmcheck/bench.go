package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// benchCommand is a TEMPORARY placeholder: run a scale profile (issue 6).
func benchCommand() *cli.Command {
	return &cli.Command{
		Name:  "bench",
		Usage: "run a scale profile (issue 6)",
		Action: func(*cli.Context) error {
			return usageError{errors.New("bench: not implemented yet")}
		},
	}
}
