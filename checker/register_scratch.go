package checker

// searchScratch is the maps one partition's prune and searchCompact call
// (and its doomTracker) build, kept by a worker goroutine between partitions and cleared rather
// than reallocated. On wide histories (1,000 partitions of ~1,000 ops) the
// fresh maps were ~700 MB of allocation and the largest CPU cost of the
// check (first-touch page faults while initializing their tables). A
// scratch is owned by one goroutine at a time; nothing built from it
// outlives the search that used it (searchCompact returns a fresh order).
// nil means "allocate fresh", as before.
type searchScratch struct {
	putOf      map[valueKey]int
	putOfIdent map[writeIdentity]int
	uaOf       map[uint32]int
	readIdent  map[writeIdentity]bool
	readAct    map[uint32]bool
	seen       map[cacheKey]struct{}
	identID    map[writeIdentity]int32
	versionID  map[valueKey]int32
	idents     map[writeIdentity]struct{}
	putActs    map[uint32]struct{}
	uaActs     map[uint32]struct{}
	uaIdentity map[uint32]writeIdentity
	// prune's and clampUpdates'.
	pruneWriter   map[writeIdentity]int
	firstObserver map[int]int64
	clampActs     map[uint32]int
	clampPutActs  map[uint32]bool
	clampOut      map[int]int64
}

// reuseMap returns *m emptied, or a fresh map with room for hint entries
// when there is none yet or the one kept grew far larger than this use
// needs (clearing costs its capacity, and one huge partition should not
// make every later small one pay for it).
func reuseMap[K comparable, V any](m *map[K]V, hint int) map[K]V {
	if *m == nil || len(*m) > 4*hint+4096 {
		*m = make(map[K]V, hint)
		return *m
	}
	clear(*m)
	return *m
}

// scratchMap is reuseMap on sc's field, or a fresh map when sc is nil.
func scratchMap[K comparable, V any](sc *searchScratch, field func(*searchScratch) *map[K]V, hint int) map[K]V {
	if sc == nil {
		return make(map[K]V, hint)
	}
	return reuseMap(field(sc), hint)
}
