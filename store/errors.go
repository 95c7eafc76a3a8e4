package store

import "errors"

// Sentinel errors; match them with errors.Is.
var (
	ErrBadMagic             = errors.New("store: bad magic: not a warm-tier file")
	ErrBadVersion           = errors.New("store: unsupported file version")
	ErrHeaderChecksum       = errors.New("store: header checksum mismatch")
	ErrCorrupt              = errors.New("store: corrupt file")
	ErrNotStore             = errors.New("store: not a store directory (no blocks.dat)")
	ErrClosed               = errors.New("store: closed")
	ErrGrowFailed           = errors.New("store: cannot grow file")
	ErrTooLarge             = errors.New("store: value too large")
	ErrBadEmbedding         = errors.New("store: embedding must have EmbeddingDim values")
	ErrBadID                = errors.New("store: invalid memory id")
	ErrCompactionInProgress = errors.New("store: compaction already in progress")
	ErrUnknownBug           = errors.New("store: unknown seeded bug")
	ErrUnknownFailpoint     = errors.New("store: unknown failpoint")
	ErrInjected             = errors.New("store: injected fault")
	ErrBadOptions           = errors.New("store: invalid options")
	// ErrPlacementCollision: the online invariant check (Options.CheckPlacements)
	// refused a Put whose slot or content range collides with another's;
	// nothing of the Put was written.
	ErrPlacementCollision = errors.New("store: placement collides with a live one (online invariant check)")
	// ErrNotSynced wraps the Sync failure of a mutating call made with
	// SyncEveryOp: the operation itself took effect, its durability is unknown.
	ErrNotSynced = errors.New("store: applied, but the sync after it failed")
)
