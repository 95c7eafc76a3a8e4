package register

import (
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// linearizeByZones builds a candidate linearization of a partition with
// removes and update-activations from the zone structure (the constructive
// side of Gibbons & Korach): clusters are ordered by a representative point
// of their zones, at two levels, and every op gets the earliest point its
// place allows. For put/get partitions with no zone conflict this always
// succeeds (the points stay inside the ops' intervals, so real time is
// respected, and clusters stay contiguous). What the zones do not see is
// settled greedily: found removes and reads of absence float and are placed
// at content boundaries, unobserved updates go right before a write. The
// result is only a candidate: verifyOrder decides.
//
//   - identity level: a cluster per put (its content, any activation) and
//     for the initial state; members are the gets of that content and the
//     update-activations whose new version a get returned on it.
//   - version level, inside a content cluster: the put's own version first,
//     then a cluster per observed update-activation, each with its gets.
//   - a found remove is placed at the first content boundary (after all of a
//     content's clusters, before the next put) where the clock can reach its
//     call without pushing any planned op past its return; reads of absence
//     (gets of absent, not-found removes and updates) go whenever the memory
//     is absent and they fit;
//   - info ops still unbounded go last, where their effect is invisible.
//
// When a construction completes but does not replay, it is returned as a
// guide for the search (ok false, guide non-nil).
func linearizeByZones(p *regPartition, ops []regOp) (order []int, ok bool) {
	order, guide := linearizeOrGuide(p, ops)
	return order, guide == nil && order != nil
}

func linearizeOrGuide(p *regPartition, ops []regOp) (order, guide []int) {
	var first []int
	ok := false
	for _, assign := range []absenceAssignment{assignLatestCall, assignLatestCallBeforeCall, assignLatestReturn} {
		o, built := constructByZones(p, ops, true, assign)
		if built && verifyOrder(p.initial, ops, o) {
			return o, nil
		}
		if built && !ok {
			first, ok = o, true
		}
	}
	second, ok2 := constructByZones(p, ops, false, assignLatestCall)
	if ok2 && verifyOrder(p.initial, ops, second) {
		return second, nil
	}
	if ok2 && len(second) == len(ops) {
		// The skeleton without removes (always buildable for puts, gets and
		// updates) with removes and reads of absence merged in by call time.
		return nil, second
	}
	if ok {
		return nil, first
	}
	return nil, nil
}

// constructByZones builds the candidate. removesAsClusters: a found remove
// is a cluster of its own (a unique absence, read by the reads of absence
// that returned after it was invoked and before the next remove was),
// ordered by its zone like a put, so the zones place it in time; the found
// flag (the memory must be present before it) is left to verification.
// Otherwise removes and reads of absence are inserted afterwards at content
// boundaries (insertAbsences).
func constructByZones(p *regPartition, ops []regOp, removesAsClusters bool, assign absenceAssignment) ([]int, bool) {
	if !p.initialKnown {
		return nil, false
	}
	c, ok := clustersOf(p, ops)
	if !ok {
		return nil, false
	}
	if removesAsClusters && !c.clusterAbsences(assign) {
		return nil, false
	}
	c.collectUnplanned()
	if !c.orderClusters() {
		return nil, false
	}
	plan, boundary, slack := c.plan()
	order, points, starts, ok := c.sweep(plan, boundary, slack)
	if !ok {
		return nil, false
	}
	return c.fitAbsences(order, points, starts, removesAsClusters)
}

// zoneVersion is a version cluster of a construction: a writer (a put, an
// observed update-activation, or -1 for the initial value) with the reads
// that returned its version, its zone and its representative point.
type zoneVersion struct {
	writer int
	reads  []int
	f, s   zoneEnd
	rep    int64
}

// zoneContent is a content cluster: the versions of one write identity
// (versions[0] is the put's own, or the initial value's), its zone (every
// op of every version is a member) and its representative point. absent: a
// cluster of absence (the initial absence, or a found remove's).
type zoneContent struct {
	versions []*zoneVersion
	f, s     zoneEnd
	rep      int64
	absent   bool
}

// construction is constructByZones's working set. Invariant: contents[0]
// is the initial state's cluster; the other contents are the puts with a
// return (and, with removes as clusters, the found removes).
type construction struct {
	p        *regPartition
	ops      []regOp
	contents []*zoneContent
	// uaVersion: the version cluster of each observed update-activation.
	uaVersion map[int]*zoneVersion
	// What the clusters leave out: found removes and reads of absence (unless
	// clustered), unobserved found updates, ops with no return.
	removes, absentReads, deadUAs, last []int
}

func (c *construction) newVersion(w int) *zoneVersion {
	if w < 0 {
		return &zoneVersion{writer: -1, f: zoneEnd{-1, -1}, s: zoneEnd{-1, -1}}
	}
	return &zoneVersion{writer: w, f: zoneEnd{w, c.ops[w].ret}, s: zoneEnd{w, c.ops[w].call}}
}

// clustersOf files every op of a partition with a known initial state: a
// content cluster per put with a return, a version cluster per observed
// update-activation, each found get with the version it returned. It fails
// (no construction) when identities or update activations repeat, or a get
// returned a version no op wrote.
func clustersOf(p *regPartition, ops []regOp) (*construction, bool) {
	c := &construction{p: p, ops: ops, uaVersion: map[int]*zoneVersion{}}
	c.contents = []*zoneContent{{versions: []*zoneVersion{c.newVersion(-1)}, absent: !p.initial.present}}
	byIdentity := map[writeIdentity]int{}
	putOf := map[valueKey]bool{}
	putActs := map[uint32]bool{}
	if p.initial.present {
		byIdentity[identityOf(p.initial.value)] = 0
		putOf[p.initial.value] = true
		putActs[p.initial.value.act()] = true
	}
	for i, o := range ops {
		switch {
		case o.op == history.OpPut && o.ret != infinity:
			id := identityOf(o.value)
			if _, dup := byIdentity[id]; dup {
				return nil, false
			}
			byIdentity[id] = len(c.contents)
			c.contents = append(c.contents, &zoneContent{versions: []*zoneVersion{c.newVersion(i)}})
			putOf[o.value] = true
			putActs[o.value.act()] = true
		case o.op == history.OpRemove && o.found && o.status == statusOK:
			c.removes = append(c.removes, i)
		}
	}
	uaOf := map[uint32]int{}
	for i, o := range ops {
		if o.op == history.OpUpdateActivation {
			if _, dup := uaOf[o.activation]; dup || putActs[o.activation] {
				return nil, false
			}
			uaOf[o.activation] = i
		}
	}
	uaIdentOf := map[int]int{}
	for i, o := range ops {
		switch {
		case o.op == history.OpGet && o.status == statusOK && o.found:
			k, ok := byIdentity[identityOf(o.output)]
			if !ok {
				return nil, false
			}
			if putOf[o.output] {
				c.contents[k].versions[0].reads = append(c.contents[k].versions[0].reads, i)
				continue
			}
			u, ok := uaOf[o.output.act()]
			if !ok || ops[u].ret == infinity || !ops[u].found {
				return nil, false
			}
			if prev, seen := uaIdentOf[u]; seen && prev != k {
				return nil, false
			}
			if c.uaVersion[u] == nil {
				c.uaVersion[u] = c.newVersion(u)
				uaIdentOf[u] = k
				c.contents[k].versions = append(c.contents[k].versions, c.uaVersion[u])
			}
			c.uaVersion[u].reads = append(c.uaVersion[u].reads, i)
		case o.status == statusOK && (o.op == history.OpGet || (o.op != history.OpPut && !o.found)):
			c.absentReads = append(c.absentReads, i)
		}
	}
	return c, true
}

// clusterAbsences makes every found remove a cluster of absence and files
// each read of absence with the remove assign picks (or the initial
// absence); it fails when a read of absence has no absence to read.
func (c *construction) clusterAbsences(assign absenceAssignment) bool {
	ops := c.ops
	byCall := append([]int(nil), c.removes...)
	sort.Slice(byCall, func(a, b int) bool { return ops[byCall[a]].call < ops[byCall[b]].call })
	clusterOf := map[int]*zoneVersion{}
	for _, r := range byCall {
		clusterOf[r] = c.newVersion(r)
		c.contents = append(c.contents, &zoneContent{versions: []*zoneVersion{clusterOf[r]}, absent: true})
	}
	for _, a := range c.absentReads {
		k := assign(ops, byCall, a)
		switch {
		case k >= 0:
			clusterOf[byCall[k]].reads = append(clusterOf[byCall[k]].reads, a)
		case !c.p.initial.present:
			c.contents[0].versions[0].reads = append(c.contents[0].versions[0].reads, a)
		default:
			return false
		}
	}
	c.removes, c.absentReads = nil, nil
	return true
}

// collectUnplanned lists what the clusters leave to the sweep: found
// updates no get observed, and ops with no return (they go last).
func (c *construction) collectUnplanned() {
	for i, o := range c.ops {
		switch {
		case o.op == history.OpUpdateActivation && o.found && o.ret != infinity:
			if _, seen := c.uaVersion[i]; !seen {
				c.deadUAs = append(c.deadUAs, i)
			}
		case o.ret == infinity:
			c.last = append(c.last, i)
		}
	}
}

// orderClusters computes the zones and representative points, per level,
// and sorts the content clusters (after the initial one) and, inside each,
// the version clusters after the put's by them. It fails when the zones
// have no representatives (a zone conflict).
func (c *construction) orderClusters() bool {
	ops := c.ops
	widen := func(f, s *zoneEnd, i int) {
		if ops[i].ret < f.pos {
			*f = zoneEnd{i, ops[i].ret}
		}
		if ops[i].call > s.pos {
			*s = zoneEnd{i, ops[i].call}
		}
	}
	for _, id := range c.contents {
		id.f, id.s = id.versions[0].f, id.versions[0].s
		// Every op of every version cluster is a member of the content
		// cluster (an update reads the content it modifies).
		for _, sb := range id.versions {
			for _, r := range sb.reads {
				widen(&sb.f, &sb.s, r)
				widen(&id.f, &id.s, r)
			}
			if sb.writer >= 0 {
				widen(&id.f, &id.s, sb.writer)
			}
		}
	}
	fs := make([]int64, len(c.contents))
	ss := make([]int64, len(c.contents))
	for k, id := range c.contents {
		fs[k], ss[k] = id.f.pos, id.s.pos
	}
	identReps, ok := zoneReps(fs, ss)
	if !ok {
		return false
	}
	for k, id := range c.contents {
		id.rep = identReps[k]
		if len(id.versions) > 2 {
			rest := id.versions[1:]
			vf := make([]int64, len(rest))
			vs := make([]int64, len(rest))
			for j, sb := range rest {
				vf[j], vs[j] = sb.f.pos, sb.s.pos
			}
			r, ok := zoneReps(vf, vs)
			if !ok {
				return false
			}
			for j, sb := range rest {
				sb.rep = r[j]
			}
			sort.Slice(rest, func(a, b int) bool { return rest[a].rep < rest[b].rep })
		}
	}
	contents := c.contents
	sort.SliceStable(contents[1:], func(a, b int) bool { return contents[1+a].rep < contents[1+b].rep })
	return true
}

// plan lists writers and reads in cluster order; boundary[k]: plan[k] is a
// put (a new content begins; the previous one may end before it);
// slack[k]: the earliest return among plan[k:], so moving the clock up to
// it cannot push any planned op past its return.
func (c *construction) plan() (plan []int, boundary []bool, slack []int64) {
	ops := c.ops
	for _, id := range c.contents {
		for si, sb := range id.versions {
			if sb.writer >= 0 {
				plan = append(plan, sb.writer)
				boundary = append(boundary, si == 0)
			}
			sort.Slice(sb.reads, func(a, b int) bool { return ops[sb.reads[a]].call < ops[sb.reads[b]].call })
			for _, r := range sb.reads {
				plan = append(plan, r)
				boundary = append(boundary, false)
			}
		}
	}
	slack = make([]int64, len(plan)+1)
	slack[len(plan)] = infinity
	for k := len(plan) - 1; k >= 0; k-- {
		slack[k] = min(slack[k+1], ops[plan[k]].ret)
	}
	return plan, boundary, slack
}

// sweep places each planned op at the earliest point its place allows, and
// unobserved updates right before a write while the memory is present.
// starts[k]: order[k] is a put starting a content. It fails when an op's
// point would pass its return, or an unobserved update finds no place.
func (c *construction) sweep(plan []int, boundary []bool, slack []int64) (order []int, points []int64, starts []bool, ok bool) {
	ops := c.ops
	sortByCall(ops, c.deadUAs)
	deadUAs := c.deadUAs
	order = make([]int, 0, len(ops))
	points = make([]int64, 0, len(ops))
	starts = make([]bool, 0, len(ops))
	var cur int64 = -1
	present := c.p.initial.present
	place := func(i int, start bool) bool {
		pt := max(cur, ops[i].call)
		if pt > ops[i].ret {
			return false
		}
		cur = pt
		order = append(order, i)
		points = append(points, pt)
		starts = append(starts, start)
		return true
	}
	nextDead := 0
	for k, i := range plan {
		if present && ops[i].op != history.OpGet {
			for nextDead < len(deadUAs) && ops[deadUAs[nextDead]].call <= slack[k] {
				if !place(deadUAs[nextDead], false) {
					return nil, nil, nil, false
				}
				nextDead++
			}
		}
		if !place(i, boundary[k]) {
			return nil, nil, nil, false
		}
		if ops[i].op == history.OpPut {
			present = true
		} else if ops[i].op == history.OpRemove {
			present = false
		}
	}
	if present {
		for ; nextDead < len(deadUAs); nextDead++ {
			if !place(deadUAs[nextDead], false) {
				return nil, nil, nil, false
			}
		}
	}
	if nextDead < len(deadUAs) {
		return nil, nil, nil, false
	}
	return order, points, starts, true
}

// fitAbsences fits removes and reads of absence into the swept order, two
// ways, keeping the one that replays (each works on its own copy of the
// points), and appends the ops with no return. With no fit it fails when
// removes were clusters, else returns a guide for the search (ok, but it
// will not replay): the skeleton with the rest merged in by call time.
func (c *construction) fitAbsences(order []int, points []int64, starts []bool, removesAsClusters bool) ([]int, bool) {
	p, ops := c.p, c.ops
	var candidate []int
	for _, insert := range []func(*regPartition, []regOp, []int, []int64, []bool, []int, []int) ([]int, bool){insertAbsencesGrouped, insertAbsences} {
		pts := append([]int64(nil), points...)
		rs := append([]int(nil), c.removes...)
		as := append([]int(nil), c.absentReads...)
		if o, ok := insert(p, ops, order, pts, starts, rs, as); ok {
			withLast := append(o, c.last...)
			if verifyOrder(p.initial, ops, withLast) {
				candidate = o
				break
			}
		}
	}
	if candidate == nil {
		if removesAsClusters {
			return nil, false
		}
		candidate = mergeByCall(ops, order, points, append(append([]int(nil), c.removes...), c.absentReads...))
	}
	sortByCall(ops, c.last)
	return append(candidate, c.last...), true
}

// sortByCall sorts op indices xs by their ops' call positions.
func sortByCall(ops []regOp, xs []int) {
	sort.Slice(xs, func(a, b int) bool { return ops[xs[a]].call < ops[xs[b]].call })
}

// insertAbsences places found removes and then reads of absence into a
// constructed order. A remove goes right before a put that starts a content
// (or at the end), where the memory is present, at most one per boundary, in
// order of return, at the first boundary where its point can be chosen
// inside its interval; a read of absence then goes into any absent stretch
// (the start, when the memory starts absent, or right after an inserted
// remove) where it fits. earliest and latest bound each op's point given the
// sequence and are tightened after every insertion, so all points stay
// inside their intervals and real time is respected.
func insertAbsences(p *regPartition, ops []regOp, order []int, points []int64, starts []bool, removes, absentReads []int) ([]int, bool) {
	if len(removes) == 0 && len(absentReads) == 0 {
		return order, true
	}
	n := len(order)
	earliest := points
	latest := make([]int64, n+1)
	latest[n] = infinity
	for k := n - 1; k >= 0; k-- {
		latest[k] = min(ops[order[k]].ret, latest[k+1])
	}
	inserted := make(map[int][]int) // boundary b -> ops placed right before order[b]
	segEnd := make(map[int]int64)   // boundary b -> last point inserted there
	absentAt := map[int]bool{}      // boundary b starts an absent stretch
	if !p.initial.present {
		absentAt[0] = true
		segEnd[0] = -1
	}
	// fit places op i before order[b], after what is already there.
	fit := func(b int, i int) bool {
		lo := int64(-1)
		if b > 0 {
			lo = earliest[b-1]
		}
		if e, ok := segEnd[b]; ok {
			lo = max(lo, e)
		}
		pt := max(lo, ops[i].call)
		if pt > ops[i].ret || pt > latest[b] {
			return false
		}
		inserted[b] = append(inserted[b], i)
		segEnd[b] = pt
		for k := b; k < n && earliest[k] < pt; k++ {
			earliest[k] = pt
		}
		hi := min(latest[b], ops[i].ret)
		for k := b - 1; k >= 0 && latest[k] > hi; k-- {
			latest[k] = hi
		}
		return true
	}
	var bounds []int // where the memory is present just before
	for k := 0; k < n; k++ {
		if starts[k] && (k > 0 || p.initial.present) {
			bounds = append(bounds, k)
		}
	}
	if n > 0 || p.initial.present {
		bounds = append(bounds, n)
	}
	byRet := append([]int(nil), removes...)
	sort.Slice(byRet, func(a, b int) bool { return ops[byRet[a]].ret < ops[byRet[b]].ret })
	for _, r := range byRet {
		j := sort.Search(len(bounds), func(j int) bool { return latest[bounds[j]] >= ops[r].call })
		done := false
		for ; j < len(bounds) && !done; j++ {
			b := bounds[j]
			if b > 0 && earliest[b-1] > ops[r].ret {
				break
			}
			if !absentAt[b] && fit(b, r) {
				absentAt[b] = true
				done = true
			}
		}
		if !done {
			return nil, false
		}
	}
	var stretches []int
	for b := range absentAt {
		stretches = append(stretches, b)
	}
	sort.Ints(stretches)
	sort.Slice(absentReads, func(a, b int) bool { return ops[absentReads[a]].call < ops[absentReads[b]].call })
	for _, r := range absentReads {
		j := sort.Search(len(stretches), func(j int) bool { return latest[stretches[j]] >= ops[r].call })
		done := false
		for ; j < len(stretches) && !done; j++ {
			b := stretches[j]
			if b > 0 && earliest[b-1] > ops[r].ret {
				break
			}
			done = fit(b, r)
		}
		if !done {
			return nil, false
		}
	}
	out := make([]int, 0, n+len(removes)+len(absentReads))
	for k := 0; k <= n; k++ {
		out = append(out, inserted[k]...)
		if k < n {
			out = append(out, order[k])
		}
	}
	return out, true
}

// insertAbsencesGrouped places found removes, each with the reads of absence
// assigned to it (those that returned after it was invoked and before the
// next remove was), at content boundaries of a constructed order: right
// before a put that starts a content (or at the end), where the memory is
// present and the points can be chosen inside every interval. earliest and
// latest bound each op's point given the sequence; a group fits at boundary
// b when its points, taken as early as possible after earliest[b-1], stay
// below latest[b] and inside their own intervals. Groups go in order of
// their remove's return, each at the first boundary that fits; reads of
// absence before any remove go at the start when the memory starts absent.
func insertAbsencesGrouped(p *regPartition, ops []regOp, order []int, points []int64, starts []bool, removes, absentReads []int) ([]int, bool) {
	if len(removes) == 0 && len(absentReads) == 0 {
		return order, true
	}
	n := len(order)
	earliest := points
	latest := make([]int64, n+1)
	latest[n] = infinity
	for k := n - 1; k >= 0; k-- {
		latest[k] = min(ops[order[k]].ret, latest[k+1])
	}
	sort.Slice(removes, func(a, b int) bool { return ops[removes[a]].call < ops[removes[b]].call })
	groups := make(map[int][]int, len(removes)) // remove -> reads of absence, by call
	var initialReads []int
	for _, r := range absentReads {
		k := sort.Search(len(removes), func(j int) bool { return ops[removes[j]].call >= ops[r].ret }) - 1
		if k < 0 {
			initialReads = append(initialReads, r)
		} else {
			groups[removes[k]] = append(groups[removes[k]], r)
		}
	}
	inserted := make(map[int][]int) // boundary -> ops placed right before order[b]
	// fit tries group g (first op a remove, or none for the initial
	// absence) before order[b]; on success it records the points.
	fit := func(b int, g []int) bool {
		lo := int64(-1)
		if b > 0 {
			lo = earliest[b-1]
		}
		pt := lo
		for _, i := range g {
			pt = max(pt, ops[i].call)
			if pt > ops[i].ret || pt > latest[b] {
				return false
			}
		}
		// Commit: later ops cannot go before pt, earlier ops not after the
		// group's latest admissible point.
		inserted[b] = append(inserted[b], g...)
		for k := b; k < n && earliest[k] < pt; k++ {
			earliest[k] = pt
		}
		hi := latest[b]
		for _, i := range g {
			hi = min(hi, ops[i].ret)
		}
		for k := b - 1; k >= 0 && latest[k] > hi; k-- {
			latest[k] = hi
		}
		return true
	}
	if len(initialReads) > 0 {
		if p.initial.present || !fit(0, initialReads) {
			return nil, false
		}
	}
	byRet := append([]int(nil), removes...)
	sort.Slice(byRet, func(a, b int) bool { return ops[byRet[a]].ret < ops[byRet[b]].ret })
	// Boundaries where the memory is present just before: before each
	// content-starting put except the first when the memory starts absent,
	// and the end.
	var bounds []int
	for k := 0; k < n; k++ {
		if starts[k] && (k > 0 || p.initial.present) {
			bounds = append(bounds, k)
		}
	}
	if n > 0 || p.initial.present {
		bounds = append(bounds, n)
	}
	for _, r := range byRet {
		g := append([]int{r}, groups[r]...)
		sort.Slice(g[1:], func(a, b int) bool { return ops[g[1+a]].call < ops[g[1+b]].call })
		// The first boundary whose window can reach the remove's call.
		j := sort.Search(len(bounds), func(j int) bool { return latest[bounds[j]] >= ops[r].call })
		done := false
		for ; j < len(bounds); j++ {
			b := bounds[j]
			if b > 0 && earliest[b-1] > ops[r].ret {
				break
			}
			if len(inserted[b]) > 0 && b != 0 {
				continue
			}
			if b == 0 && len(inserted[0]) > 0 {
				continue
			}
			if fit(b, g) {
				done = true
				break
			}
		}
		if !done {
			return nil, false
		}
	}
	out := make([]int, 0, n+len(removes)+len(absentReads))
	for k := 0; k <= n; k++ {
		out = append(out, inserted[k]...)
		if k < n {
			out = append(out, order[k])
		}
	}
	return out, true
}

// mergeByCall inserts extra ops into order (whose ops sit at points) where
// their call time falls.
func mergeByCall(ops []regOp, order []int, points []int64, extra []int) []int {
	sort.Slice(extra, func(a, b int) bool { return ops[extra[a]].call < ops[extra[b]].call })
	out := make([]int, 0, len(order)+len(extra))
	j := 0
	for k, i := range order {
		for j < len(extra) && ops[extra[j]].call <= points[k] {
			out = append(out, extra[j])
			j++
		}
		out = append(out, i)
	}
	return append(out, extra[j:]...)
}

// absenceAssignment guesses which remove's absence a read of absence saw:
// an index into removes (sorted by call), or -1 for the initial absence.
type absenceAssignment func(ops []regOp, removes []int, read int) int

// assignLatestCall: the last remove invoked before the read returned.
func assignLatestCall(ops []regOp, removes []int, read int) int {
	return sort.Search(len(removes), func(j int) bool { return ops[removes[j]].call >= ops[read].ret }) - 1
}

// assignLatestCallBeforeCall: the last remove invoked before the read was
// invoked, else assignLatestCall.
func assignLatestCallBeforeCall(ops []regOp, removes []int, read int) int {
	if k := sort.Search(len(removes), func(j int) bool { return ops[removes[j]].call >= ops[read].call }) - 1; k >= 0 {
		return k
	}
	return assignLatestCall(ops, removes, read)
}

// assignLatestReturn: of the removes invoked before the read returned, the
// one that returned last before it did (else assignLatestCall).
func assignLatestReturn(ops []regOp, removes []int, read int) int {
	best := -1
	for j := assignLatestCall(ops, removes, read); j >= 0 && j >= len(removes)-64; j-- {
		r := removes[j]
		if ops[r].ret < ops[read].ret && (best < 0 || ops[r].ret > ops[removes[best]].ret) {
			best = j
		}
	}
	if best < 0 {
		return assignLatestCall(ops, removes, read)
	}
	return best
}

// zoneReps gives each zone (f, s) a representative point: a forward zone
// (f < s) its f; a backward zone a point of [s, f] outside every forward
// zone. Sorting clusters by it orders them as a linearization must. ok is
// false when zones conflict.
func zoneReps(fs, ss []int64) ([]int64, bool) {
	type fz struct{ f, s int64 }
	var fwd []fz
	for i := range fs {
		if fs[i] < ss[i] {
			fwd = append(fwd, fz{fs[i], ss[i]})
		}
	}
	sort.Slice(fwd, func(a, b int) bool { return fwd[a].f < fwd[b].f })
	for i := 0; i+1 < len(fwd); i++ {
		if fwd[i+1].f < fwd[i].s {
			return nil, false
		}
	}
	out := make([]int64, len(fs))
	for i := range fs {
		if fs[i] < ss[i] {
			out[i] = fs[i]
			continue
		}
		r := ss[i]
		k := sort.Search(len(fwd), func(j int) bool { return fwd[j].f >= r }) - 1
		if k >= 0 && r < fwd[k].s {
			r = fwd[k].s
		}
		if r > fs[i] {
			return nil, false
		}
		out[i] = r
	}
	return out, true
}
