package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// runCommand is a TEMPORARY placeholder: generate a history and check it (issue 5).
func runCommand() *cli.Command {
	return &cli.Command{
		Name:  "run",
		Usage: "generate a history and check it (issue 5)",
		Action: func(*cli.Context) error {
			return usageError{errors.New("run: not implemented yet")}
		},
	}
}
