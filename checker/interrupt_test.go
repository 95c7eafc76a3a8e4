package checker

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// A cancelled context (Ctrl-C) leaves every check unknown as interrupted; an
// expired one as out of time. Neither is ever valid.
func TestRunSaysWhyChecksDidNotRun(t *testing.T) {
	in := &Input{Header: history.Header{Workload: "w"}}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithTimeout(context.Background(), -time.Second)
	defer cancel2()
	for _, c := range []struct {
		ctx  context.Context
		want error
	}{{cancelled, ErrInterrupted}, {expired, ErrDeadlineExceeded}} {
		rep := Run(c.ctx, in, Options{})
		if rep.Verdict != Unknown {
			t.Errorf("%v: verdict %s, want unknown", c.want, rep.Verdict)
		}
		for _, r := range rep.Checks {
			if r.Verdict != Unknown || !strings.Contains(r.Summary, c.want.Error()) {
				t.Errorf("%v: %s: %s %q", c.want, r.Name, r.Verdict, r.Summary)
			}
		}
	}
}
