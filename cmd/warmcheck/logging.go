package main

import (
	"fmt"

	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"
)

// commonFlags are the flags every command takes, before or after its name.
// Each call returns new flag values: urfave/cli records "set" in them.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "log-level", Usage: "log lines on stderr from this level up: trace, debug, info, warn, error or off (default: info; warn beside a progress bar)"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no log lines or progress on stderr; run and analyze print only their verdict lines"},
	}
}

// checkCommonFlags rejects a bad --log-level before a command starts.
func checkCommonFlags(c *cli.Context) error {
	if _, err := logLevel(c); err != nil {
		return usageError{err}
	}
	return nil
}

// lineageSet returns the innermost context in which the flag name was
// given (`warmcheck -q run` and `warmcheck run -q` are the same), or nil.
func lineageSet(c *cli.Context, name string) *cli.Context {
	for _, x := range c.Lineage() {
		if x.Command != nil && x.IsSet(name) {
			return x
		}
	}
	return nil
}

// quiet reports whether -q was given.
func quiet(c *cli.Context) bool {
	x := lineageSet(c, "quiet")
	return x != nil && x.Bool("quiet")
}

// logLevel is the level of log lines on stderr: Off with -q, the
// --log-level given, else hclog.NoLevel (the command's default).
func logLevel(c *cli.Context) (hclog.Level, error) {
	level := hclog.NoLevel
	if x := lineageSet(c, "log-level"); x != nil {
		if level = hclog.LevelFromString(x.String("log-level")); level == hclog.NoLevel {
			return level, fmt.Errorf("%w, got %q", errLogLevel, x.String("log-level"))
		}
	}
	if quiet(c) {
		return hclog.Off, nil
	}
	return level, nil
}

// newLogger is a command's logger on stderr at the chosen level (Info by
// default).
func newLogger(c *cli.Context, name string) hclog.Logger {
	level, _ := logLevel(c) // checked by checkCommonFlags before any action
	if level == hclog.NoLevel {
		level = hclog.Info
	}
	return hclog.New(&hclog.LoggerOptions{Name: name, Output: c.App.ErrWriter, Level: level})
}
