//go:build !h6wip

package runner

import (
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/store"
)

// processHandle is the child-process controller; until client.ProcessStore
// is built without its work-in-progress tag, process mode is unavailable.
type processHandle io.Closer

func (t *target) openProcess(r *Resolved, bugs []store.Bug, log hclog.Logger) error {
	return fmt.Errorf("%w: --mode process is not available in this build yet", ErrConfig)
}
