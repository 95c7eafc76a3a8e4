package runner

import (
	"fmt"
	"strings"

	"github.com/warmcheck/warmcheck/internal/humanfmt"
)

// DescribeLoad says in one line what the workers will do, so that the
// header and the operations the history holds agree: the preload puts
// first, then --ops over the workers (or as many as they issue in
// --duration), each worker's read-back gets, and the extra operations a
// run draws until every requested fault has fired (load.extend and its
// controlled twin).
func (r *Resolved) DescribeLoad() string {
	p := r.Plan.Params
	var parts []string
	if p.Preload > 0 {
		parts = append(parts, humanfmt.Count(p.Preload, "preload put", "preload puts")+" by worker 0")
	}
	workers := humanfmt.Count(p.Workers, "worker", "workers")
	then := ""
	if len(parts) > 0 {
		then = "then "
	}
	if r.Duration > 0 {
		parts = append(parts, then+"as many operations as "+workers+" issue in "+r.Duration.String())
	} else {
		parts = append(parts, fmt.Sprintf("%s%s over %s", then, humanfmt.Count(p.Ops, "operation", "operations"), workers))
	}
	if p.ReadBack && p.Mix.Put > 0 {
		parts = append(parts, "then each worker gets every id it put")
	}
	s := strings.Join(parts, ", ")
	if len(r.Faults) > 0 && r.Duration == 0 { // an endless stream never runs out to be extended
		s += fmt.Sprintf("; until every requested fault has fired, up to %d more", max(p.Ops, minExtraOps))
		if !r.Sched.Controlled() {
			s += " within " + extendFor.String()
		}
	}
	return s
}
