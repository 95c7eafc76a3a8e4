// Package synth generates synthetic histories of a linearizable memory store
// (and mutations of them), for testing and benchmarking the checker without a
// store. It imports only history; it is internal to checker.
package synth

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"github.com/warmcheck/warmcheck/history"
)

// Config describes a synthetic run. Zero weights default to puts and gets
// only; zero durations to 50µs operations with 20µs think time.
type Config struct {
	Seed     uint64
	Workers  int
	Memories int
	Ops      int
	// Op mix weights.
	Put, Get, Remove, Update int
	// InfoRate: fraction of operations that complete info (their effect
	// happened or not, at random); FailRate: fraction that fail (no effect).
	InfoRate, FailRate float64
	// Crashes splits the run into Crashes+1 epochs, each ended by a kill:
	// ops pending then never complete; the restart snapshot holds the state.
	Crashes int
	// Initial: an "initial" snapshot pre-fills half the memories.
	Initial bool
	// MeanDuration and MeanGap are in ns.
	MeanDuration, MeanGap float64
	// Hot: fraction of operations going to memory 0 (0: uniform).
	Hot float64
}

type simOp struct {
	worker         int
	process        int64
	op             history.Op
	id             int
	call, lin, ret int64
	outcome        history.Type // OK, Fail, Info; 0 = pending at a crash
	effect         bool
	value          history.Value
	activation     float32
	found          bool
	out            history.Value
}

type stamped struct {
	time int64
	seq  int
	ev   history.Event
}

// MemoryID names memory i.
func MemoryID(i int) string { return fmt.Sprintf("m%04d", i) }

// Generate simulates cfg: every worker runs operations back to back, each
// taking effect at a random instant strictly inside its interval, applied in
// that order to a sequential store. The result is linearizable by
// construction.
func Generate(cfg Config) []history.Event {
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.Memories <= 0 {
		cfg.Memories = 1
	}
	if cfg.Put+cfg.Get+cfg.Remove+cfg.Update == 0 {
		cfg.Put, cfg.Get = 1, 1
	}
	if cfg.MeanDuration <= 0 {
		cfg.MeanDuration = 50_000
	}
	if cfg.MeanGap <= 0 {
		cfg.MeanGap = 20_000
	}
	rng := rand.New(rand.NewPCG(cfg.Seed, 0x5eed))
	var out []stamped
	seq := 0
	emit := func(t int64, e history.Event) {
		out = append(out, stamped{t, seq, e})
		seq++
	}
	state := make([]*history.Value, cfg.Memories)
	var unique uint64
	nextValue := func() history.Value {
		unique++
		return history.Value{HasContent: true, ContentDigest: mix(cfg.Seed, unique), ContentLen: uint32(16 + unique%64),
			EmbeddingDigest: mix(cfg.Seed^0xe, unique), Confidence: 0.5, Activation: float32(rng.IntN(1000)) / 1000}
	}
	if cfg.Initial {
		var layout []history.Entry
		for i := 0; i < cfg.Memories; i += 2 {
			v := nextValue()
			state[i] = &v
			layout = append(layout, history.Entry{ID: MemoryID(i), Value: v})
		}
		emit(0, history.Event{Kind: history.KindSnapshot, Type: history.Info, Snapshot: &history.Snapshot{Reason: "initial", Layout: layout}})
	}
	process := make([]int64, cfg.Workers)
	for w := range process {
		process[w] = int64(w)
	}
	var now int64 = 1
	epochs := cfg.Crashes + 1
	for ep := 0; ep < epochs; ep++ {
		n := cfg.Ops / epochs
		if ep == epochs-1 {
			n = cfg.Ops - n*(epochs-1)
		}
		next := make([]int64, cfg.Workers)
		for w := range next {
			next[w] = now + 1 + int64(rng.ExpFloat64()*cfg.MeanGap)
		}
		ops := make([]simOp, 0, n)
		for range n {
			w := 0
			for i := range next {
				if next[i] < next[w] {
					w = i
				}
			}
			o := simOp{worker: w, process: process[w], call: next[w]}
			o.ret = o.call + 2 + int64(rng.ExpFloat64()*cfg.MeanDuration)
			o.lin = o.call + 1 + rng.Int64N(o.ret-o.call-1)
			o.id = rng.IntN(cfg.Memories)
			if cfg.Hot > 0 && rng.Float64() < cfg.Hot {
				o.id = 0
			}
			r := rng.IntN(cfg.Put + cfg.Get + cfg.Remove + cfg.Update)
			switch {
			case r < cfg.Put:
				o.op, o.value = history.OpPut, nextValue()
			case r < cfg.Put+cfg.Get:
				o.op = history.OpGet
			case r < cfg.Put+cfg.Get+cfg.Remove:
				o.op = history.OpRemove
			default:
				unique++
				o.op, o.activation = history.OpUpdateActivation, float32(unique%(1<<24))
			}
			o.outcome, o.effect = history.OK, true
			switch f := rng.Float64(); {
			case f < cfg.FailRate:
				o.outcome, o.effect = history.Fail, false
			case f < cfg.FailRate+cfg.InfoRate:
				o.outcome, o.effect = history.Info, rng.IntN(2) == 0
				process[w] += int64(cfg.Workers)
			}
			next[w] = o.ret + 1 + int64(rng.ExpFloat64()*cfg.MeanGap)
			ops = append(ops, o)
		}
		crash := int64(math.MaxInt64)
		if ep < epochs-1 {
			crash = 0
			for _, o := range ops {
				crash = max(crash, o.call+1)
			}
			for i := range ops {
				if ops[i].ret >= crash {
					ops[i].outcome = 0
					ops[i].effect = ops[i].lin < crash
					process[ops[i].worker] += int64(cfg.Workers)
				}
			}
		}
		order := make([]int, len(ops))
		for i := range order {
			order[i] = i
		}
		sort.Slice(order, func(a, b int) bool { return ops[order[a]].lin < ops[order[b]].lin })
		for _, i := range order {
			o := &ops[i]
			if !o.effect {
				continue
			}
			cur := state[o.id]
			o.found = cur != nil
			switch o.op {
			case history.OpPut:
				v := o.value
				state[o.id] = &v
			case history.OpGet:
				if cur != nil {
					o.out = *cur
				}
			case history.OpRemove:
				state[o.id] = nil
			case history.OpUpdateActivation:
				if cur != nil {
					v := *cur
					v.Activation = o.activation
					state[o.id] = &v
				}
			}
		}
		for _, o := range ops {
			inv := history.Event{Kind: history.KindOp, Type: history.Invoke, Process: o.process, Worker: int32(o.worker), Op: o.op, ID: MemoryID(o.id)}
			switch o.op {
			case history.OpPut:
				inv.Input = &history.Input{Value: o.value}
			case history.OpUpdateActivation:
				inv.Input = &history.Input{Activation: o.activation}
			}
			emit(o.call, inv)
			if o.outcome == 0 {
				continue
			}
			comp := history.Event{Kind: history.KindOp, Type: o.outcome, Process: o.process, Worker: int32(o.worker), Op: o.op, ID: MemoryID(o.id)}
			switch o.outcome {
			case history.OK:
				comp.Output = &history.Output{Found: o.found, Value: o.out}
				if o.op == history.OpPut {
					comp.Output = &history.Output{Placement: history.Placement{HasContent: true, Length: o.value.ContentLen}}
				}
			case history.Fail:
				comp.Error = "injected failure"
			case history.Info:
				comp.Error = "timeout"
			}
			emit(o.ret, comp)
		}
		if ep < epochs-1 {
			emit(crash, history.Event{Kind: history.KindNemesis, Type: history.Info, Nemesis: &history.Nemesis{Fault: "kill", Phase: history.NemesisStart, Target: "store"}})
			emit(crash+1, history.Event{Kind: history.KindNemesis, Type: history.Info, Nemesis: &history.Nemesis{Fault: "kill", Phase: history.NemesisEnd, Target: "store", Restart: true}})
			var layout []history.Entry
			for i, v := range state {
				if v != nil {
					layout = append(layout, history.Entry{ID: MemoryID(i), Value: *v})
				}
			}
			emit(crash+2, history.Event{Kind: history.KindSnapshot, Type: history.Info, Snapshot: &history.Snapshot{Reason: "restart", Layout: layout}})
			now = crash + 3
		}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].time != out[b].time {
			return out[a].time < out[b].time
		}
		return out[a].seq < out[b].seq
	})
	events := make([]history.Event, len(out))
	for i, s := range out {
		events[i] = s.ev
		events[i].Index = uint64(i)
		events[i].Time = s.time
	}
	return events
}

// mix is SplitMix64 of seed and n: distinct n give distinct digests for a
// seed (the finalizer is a bijection).
func mix(seed, n uint64) uint64 {
	z := seed + n*0x9e3779b97f4a7c15
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

// Mutate changes one ok completion of a register op so that the history is
// probably no longer linearizable: a get's value is replaced by another value
// written to the same memory (or its found flag flipped), or a remove's or
// update-activation's found flag is flipped. It reports false when the
// history has nothing to mutate. events is modified in place (outputs are
// copied first).
func Mutate(events []history.Event, rng *rand.Rand) bool {
	var cands []int
	written := map[string][]history.Value{}
	for i, e := range events {
		if e.Kind != history.KindOp {
			continue
		}
		if e.Type == history.Invoke && e.Op == history.OpPut && e.Input != nil {
			written[e.ID] = append(written[e.ID], e.Input.Value)
		}
		if e.Type == history.OK && (e.Op == history.OpGet || e.Op == history.OpRemove || e.Op == history.OpUpdateActivation) {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return false
	}
	i := cands[rng.IntN(len(cands))]
	e := &events[i]
	out := *e.Output
	e.Output = &out
	if e.Op == history.OpGet && len(written[e.ID]) > 0 && rng.IntN(3) > 0 {
		vs := written[e.ID]
		out.Found, out.Value = true, vs[rng.IntN(len(vs))]
		return true
	}
	out.Found = !out.Found
	if e.Op == history.OpGet && out.Found {
		vs := written[e.ID]
		if len(vs) == 0 {
			out.Value = history.Value{HasContent: true, ContentDigest: 42}
		} else {
			out.Value = vs[rng.IntN(len(vs))]
		}
	}
	return true
}
