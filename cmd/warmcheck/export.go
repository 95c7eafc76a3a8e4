package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// exportCommand is a TEMPORARY placeholder (issue 3 implements it).
func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "convert a history to JSON Lines or Jepsen EDN",
		ArgsUsage: "PATH",
		Action: func(*cli.Context) error {
			return usageError{errors.New("export: not implemented yet")}
		},
	}
}
