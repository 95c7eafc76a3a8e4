package main

import (
	"errors"

	"github.com/urfave/cli/v2"
)

// analyzeCommand is a TEMPORARY placeholder: re-check saved histories (issue 4).
func analyzeCommand() *cli.Command {
	return &cli.Command{
		Name:  "analyze",
		Usage: "re-check saved histories (issue 4)",
		Action: func(*cli.Context) error {
			return usageError{errors.New("analyze: not implemented yet")}
		},
	}
}
