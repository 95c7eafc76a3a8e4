package runner

import (
	"io"

	"github.com/hashicorp/go-hclog"
)

// newRunLogger logs to the run's log file at debug and up (trace when the
// user asked for it), and, when r.Progress is set, copies to it the lines
// at r.LogLevel and up: by default info, or warn beside a progress bar,
// whose line the log would break.
func newRunLogger(logFile io.Writer, r *Resolved) hclog.Logger {
	fileLevel := hclog.Debug
	if r.LogLevel == hclog.Trace {
		fileLevel = hclog.Trace
	}
	log := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: "warmcheck", Output: logFile, Level: fileLevel})
	if r.Progress != nil {
		level := r.LogLevel
		if level == hclog.NoLevel {
			level = hclog.Info
			if r.Terminal {
				level = hclog.Warn
			}
		}
		log.RegisterSink(hclog.NewSinkAdapter(&hclog.LoggerOptions{Name: "warmcheck", Output: r.Progress, Level: level}))
	}
	return log
}
