package register

import (
	"context"
	"fmt"
	"math"
	"runtime/metrics"
	"sync/atomic"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/warmcheck/warmcheck/history"
)

// regInput and regOutput are what porcupine sees of a regOp.
type regInput struct {
	op         history.Op
	value      valueKey // put
	activation uint32   // update-activation
	info       bool     // output unchecked
	pos        int      // invoke position, for descriptions
}

type regOutput struct {
	found bool
	value valueKey
}

// registerStep is the sequential specification of one memory.
func registerStep(s regState, in regInput, out regOutput) (bool, regState) {
	switch in.op {
	case history.OpPut:
		return true, regState{present: true, value: in.value}
	case history.OpGet:
		if in.info {
			return true, s
		}
		if out.found != s.present {
			return false, s
		}
		return !out.found || out.value == s.value, s
	case history.OpRemove:
		if !in.info && out.found != s.present {
			return false, s
		}
		return true, regState{}
	case history.OpUpdateActivation:
		if !in.info && out.found != s.present {
			return false, s
		}
		if s.present {
			s.value = s.value.withActivation(in.activation)
		}
		return true, s
	}
	return false, s
}

// searchBudget bounds one porcupine search. porcupine v1.3 has a timeout but
// no memory bound and no way to stop it from outside; the model's step is the
// hook: once the budget is exhausted every step fails, the search unwinds
// (cheaply: a failing step only advances to the next concurrent call) and
// the caller, seeing exhausted set, reports unknown whatever porcupine said.
type searchBudget struct {
	ctx       context.Context
	heapLimit uint64    // bytes of live heap objects; 0 = none
	maxSteps  int64     // 0 = none
	deadline  time.Time // zero = none (porcupine has its own timeout)
	steps     atomic.Int64
	cuts      atomic.Int64 // runCompactSearch: steps its doom tracker refused
	exhausted atomic.Bool
	reason    atomic.Value // string
	sample    []metrics.Sample
}

func newSearchBudget(ctx context.Context, heapLimit uint64, maxSteps int64) *searchBudget {
	return &searchBudget{ctx: ctx, heapLimit: heapLimit, maxSteps: maxSteps,
		sample: []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}}
}

func (b *searchBudget) exhaust(reason string) {
	if b.exhausted.CompareAndSwap(false, true) {
		b.reason.Store(reason)
	}
}

func (b *searchBudget) why() string {
	if r, ok := b.reason.Load().(string); ok {
		return r
	}
	return ""
}

// ok is called on every model step (one search goroutine per budget).
func (b *searchBudget) ok() bool {
	if b.exhausted.Load() {
		return false
	}
	n := b.steps.Add(1)
	if b.maxSteps > 0 && n > b.maxSteps {
		b.exhaust(fmt.Sprintf("step budget of %d model steps exhausted", b.maxSteps))
		return false
	}
	if n&4095 == 0 {
		if !b.deadline.IsZero() && time.Now().After(b.deadline) {
			b.exhaust("timed out")
			return false
		}
		if b.ctx != nil && b.ctx.Err() != nil {
			b.exhaust("cancelled: " + b.ctx.Err().Error())
			return false
		}
		if b.heapLimit > 0 {
			metrics.Read(b.sample)
			if b.sample[0].Value.Kind() == metrics.KindUint64 && b.sample[0].Value.Uint64() > b.heapLimit {
				b.exhaust(fmt.Sprintf("heap above the %d MiB memory budget", b.heapLimit>>20))
				return false
			}
		}
	}
	return true
}

// registerModel is the porcupine model of one memory starting in initial.
func registerModel(initial regState, budget *searchBudget) porcupine.Model {
	return porcupine.Model{
		Init: func() interface{} { return initial },
		Step: func(state, input, output interface{}) (bool, interface{}) {
			if budget != nil && !budget.ok() {
				return false, state
			}
			ok, next := registerStep(state.(regState), input.(regInput), output.(regOutput))
			return ok, next
		},
		Hash: func(state interface{}) uint64 {
			s := state.(regState)
			if !s.present {
				return 0
			}
			return s.value.hash()
		},
		DescribeOperation: func(input, output interface{}) string {
			return describeRegOp(input.(regInput), output.(regOutput))
		},
		DescribeState: func(state interface{}) string { return state.(regState).String() },
	}
}

func describeRegOp(in regInput, out regOutput) string {
	switch in.op {
	case history.OpPut:
		return "put" + describeValue(in.value)
	case history.OpGet:
		if in.info {
			return "get -> ?"
		}
		if !out.found {
			return "get -> absent"
		}
		return "get -> " + describeValue(out.value)
	case history.OpRemove:
		if in.info {
			return "remove -> ?"
		}
		return fmt.Sprintf("remove -> found=%v", out.found)
	case history.OpUpdateActivation:
		a := math.Float32frombits(in.activation)
		if in.info {
			return fmt.Sprintf("update-activation(%g) -> ?", a)
		}
		return fmt.Sprintf("update-activation(%g) -> found=%v", a, out.found)
	}
	return in.op.String()
}

// porcupineOps converts regOps; clients are numbered densely by process so
// that porcupine's visualization has one row per process.
func porcupineOps(ops []regOp) []porcupine.Operation {
	clients := map[int64]int{}
	out := make([]porcupine.Operation, len(ops))
	for i, o := range ops {
		c, ok := clients[o.process]
		if !ok {
			c = len(clients)
			clients[o.process] = c
		}
		in := regInput{op: o.op, value: o.value, activation: o.activation, info: o.status == statusInfo && o.ret == infinity, pos: int(o.call)}
		if o.op == history.OpPut {
			in.info = false // a put's output is never checked
		}
		out[i] = porcupine.Operation{ClientId: c, Input: in, Call: o.call, Output: regOutput{found: o.found, value: o.output}, Return: o.ret, Metadata: i}
	}
	return out
}

// searchVerdict is porcupine's answer mapped onto ours: Unknown whenever the
// budget ran out, whatever porcupine returned.
type searchVerdict struct {
	verdict Verdict
	reason  string // for unknown
	info    porcupine.LinearizationInfo
	steps   int64
}

// porcupineSearch is porcupine's own search (bitset cache, and with verbose
// the linearization info the explanations and drawings read) on ops, under
// a time, heap and step budget. Check uses it to confirm zone violations,
// to minimize, explain and draw witnesses, and to decide a partition where
// runCompactSearch's order does not replay.
func porcupineSearch(ctx context.Context, initial regState, ops []regOp, timeout time.Duration, heapLimit uint64, maxSteps int64, verbose bool) searchVerdict {
	budget := newSearchBudget(ctx, heapLimit, maxSteps)
	model := registerModel(initial, budget)
	pops := porcupineOps(ops)
	var res porcupine.CheckResult
	var info porcupine.LinearizationInfo
	if verbose {
		res, info = porcupine.CheckOperationsVerbose(model, pops, timeout)
	} else {
		res = porcupine.CheckOperationsTimeout(model, pops, timeout)
	}
	sv := searchVerdict{info: info, steps: budget.steps.Load()}
	switch {
	case budget.exhausted.Load():
		sv.verdict, sv.reason = Unknown, budget.why()
	case res == porcupine.Ok:
		sv.verdict = Valid
	case res == porcupine.Illegal:
		sv.verdict = Invalid
	default:
		sv.verdict, sv.reason = Unknown, fmt.Sprintf("porcupine timed out after %s", timeout)
	}
	return sv
}
