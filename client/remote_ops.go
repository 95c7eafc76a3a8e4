package client

import (
	"context"
	"fmt"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

func (r *Remote) Put(ctx context.Context, id string, m store.Memory) (store.Placement, error) {
	resp, err := r.roundTrip(ctx, &request{Op: opPut, ID: id, Memory: m}, 0)
	if err != nil {
		return store.Placement{}, err
	}
	if !r.has(CapPlacements) {
		return store.Placement{}, nil
	}
	if err := resp.requireKeys(opPut, rPlacement); err != nil {
		return store.Placement{}, err
	}
	return resp.Placement, nil
}

func (r *Remote) Get(ctx context.Context, id string) (store.Memory, store.Lookup, error) {
	resp, err := r.roundTrip(ctx, &request{Op: opGet, ID: id}, 0)
	if err != nil {
		return store.Memory{}, store.Missing, err
	}
	if err := resp.requireKeys(opGet, rFound); err != nil {
		return store.Memory{}, store.Missing, err
	}
	if !resp.Found {
		return store.Memory{}, store.Missing, nil
	}
	if err := resp.requireKeys(opGet, rMemory); err != nil {
		return store.Memory{}, store.Missing, err
	}
	return resp.Memory, store.Found, nil
}

func (r *Remote) lookup(ctx context.Context, req *request) (store.Lookup, error) {
	resp, err := r.roundTrip(ctx, req, 0)
	if err != nil {
		return store.Missing, err
	}
	if err := resp.requireKeys(req.Op, rFound); err != nil {
		return store.Missing, err
	}
	if resp.Found {
		return store.Found, nil
	}
	return store.Missing, nil
}

func (r *Remote) Remove(ctx context.Context, id string) (store.Lookup, error) {
	return r.lookup(ctx, &request{Op: opRemove, ID: id})
}

func (r *Remote) UpdateActivation(ctx context.Context, id string, v float32) (store.Lookup, error) {
	return r.lookup(ctx, &request{Op: opUpdateActivation, ID: id, Activation: v})
}

// entries runs a listing request and returns its entries.
func (r *Remote) entries(ctx context.Context, req *request, want keySet) ([]wireEntry, error) {
	resp, err := r.roundTrip(ctx, req, want)
	if err != nil {
		return nil, err
	}
	if err := resp.requireKeys(req.Op, rEntries); err != nil {
		return nil, err
	}
	return resp.Entries, nil
}

func (r *Remote) Iterate(ctx context.Context) ([]history.Entry, error) {
	es, err := r.entries(ctx, &request{Op: opIterate}, iterateEntryKeys)
	if err != nil {
		return nil, err
	}
	return historyEntries(es, true), nil
}

func (r *Remote) Recall(ctx context.Context, threshold float32) ([]history.Entry, error) {
	es, err := r.entries(ctx, &request{Op: opRecall, Threshold: threshold}, recallEntryKeys)
	if err != nil {
		return nil, err
	}
	out := historyEntries(es, false)
	for i := range out {
		v := &out[i].Value // a recall hit carries content and confidence only (RecallEntry)
		*v = history.Value{HasContent: v.HasContent, ContentDigest: v.ContentDigest, ContentLen: v.ContentLen, Confidence: v.Confidence}
	}
	return out, nil
}

func (r *Remote) Compact(ctx context.Context) (store.CompactionStats, error) {
	if err := r.require(ctx, CapCompact, opCompact); err != nil {
		return store.CompactionStats{}, err
	}
	resp, err := r.roundTrip(ctx, &request{Op: opCompact}, 0)
	if err != nil {
		return store.CompactionStats{}, err
	}
	return resp.Compaction, resp.requireKeys(opCompact, rCompaction)
}

func (r *Remote) Sync(ctx context.Context) error {
	_, err := r.roundTrip(ctx, &request{Op: opSync}, 0)
	return err
}

func (r *Remote) Stats(ctx context.Context) (store.Stats, error) {
	if err := r.require(ctx, CapStats, opStats); err != nil {
		return store.Stats{}, err
	}
	resp, err := r.roundTrip(ctx, &request{Op: opStats}, 0)
	if err != nil {
		return store.Stats{}, err
	}
	return resp.Stats, resp.requireKeys(opStats, rStats)
}

// Layout is the target's layout; a target without capability layout is
// listed with iterate (no placements).
func (r *Remote) Layout(ctx context.Context) ([]store.LayoutEntry, error) {
	if err := r.require(ctx, CapLayout, opLayout); err != nil {
		es, err := r.entries(ctx, &request{Op: opIterate}, iterateEntryKeys)
		if err != nil {
			return nil, err
		}
		return layoutEntries(es), nil
	}
	want := iterateEntryKeys
	if r.has(CapPlacements) {
		want |= ePlacement
	}
	es, err := r.entries(ctx, &request{Op: opLayout}, want)
	if err != nil {
		return nil, err
	}
	for i := range es {
		p, v := &es[i].Placement, &es[i].Value
		if es[i].has&ePlacement != 0 && (p.HasContent != v.HasContent || p.Length != v.ContentLen) {
			return nil, fmt.Errorf("%w: layout entry %q: placement says content %v of %d bytes, the entry %v of %d",
				ErrProtocol, es[i].ID, p.HasContent, p.Length, v.HasContent, v.ContentLen)
		}
	}
	return layoutEntries(es), nil
}
