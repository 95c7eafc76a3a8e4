// Package store is the warm-tier store that warmcheck puts under test: a
// persistent, concurrent, memory-mapped store of memories (a 768 x float32
// embedding, scalar fields and optional content), modelled on engram's warm
// tier, with named failpoints and a catalogue of switchable seeded bugs that
// re-create the original's real bugs.
//
// Files: blocks.dat (fixed 3584-byte slots, one record each),
// content.<epoch>.dat (append-only content of one compaction epoch) and
// reloc.<epoch>.dat (where compaction moved content); the layout is
// documented in format.go. Every record carries CRC32C checksums of
// its header, embedding and content; recovery (Open) rebuilds the index from
// the blocks file and the relocation tables, keeps for each id the live
// record with the highest sequence number whose checksums hold, and
// discards (and counts in Stats.TornDiscarded) the rest. It never returns a torn record.
//
// Durability contract: every Put, Remove and UpdateActivation acknowledged
// before a successful Sync survives a crash of the process or a power loss.
// Writes not yet covered by a Sync may survive or be lost, each as a whole:
// after recovery an id holds the value of some acknowledged or in-flight write
// of it that is not older than its last synced one. By default a background
// group commit syncs every DefaultGroupCommit (Options.GroupCommit), so an
// acknowledged write is durable within about that long; Options.SyncEveryOp
// syncs before each mutating call returns. The power-loss model assumes that
// a 512-byte sector write is atomic, and that a sector is written from a
// stable snapshot of its page (as the kernel's stable pages give): the
// durable image (Options.DurableImage) is copied with in-place header
// rewrites excluded. Anything larger than a sector may be torn.
//
// Iterate guarantee: every memory stored before Iterate began and not removed
// during it is visited exactly once, with its value at some moment during the
// iteration; memories added during it may or may not be visited; nothing torn
// or half-written is ever visited. IterateMeta, IterateView (the zero-copy
// visitor: the embedding and content it hands out are views into the
// mapping, valid only during the call) and Recall give the same guarantee.
// Scans read each memory's scalars and content reference from an in-memory
// copy of the record headers (slotmeta.go, 56 bytes per slot, rebuilt by
// recovery), not from the headers themselves.
//
// Reads: Get returns a memory the caller owns (freshly allocated); GetInto
// reads into the caller's buffers and allocates nothing, the call for hot
// read paths (its tail latency is the store's, not the allocator's).
//
// Compaction runs concurrently with every operation; readers never see
// another memory's bytes before, during or after it (see Compact).
// Options.AutoCompact starts it in the background when fragmentation
// crosses a threshold (autocompact.go); Metrics (metrics.go) reports the
// store's counters and latency histograms for a monitoring adapter
// (storemetrics); Options.CheckPlacements refuses a Put whose slot or
// content range collides with another's (placementcheck.go).
//
// Failpoints (failpoint.go) cost one atomic load when disarmed; a panic
// injected at any of them leaves no lock held. Seeded bugs (bugs.go) are
// plain booleans; with none switched on, none of their code runs.
//
// Under a controlled scheduler (Options.Scheduler, schedule.go) the store
// runs one task at a time, switched at its failpoints, lock acquisitions
// and a few marked points; without one, each of those hooks is a nil check.
//
// Imports: the standard library, golang.org/x/sys/unix, go-hclog,
// github.com/cespare/xxhash/v2 (Digest, which must equal history.Digest) and
// sched (its locks and scheduling points) only. store never imports history
// (nor any other warmcheck package than sched).
package store
