package register

// searchScratch is the maps and slices one partition's prune and
// runCompactSearch (and its doomTracker) build, kept by a worker goroutine
// between partitions and cleared rather than reallocated (DESIGN.md: fresh
// ones dominated wide histories). A scratch is owned by one goroutine at a
// time; nothing built from it outlives the search that used it
// (runCompactSearch returns a fresh order). nil means "allocate fresh".
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
	// runCompactSearch's and the doom tracker's per-op slices and its stack.
	byCall, byRet, arena          []int
	dead, placed                  []bool
	free                          []uint8
	z1, z2                        []uint64
	stack                         []searchFrame
	getIdent, getVersion          []int32
	isAbsenceRead, isAbsenceMaker []bool
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

// scratchSlice returns a zeroed slice of n elements: sc's field resliced
// (and cleared) when it has room, else a fresh one kept there for next
// time; a fresh one when sc is nil.
func scratchSlice[T any](sc *searchScratch, field func(*searchScratch) *[]T, n int) []T {
	if sc == nil {
		return make([]T, n)
	}
	f := field(sc)
	if cap(*f) < n {
		*f = make([]T, n)
		return *f
	}
	s := (*f)[:n]
	clear(s)
	return s
}
