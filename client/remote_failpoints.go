package client

import (
	"context"

	"github.com/warmcheck/warmcheck/store"
)

// Arm arms a failpoint in the target.
func (r *Remote) Arm(ctx context.Context, name store.FailpointName, a store.Action) error {
	return r.control(ctx, &request{Op: opArm, Failpoint: string(name), Action: a})
}

// Disarm disarms a failpoint (and releases threads paused there).
func (r *Remote) Disarm(ctx context.Context, name store.FailpointName) error {
	return r.control(ctx, &request{Op: opDisarm, Failpoint: string(name)})
}

// Release wakes threads paused at a failpoint.
func (r *Remote) Release(ctx context.Context, name store.FailpointName) error {
	return r.control(ctx, &request{Op: opRelease, Failpoint: string(name)})
}

func (r *Remote) control(ctx context.Context, req *request) error {
	if err := r.require(ctx, CapFailpoints, req.Op); err != nil {
		return err
	}
	_, err := r.roundTrip(ctx, req, 0)
	return err
}

// Hits returns how many times each failpoint fired (absent: never).
func (r *Remote) Hits(ctx context.Context) (map[string]uint64, error) {
	if err := r.require(ctx, CapFailpoints, opHits); err != nil {
		return nil, err
	}
	resp, err := r.roundTrip(ctx, &request{Op: opHits}, 0)
	if err != nil {
		return nil, err
	}
	return resp.Hits, resp.requireKeys(opHits, rHits)
}
