package client

import (
	"sync"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// zeroEmbeddingDigest is the digest of EmbeddingDim zeros: what the store
// holds for a memory put with a nil embedding. Computed once, never mutated.
var zeroEmbeddingDigest = sync.OnceValue(func() uint64 {
	return history.DigestEmbedding(make([]float32, store.EmbeddingDim))
})

// EmbeddingDigest is the digest of the embedding the store holds after a Put
// of e: a nil or empty embedding is stored as zeros.
func EmbeddingDigest(e []float32) uint64 {
	if len(e) == 0 {
		return zeroEmbeddingDigest()
	}
	return history.DigestEmbedding(e)
}

// ValueOf is the history value of a memory, every field recorded. Nil
// content (HasContent false) and empty content stay distinct.
func ValueOf(m store.Memory) history.Value {
	v := history.Value{
		HasContent:      m.Content != nil,
		EmbeddingDigest: EmbeddingDigest(m.Embedding),
		Confidence:      m.Confidence,
		Activation:      m.Activation,
		Recorded:        true,
		DecayRate:       m.DecayRate,
		CreatedAt:       m.CreatedAt,
		LastAccess:      m.LastAccess,
	}
	if m.Content != nil {
		v.ContentDigest = history.Digest(m.Content)
		v.ContentLen = uint32(len(m.Content))
	}
	return v
}

// PlacementOf converts a store placement.
func PlacementOf(p store.Placement) history.Placement {
	return history.Placement{Slot: p.Slot, Offset: p.Offset, Length: p.Length, Epoch: p.Epoch, HasContent: p.HasContent}
}

// RecallEntry converts one recall hit. A hit carries no embedding, no
// activation and none of the recorded fields, so those Value fields are zero
// (Recorded false): checkers compare recall entries on content and
// confidence only.
func RecallEntry(h store.RecallHit) history.Entry {
	v := history.Value{HasContent: h.Content != nil, Confidence: h.Confidence}
	if h.Content != nil {
		v.ContentDigest = history.Digest(h.Content)
		v.ContentLen = uint32(len(h.Content))
	}
	return history.Entry{ID: h.ID, Value: v}
}

// LayoutEntries converts a store layout into history entries (with placements).
func LayoutEntries(l []store.LayoutEntry) []history.Entry {
	out := make([]history.Entry, len(l))
	for i, e := range l {
		out[i] = history.Entry{
			ID: e.ID,
			Value: history.Value{
				HasContent:      e.Placement.HasContent,
				ContentDigest:   e.ContentDigest,
				ContentLen:      e.Placement.Length,
				EmbeddingDigest: e.EmbeddingDigest,
				Confidence:      e.Confidence,
				Activation:      e.Activation,
				Recorded:        true,
				DecayRate:       e.DecayRate,
				CreatedAt:       e.CreatedAt,
				LastAccess:      e.LastAccess,
			},
			Placement: PlacementOf(e.Placement),
		}
	}
	return out
}

// StatsOf converts store statistics.
func StatsOf(s store.Stats) *history.Stats {
	return &history.Stats{
		Live:              s.Live,
		SlotsInUse:        s.SlotsInUse,
		SlotsTotal:        s.SlotsTotal,
		ContentBytesTotal: s.ContentBytesTotal,
		ContentBytesLive:  s.ContentBytesLive,
		Fragmentation:     s.Fragmentation,
		Compactions:       s.Compactions,
		BytesReclaimed:    s.BytesReclaimed,
		Epoch:             s.Epoch,
		TornDiscarded:     s.TornDiscarded,
		FileBytes:         s.FileBytes,
	}
}

// CompactionOf converts compaction statistics.
func CompactionOf(c store.CompactionStats) *history.Compaction {
	return &history.Compaction{
		Epoch:          c.Epoch,
		BytesBefore:    c.BytesBefore,
		BytesAfter:     c.BytesAfter,
		BytesReclaimed: c.BytesReclaimed,
		Moved:          c.Moved,
	}
}
