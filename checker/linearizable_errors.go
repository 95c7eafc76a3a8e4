package checker

import (
	"errors"

	"github.com/warmcheck/warmcheck/checker/internal/register"
)

// Sentinel errors of the linearizable check. (Kept beside the check rather
// than in errors.go, which the check framework owns.)
var (
	// ErrNotLinearizable states the guarantee the linearizable check judges.
	ErrNotLinearizable = errors.New("linearizable: every memory's put/get/remove/update-activation history has a sequential order that respects real time and the register model, per crash epoch")
	// ErrLinearizabilityUndecided means a budget (time, memory, steps) ran
	// out before a verdict: the result is unknown, never valid.
	ErrLinearizabilityUndecided = errors.New("linearizable: budget exhausted before a verdict")
	// ErrMalformedRegister means the history cannot be read as register
	// operations (a completion without an invoke, a put without input, ...).
	// It is the register engine's sentinel, so errors.Is matches either.
	ErrMalformedRegister = register.ErrMalformed
)
