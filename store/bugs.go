package store

import "fmt"

// Bug names one seeded bug of the catalogue.
type Bug string

// BugInfo describes one seeded bug.
type BugInfo struct {
	Name        Bug
	Description string
}

const (
	BugSlotRace             Bug = "slot-race"
	BugContentOffsetRace    Bug = "content-offset-race"
	BugCompactionSwapWindow Bug = "compaction-swap-window"
	BugCompactionLostStore  Bug = "compaction-lost-store"
	BugUnlockedActivation   Bug = "unlocked-activation"
	BugIndexBeforeBlock     Bug = "index-before-block"
	BugCountOnFailedStore   Bug = "count-on-failed-store"
	BugPanicHoldsLock       Bug = "panic-holds-lock"
	BugSyncSkipsContent     Bug = "sync-skips-content"
	BugRecoveryTrustsTorn   Bug = "recovery-trusts-torn"
)

// allBugs is the seeded-bug catalogue: each re-creates a real bug of the
// original warm tier (background §3.3) and is switched on by Options.Bugs.
var allBugs = []BugInfo{
	{BugSlotRace, "slot index read, block written, counter incremented afterwards: concurrent Puts share a slot and Get returns another memory"},
	{BugContentOffsetRace, "content offset computed outside the append reservation: concurrent Puts overwrite each other's content"},
	{BugCompactionSwapWindow, "compaction publishes the new content region before block offsets are rewritten: readers combine old offsets with new bytes"},
	{BugCompactionLostStore, "compaction does not wait for in-flight Puts: a store landing during compaction loses its content"},
	{BugUnlockedActivation, "UpdateActivation is an unlocked read-modify-write of the block header: it can undo a concurrent compaction rewrite"},
	{BugIndexBeforeBlock, "a Put publishes the index entry before writing the block: Get/Iterate can see an unwritten or stale block"},
	{BugCountOnFailedStore, "Live and ContentBytesLive are counted before the Put can fail: a failed Put stays counted, its content orphaned"},
	{BugPanicHoldsLock, "the shard lock is not released when a panic unwinds: later operations on that shard hang"},
	{BugSyncSkipsContent, "Sync does not flush the content region: synced records lose their content on power loss"},
	{BugRecoveryTrustsTorn, "recovery accepts records without checking their checksums: torn records are returned as data"},
}

// Bugs returns the seeded-bug catalogue.
func Bugs() []BugInfo { return append([]BugInfo(nil), allBugs...) }

// bugSet is the switched-on bugs, read on the hot path as plain booleans.
// With none on, none of their code runs.
type bugSet struct {
	slotRace             bool
	contentOffsetRace    bool
	compactionSwapWindow bool
	compactionLostStore  bool
	unlockedActivation   bool
	indexBeforeBlock     bool
	countOnFailedStore   bool
	panicHoldsLock       bool
	syncSkipsContent     bool
	recoveryTrustsTorn   bool
}

func parseBugs(names []Bug) (bugSet, error) {
	var b bugSet
	for _, n := range names {
		switch n {
		case BugSlotRace:
			b.slotRace = true
		case BugContentOffsetRace:
			b.contentOffsetRace = true
		case BugCompactionSwapWindow:
			b.compactionSwapWindow = true
		case BugCompactionLostStore:
			b.compactionLostStore = true
		case BugUnlockedActivation:
			b.unlockedActivation = true
		case BugIndexBeforeBlock:
			b.indexBeforeBlock = true
		case BugCountOnFailedStore:
			b.countOnFailedStore = true
		case BugPanicHoldsLock:
			b.panicHoldsLock = true
		case BugSyncSkipsContent:
			b.syncSkipsContent = true
		case BugRecoveryTrustsTorn:
			b.recoveryTrustsTorn = true
		default:
			return bugSet{}, fmt.Errorf("%w: %q", ErrUnknownBug, n)
		}
	}
	return b, nil
}
