package store

import "time"

// EmbeddingDim is the number of float32 values in every embedding.
const EmbeddingDim = 768

// Memory is one stored memory: its embedding, its scalar fields and its
// content. A nil Content means "no content"; a non-nil empty Content is the
// empty string. The two stay distinct through Put, Get, Iterate, Recall,
// Close and reopen.
type Memory struct {
	Embedding  []float32 // EmbeddingDim values; nil stores zeros
	Confidence float32
	Activation float32
	DecayRate  float32
	CreatedAt  int64 // ns since the Unix epoch; set by Put when zero
	LastAccess int64 // ns since the Unix epoch; set by Put and UpdateActivation
	Content    []byte
}

// Lookup is the typed answer to "was the memory there?".
type Lookup uint8

const (
	Missing Lookup = iota
	Found
)

func (l Lookup) String() string {
	if l == Found {
		return "found"
	}
	return "missing"
}

// Placement says where a Put landed, so that a checker can verify that
// placements never collide. Offset and Length address the content region of
// compaction epoch Epoch. HasContent is false for nil content, in which case
// Offset, Length and Epoch are zero.
type Placement struct {
	Slot       uint64
	Offset     uint64
	Length     uint32
	Epoch      uint64
	HasContent bool
}

// LayoutEntry is the placement of one live memory, with digests of what it
// holds, as returned by Layout.
type LayoutEntry struct {
	ID              string
	Placement       Placement
	ContentDigest   uint64 // Digest(Content); 0 when HasContent is false
	EmbeddingDigest uint64 // DigestEmbedding(Embedding)
	Confidence      float32
	Activation      float32
	DecayRate       float32
	CreatedAt       int64
	LastAccess      int64
}

// Stats are measured, never estimated: every field is derived from the
// store's own accounting at the moment Stats is called.
type Stats struct {
	Live              uint64  // memories reachable through Get
	SlotsInUse        uint64  // slots not free for reuse: live records plus replaced/removed ones awaiting the Sync that frees them (== Live after a quiet Sync)
	SlotsTotal        uint64  // slots the block file has room for
	ContentBytesTotal uint64  // bytes appended to the current content epoch
	ContentBytesLive  uint64  // sum of the content lengths of live memories
	Fragmentation     float64 // (total-live)/total, 0 when total is 0
	Compactions       uint64
	BytesReclaimed    uint64 // cumulative over all compactions
	Epoch             uint64 // current compaction epoch
	TornDiscarded     uint64 // records discarded at the last recovery
	FileBytes         uint64 // size of the block and content files on disk
}

// RecallHit is one memory returned by Recall.
type RecallHit struct {
	ID         string
	Confidence float32
	Content    []byte
}

// CompactionStats describe one completed Compact.
type CompactionStats struct {
	Epoch          uint64 // the epoch the compaction produced
	BytesBefore    uint64
	BytesAfter     uint64
	BytesReclaimed uint64
	Moved          uint64 // memories whose content was copied
	Duration       time.Duration
}
