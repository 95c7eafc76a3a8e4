package workload

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

func drain(p *Plan) [][]Op {
	out := make([][]Op, p.Params.Workers)
	for w := range out {
		s := p.Stream(w)
		for {
			op, ok := s.Next()
			if !ok {
				break
			}
			out[w] = append(out[w], op)
		}
	}
	return out
}

func TestRegistryNamesUniqueAndPlansValid(t *testing.T) {
	seen := map[string]bool{}
	for _, w := range All() {
		if w.Name == "" || w.Description == "" {
			t.Errorf("workload %+v lacks a name or description", w)
		}
		if seen[w.Name] {
			t.Errorf("workload %s registered twice", w.Name)
		}
		seen[w.Name] = true
		if _, err := w.Plan(1, Overrides{}); err != nil {
			t.Errorf("workload %s: %v", w.Name, err)
		}
		if w.Mode != InProcess && w.Mode != Process {
			t.Errorf("workload %s: mode %q", w.Name, w.Mode)
		}
	}
	for _, name := range []string{"concurrent-store", "concurrent-get", "mixed", "hot-spot", "writer-writer",
		"panic-recovery", "property", "compaction-under-load", "crash-recovery", "iterate-under-load"} {
		if !seen[name] {
			t.Errorf("workload %s missing from the registry", name)
		}
	}
	if _, err := Lookup("no-such"); !errors.Is(err, ErrUnknownWorkload) {
		t.Errorf("Lookup(no-such) = %v, want ErrUnknownWorkload", err)
	}
	if _, err := Lookup(Default); err != nil {
		t.Errorf("default workload: %v", err)
	}
}

func TestReviewParameters(t *testing.T) {
	for _, c := range []struct {
		name              string
		workers, ops, ids int
	}{
		{"concurrent-store", 10, 1000, 0},
		{"concurrent-get", 20, 20000, 100},
		{"mixed", 15, 5000, 200},
		{"hot-spot", 50, 1000, 10},
		{"writer-writer", 20, 1000, 0},
	} {
		w, err := Lookup(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if w.Params.Workers != c.workers || w.Params.Ops != c.ops || (c.ids > 0 && w.Params.IDSpace != c.ids) {
			t.Errorf("%s: workers %d ops %d ids %d, want %d %d %d", c.name,
				w.Params.Workers, w.Params.Ops, w.Params.IDSpace, c.workers, c.ops, c.ids)
		}
		if len(w.Targets) == 0 {
			t.Errorf("%s has no review target", c.name)
		}
	}
}

func TestStreamsAreDeterministic(t *testing.T) {
	w, _ := Lookup("mixed")
	p1, _ := w.Plan(42, Overrides{})
	p2, _ := w.Plan(42, Overrides{})
	p3, _ := w.Plan(43, Overrides{})
	a, b, c := drain(p1), drain(p2), drain(p3)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed gave different operations")
	}
	if reflect.DeepEqual(a, c) {
		t.Fatal("different seeds gave the same operations")
	}
	if !reflect.DeepEqual(p1.Preload(), p2.Preload()) {
		t.Fatal("same seed gave different preloads")
	}
}

func TestOperationCounts(t *testing.T) {
	w, _ := Lookup("mixed")
	p, _ := w.Plan(7, Overrides{Workers: 4, Ops: 103})
	n := 0
	for _, ops := range drain(p) {
		n += len(ops)
	}
	if n != 103 {
		t.Fatalf("%d ops, want 103", n)
	}
	// Read-back comes on top: one get per fresh id put.
	w, _ = Lookup("concurrent-store")
	p, _ = w.Plan(7, Overrides{})
	puts, gets := 0, 0
	for _, ops := range drain(p) {
		for _, op := range ops {
			switch op.Kind {
			case history.OpPut:
				puts++
			case history.OpGet:
				gets++
			}
		}
	}
	if puts != 1000 || gets != 1000 {
		t.Fatalf("concurrent-store: %d puts %d gets, want 1000 and 1000", puts, gets)
	}
	// Unbounded streams do not end.
	p, _ = w.Plan(7, Overrides{Unbounded: true})
	s := p.Stream(0)
	for i := 0; i < 5000; i++ {
		if _, ok := s.Next(); !ok {
			t.Fatalf("unbounded stream ended after %d ops", i)
		}
	}
}

// valueKey is what a history records of a written value, minus the digests'
// inputs: equal keys would make two writes indistinguishable to the checker.
type valueKey struct {
	hasContent bool
	content    uint64
	embedding  uint64
	activation float32
}

// TestEveryWriteIsUnique is the invariant the checker relies on for hot
// keys: no two puts write the same value, and no update-activation repeats
// an activation, in any registered workload (property over several seeds).
func TestEveryWriteIsUnique(t *testing.T) {
	for _, w := range All() {
		for seed := int64(1); seed <= 3; seed++ {
			p, err := w.Plan(seed, Overrides{Ops: 3000})
			if err != nil {
				t.Fatal(err)
			}
			values := map[valueKey]string{}
			activations := map[float32]string{}
			check := func(where string, op Op) {
				switch op.Kind {
				case history.OpPut:
					m := op.Memory
					k := valueKey{m.Content != nil, history.Digest(m.Content), history.DigestEmbedding(m.Embedding), m.Activation}
					if prev, dup := values[k]; dup {
						t.Fatalf("%s seed %d: %s repeats the value of %s", w.Name, seed, where, prev)
					}
					values[k] = where
					if prev, dup := activations[m.Activation]; dup {
						t.Fatalf("%s seed %d: %s repeats activation of %s", w.Name, seed, where, prev)
					}
					activations[m.Activation] = where
				case history.OpUpdateActivation:
					if prev, dup := activations[op.Activation]; dup {
						t.Fatalf("%s seed %d: %s repeats activation of %s", w.Name, seed, where, prev)
					}
					activations[op.Activation] = where
				}
			}
			for i, op := range p.Preload() {
				check(fmt.Sprintf("preload %d", i), op)
			}
			for wk, ops := range drain(p) {
				for i, op := range ops {
					check(fmt.Sprintf("worker %d op %d", wk, i), op)
				}
			}
		}
	}
}

func TestSizeMixMatchesReview(t *testing.T) {
	w, _ := Lookup("concurrent-store")
	p, _ := w.Plan(5, Overrides{Ops: 20000, Workers: 4})
	count := map[string]int{}
	total := 0
	for _, ops := range drain(p) {
		for _, op := range ops {
			if op.Kind != history.OpPut {
				continue
			}
			total++
			c := op.Memory.Content
			switch {
			case c == nil:
				count["nil"]++
			case len(c) == 0:
				count["empty"]++
			default:
				count[fmt.Sprint(len(c))]++
			}
			if len(op.Memory.Embedding) != 768 {
				t.Fatalf("embedding of %d values", len(op.Memory.Embedding))
			}
		}
	}
	within := func(name string, want, tol float64) {
		got := float64(count[name]) / float64(total)
		if got < want-tol || got > want+tol {
			t.Errorf("size %s: %.3f of puts, want %.3f +- %.3f", name, got, want, tol)
		}
	}
	within("100", 0.88, 0.02)
	within("1024", 0.09, 0.015)
	within("5120", 0.01, 0.005)
	within("nil", 0.01, 0.005)
	within("empty", 0.01, 0.005)
}

func TestContentCarriesToken(t *testing.T) {
	w, _ := Lookup("hot-spot")
	p, _ := w.Plan(9, Overrides{})
	for _, ops := range drain(p) {
		for _, op := range ops {
			if op.Kind == history.OpPut && len(op.Memory.Content) > 0 {
				want := op.ID + "/w"
				if string(op.Memory.Content[:len(want)]) != want {
					t.Fatalf("content %q does not start with %q", op.Memory.Content[:20], want)
				}
			}
		}
	}
}

func TestBadParameters(t *testing.T) {
	w, _ := Lookup("mixed")
	for _, o := range []Overrides{{Workers: -1}, {Ops: -5}, {Workers: 5000}} {
		if _, err := w.Plan(1, o); !errors.Is(err, ErrBadParameter) {
			t.Errorf("overrides %+v: err %v, want ErrBadParameter", o, err)
		}
	}
	bad := w
	bad.Params.Mix = Mix{}
	if _, err := bad.Plan(1, Overrides{}); !errors.Is(err, ErrBadParameter) {
		t.Errorf("empty mix: err %v, want ErrBadParameter", err)
	}
	if _, err := ParseMode("sideways"); !errors.Is(err, ErrBadParameter) {
		t.Errorf("ParseMode(sideways) = %v", err)
	}
}

func TestPropertyDrawsFromSeed(t *testing.T) {
	w, _ := Lookup("property")
	distinct := map[string]bool{}
	for seed := int64(0); seed < 20; seed++ {
		p, err := w.Plan(seed, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		if p.Params.Workers < 1 || p.Params.Workers > w.Params.Workers || p.Params.IDSpace > w.Params.IDSpace ||
			p.Params.Preload > p.Params.IDSpace || p.Params.Ops > w.Params.Ops {
			t.Fatalf("seed %d: params out of bounds: %+v", seed, p.Params)
		}
		for _, f := range p.Faults {
			found := false
			for _, g := range w.FaultPool {
				found = found || f == g
			}
			if !found {
				t.Fatalf("seed %d: fault %s not in pool", seed, f)
			}
		}
		distinct[fmt.Sprintf("%d/%d/%d/%v", p.Params.Workers, p.Params.Ops, p.Params.IDSpace, p.Params.Mix)] = true
	}
	if len(distinct) < 15 {
		t.Fatalf("20 seeds gave only %d distinct parameter sets", len(distinct))
	}
}

// The values written carry every case of the store-set times: both
// explicit, each left 0 for the store to set, both 0.
func TestValuesCoverEveryTimesCase(t *testing.T) {
	g := newValueGen(1, Params{Workers: 3, Sizes: DefaultSizes}, 1, "t", 0)
	seen := map[[2]bool]int{}
	for i := 0; i < 8; i++ {
		m := g.memory("a")
		seen[[2]bool{m.CreatedAt == 0, m.LastAccess == 0}]++
		if m.CreatedAt != 0 && m.CreatedAt < timesEpoch || m.LastAccess != 0 && m.LastAccess < timesEpoch {
			t.Fatalf("explicit time before the epoch: %d %d", m.CreatedAt, m.LastAccess)
		}
	}
	if len(seen) != 4 {
		t.Fatalf("cases written: %v, want all four", seen)
	}
}

// TestPropertyDrawsOnlyFaultsThatCanFire: the property workload keeps a
// drawn fault only if CanFire allows it under the drawn parameters, redraws
// until asked-for faults can fire (keeping a first draw that suits), and
// fails with ErrBadParameter when no draw ever lets them.
func TestPropertyDrawsOnlyFaultsThatCanFire(t *testing.T) {
	w, _ := Lookup("property")
	needsCompaction := func(f string, p Params) bool { return f != "grow-failure" || p.Mix.Compact > 0 }
	kept, redrawn := 0, 0
	for seed := int64(1); seed <= 200; seed++ {
		free, err := w.Plan(seed, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		p, err := w.Plan(seed, Overrides{CanFire: needsCompaction})
		if err != nil {
			t.Fatal(err)
		}
		if p.Params != free.Params {
			t.Fatalf("seed %d: no faults asked, yet the parameters were redrawn", seed)
		}
		for _, f := range p.Faults {
			if !needsCompaction(f, p.Params) {
				t.Fatalf("seed %d: drew %s, which cannot fire under %s", seed, f, p.Params.Mix)
			}
		}
		if slices.Contains(free.Faults, "grow-failure") && free.Params.Mix.Compact > 0 {
			kept++
		}
		asked, err := w.Plan(seed, Overrides{Faults: []string{"grow-failure"}, CanFire: needsCompaction})
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case asked.Params.Mix.Compact == 0:
			t.Fatalf("seed %d: grow-failure asked, drawn %s", seed, asked.Params.Mix)
		case free.Params.Mix.Compact > 0 && asked.Params != free.Params:
			t.Fatalf("seed %d: the first draw suited, yet it was redrawn", seed)
		case asked.Params != free.Params:
			redrawn++
		}
		again, _ := w.Plan(seed, Overrides{Faults: []string{"grow-failure"}, CanFire: needsCompaction})
		if again.Params != asked.Params {
			t.Fatalf("seed %d: the redraw is not deterministic", seed)
		}
	}
	if kept == 0 || redrawn == 0 {
		t.Errorf("200 seeds: %d kept grow-failure, %d redrawn: the test exercises nothing", kept, redrawn)
	}
	never := func(string, Params) bool { return false }
	if _, err := w.Plan(1, Overrides{Faults: []string{"panic"}, CanFire: never}); !errors.Is(err, ErrBadParameter) {
		t.Errorf("no draw can fire panic: %v, want ErrBadParameter", err)
	}
	if p, err := w.Plan(1, Overrides{CanFire: never}); err != nil || len(p.Faults) != 0 {
		t.Errorf("nothing can fire: faults %v, %v", p.Faults, err)
	}
}
