package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// listCommand is a TEMPORARY placeholder: print a registry (issue 5).
func listCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "print a registry (issue 5)",
		Action: func(*cli.Context) error {
			return usageError{errors.New("list: not implemented yet")}
		},
	}
}
