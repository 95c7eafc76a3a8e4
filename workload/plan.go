package workload

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Op is one operation a worker is to perform. Only the fields its Kind uses
// are set.
type Op struct {
	Kind       history.Op
	ID         string       // put, get, remove, update-activation
	Memory     store.Memory // put
	Activation float32      // update-activation
	Threshold  float32      // recall
}

// Overrides are the run flags that change a workload's parameters. Zero
// fields keep the workload's value.
type Overrides struct {
	Workers int
	Ops     int
	// Unbounded makes every worker's stream endless: the run stops it (the
	// --duration flag).
	Unbounded bool
	// Faults, when non-nil, are the faults the run was asked for in place of
	// the workload's: a Random workload then draws only parameters under
	// which each of them can fire.
	Faults []string
	// CanFire reports whether fault can fire under a load with parameters
	// p (nil: every fault can). A Random workload's own faults are drawn
	// only among those that can.
	CanFire func(fault string, p Params) bool
}

// Plan is a workload made concrete for one seed: the parameters after the
// draw (property) and the overrides, and the faults it runs under.
type Plan struct {
	Workload string
	Seed     int64
	Params   Params
	Faults   []string
	Mode     Mode
}

// Salts keep the rand streams of one seed apart.
const (
	saltWorker  = 0x5752_4b52 // + worker index
	saltDraw    = 0x4452_4157 // + attempt
	saltPreload = 0x5052_454c
)

// maxDraws bounds how many parameter sets a Random workload draws, for one
// seed, looking for one under which the asked-for faults can fire.
const maxDraws = 64

// Plan fixes the workload's parameters for seed and applies the overrides.
// For a Random workload, every fault of the plan and of o.Faults can fire
// (o.CanFire) under the plan's parameters, or Plan fails: it redraws until
// they can, attempt k drawing from stream (seed, saltDraw+k), so a seed keeps
// the parameters of its first draw whenever that one suits. A fixed
// workload's faults are checked by the caller, against the same rule.
func (w Workload) Plan(seed int64, o Overrides) (*Plan, error) {
	if o.Workers < 0 || o.Ops < 0 {
		return nil, fmt.Errorf("%w: negative workers or ops", ErrBadParameter)
	}
	canFire := o.CanFire
	if canFire == nil {
		canFire = func(string, Params) bool { return true }
	}
	if !w.Random {
		p := o.apply(w.Params)
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		return &Plan{Workload: w.Name, Seed: seed, Params: p, Faults: append([]string(nil), w.Faults...), Mode: w.Mode}, nil
	}
	for attempt := range maxDraws {
		p, pool := drawParams(seed, uint64(attempt), w.Params, w.FaultPool)
		p = o.apply(p)
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("workload %s: %w", w.Name, err)
		}
		if firstBlocked(o.Faults, p, canFire) != "" {
			continue
		}
		faults := []string{}
		for _, f := range pool {
			if canFire(f, p) {
				faults = append(faults, f)
			}
		}
		return &Plan{Workload: w.Name, Seed: seed, Params: p, Faults: faults, Mode: w.Mode}, nil
	}
	return nil, fmt.Errorf("%w: workload %s, seed %d: none of %d drawn parameter sets lets every one of %s fire",
		ErrBadParameter, w.Name, seed, maxDraws, strings.Join(o.Faults, ","))
}

// firstBlocked is the first of faults that cannot fire under p, "" if none.
func firstBlocked(faults []string, p Params, canFire func(string, Params) bool) string {
	for _, f := range faults {
		if !canFire(f, p) {
			return f
		}
	}
	return ""
}

// apply sets the overridden fields of p.
func (o Overrides) apply(p Params) Params {
	if o.Workers > 0 {
		p.Workers = o.Workers
	}
	if o.Ops > 0 {
		p.Ops = o.Ops
	}
	if o.Unbounded {
		p.Ops = 0
	}
	return p
}

// drawParams is the property workload: everything drawn from the seed and
// attempt, bounded by the registry's Params, and the faults of pool drawn
// (each in or out with even odds) for the caller to keep those that can fire.
func drawParams(seed int64, attempt uint64, bound Params, pool []string) (Params, []string) {
	r := rand.New(rand.NewPCG(uint64(seed), saltDraw+attempt))
	p := Params{
		Workers:       1 + r.IntN(max(1, bound.Workers)),
		Ops:           200 + r.IntN(max(1, bound.Ops-200)),
		IDSpace:       logUniform(r, max(1, bound.IDSpace)),
		Barrier:       r.IntN(2) == 0,
		SnapshotEvery: bound.SnapshotEvery,
	}
	p.Preload = r.IntN(min(p.IDSpace, bound.Preload) + 1)
	p.Mix = Mix{
		Put: 1 + r.IntN(10), Get: r.IntN(10), Remove: r.IntN(4), UpdateActivation: r.IntN(4),
		Iterate: r.IntN(2), Recall: r.IntN(2), Sync: r.IntN(3),
	}
	if r.IntN(3) == 0 {
		p.Mix.Compact = 1
	}
	p.Sizes = DefaultSizes
	if r.IntN(2) == 0 {
		p.Sizes = SizeMix{Small: r.IntN(10), Medium: r.IntN(5), Large: r.IntN(2), Nil: r.IntN(2), Empty: r.IntN(2)}
		if p.Sizes.total() == 0 {
			p.Sizes.Small = 1
		}
	}
	var faults []string
	for _, f := range pool {
		if r.IntN(2) == 0 {
			faults = append(faults, f)
		}
	}
	return p, faults
}

// logUniform draws from 1..n with every order of magnitude equally likely:
// small id spaces (hot keys) come up as often as large ones.
func logUniform(r *rand.Rand, n int) int {
	bits := 0
	for (1 << bits) < n {
		bits++
	}
	hi := 1 << r.IntN(bits+1)
	return min(n, hi/2+1+r.IntN(max(1, hi/2)))
}

// Preload returns the operations that fill the store before the workers
// start: one put of each id m00000..m(Preload-1).
func (p *Plan) Preload() []Op {
	g := newValueGen(p.Seed, p.Params, p.Params.Workers, "p", saltPreload)
	ops := make([]Op, p.Params.Preload)
	for i := range ops {
		id := idName(i)
		ops[i] = Op{Kind: history.OpPut, ID: id, Memory: g.memory(id)}
	}
	return ops
}

// Stream returns worker's operation stream. Streams of one plan are
// independent: each may be consumed by its own goroutine.
func (p *Plan) Stream(worker int) *Stream {
	n := p.Params.Ops / p.Params.Workers
	if worker < p.Params.Ops%p.Params.Workers {
		n++
	}
	if p.Params.Ops == 0 {
		n = -1
	}
	return &Stream{
		worker:    worker,
		params:    p.Params,
		remaining: n,
		values:    newValueGen(p.Seed, p.Params, worker, fmt.Sprintf("w%d", worker), saltWorker+uint64(worker)),
	}
}

// Stream is one worker's deterministic sequence of operations.
type Stream struct {
	worker    int
	params    Params
	remaining int // operations left before the read-back; -1: unbounded
	values    *valueGen
	putIDs    []string // FreshIDs: the ids this worker has put, in order
	readBack  int      // next index of putIDs to read back
}

// Next returns the next operation, or false when the stream is done.
func (s *Stream) Next() (Op, bool) {
	if s.remaining != 0 {
		if s.remaining > 0 {
			s.remaining--
		}
		return s.draw(), true
	}
	if s.params.ReadBack && s.readBack < len(s.putIDs) {
		id := s.putIDs[s.readBack]
		s.readBack++
		return Op{Kind: history.OpGet, ID: id}, true
	}
	return Op{}, false
}

// Extra returns one more operation drawn from the mix after the stream is
// done: the runner uses it to keep a short run going until every requested
// fault has fired. It continues the same rand stream, so a rerun with the
// same seed draws the same extra operations.
func (s *Stream) Extra() Op { return s.draw() }

func (s *Stream) draw() Op {
	r := s.values.rng
	kind := s.params.Mix.draw(r)
	switch kind {
	case history.OpIterate, history.OpCompact, history.OpSync:
		return Op{Kind: kind}
	case history.OpRecall:
		return Op{Kind: kind, Threshold: 0.5 + r.Float32()/2}
	}
	id, fresh := s.pickID(kind)
	if fresh {
		kind = history.OpPut
	}
	switch kind {
	case history.OpPut:
		return Op{Kind: kind, ID: id, Memory: s.values.memory(id)}
	case history.OpUpdateActivation:
		return Op{Kind: kind, ID: id, Activation: s.values.activation()}
	}
	return Op{Kind: kind, ID: id}
}

// pickID chooses the memory an operation touches. With FreshIDs a put gets
// a new id and anything else one of the worker's own; fresh reports that a
// new id was minted (the operation must then be a put).
func (s *Stream) pickID(kind history.Op) (id string, fresh bool) {
	if !s.params.FreshIDs {
		return idName(s.values.rng.IntN(s.params.IDSpace)), false
	}
	if kind != history.OpPut && len(s.putIDs) > 0 {
		return s.putIDs[s.values.rng.IntN(len(s.putIDs))], false
	}
	id = fmt.Sprintf("w%02d-%05d", s.worker, len(s.putIDs))
	s.putIDs = append(s.putIDs, id)
	return id, true
}

func idName(i int) string { return fmt.Sprintf("m%05d", i) }
