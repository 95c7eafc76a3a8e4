package main

import "errors"

// Sentinel errors of the CLI itself; a command's own come from its package.
var (
	errNoCommand = errors.New("no command given")
	errLogLevel  = errors.New("--log-level: want one of trace, debug, info, warn, error, off")
)

// usageError is a bad flag, argument or input file: exit code 3.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return exitUsage }
