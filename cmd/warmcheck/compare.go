package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// compareCommand is a TEMPORARY placeholder: compare two bench results (issue 6).
func compareCommand() *cli.Command {
	return &cli.Command{
		Name:  "compare",
		Usage: "compare two bench results (issue 6)",
		Action: func(*cli.Context) error {
			return usageError{errors.New("compare: not implemented yet")}
		},
	}
}
