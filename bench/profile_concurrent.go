package bench

import (
	"context"
)

// runConcurrent is wired to the recorder and checker once they land.
func runConcurrent(ctx context.Context, e *env) error {
	return ErrNoRecorder
}
