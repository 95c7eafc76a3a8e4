package main

import (
	"errors"
	"fmt"

	"github.com/warmcheck/warmcheck/checker"
	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/runner"
)

// readAnalyzeInput reads the history analyze judges (FORMAT.md, "Complete,
// torn, corrupt"): a complete one as is; a torn one with a warning, open
// invokes cut off; a corrupt one is an input error (exit 3) naming the
// file, byte offset and chunk, unless salvage, when its intact prefix is
// judged with a warning and the verdict cannot be valid.
func readAnalyzeInput(file, runDir string, salvage bool) (*checker.Input, string, error) {
	in, err := runner.ReadInput(file, runDir, salvage)
	if errors.Is(err, history.ErrCorrupt) {
		return nil, "", fmt.Errorf("%w; not judged: --salvage judges the intact events before the damage, and never calls the result valid", err)
	}
	if err != nil {
		return nil, "", err
	}
	switch in.Completeness {
	case history.Torn:
		return in, fmt.Sprintf("%v: judged the %d intact events; operations still open there are cut off, not hangs", in.Damage, len(in.Events)), nil
	case history.Corrupt:
		return in, fmt.Sprintf("%v: --salvage: judged the first %d events only; the verdict is unknown at best", in.Damage, len(in.Events)), nil
	}
	return in, "", nil
}
