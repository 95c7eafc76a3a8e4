package workload

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/history"
	"github.com/warmcheck/warmcheck/store"
)

// Default is the workload a run uses when none is named.
const Default = "mixed"

// periodic is the snapshot period shared by the registry's workloads.
const periodic = 250 * time.Millisecond

// allWorkloads is the registry: adding a workload is adding one value here.
// Parameters and targets are the review's Task 017 table
// (shared/background/warm-tier-testing-review.md); the last three are the
// scenarios it found missing.
var allWorkloads = []Workload{
	{
		Name:        "concurrent-store",
		Description: "10 workers x 100 puts of fresh ids behind a barrier, then each reads its own back (offset monotonicity, content integrity)",
		Params: Params{
			Workers: 10, Ops: 1000, FreshIDs: true, ReadBack: true, Barrier: true,
			Mix: Mix{Put: 1}, Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{wall(2 * time.Second), p99(history.OpPut, 5*time.Millisecond)},
		Faults:  []string{"sleep"},
		Mode:    InProcess,
	},
	{
		Name:        "concurrent-get",
		Description: "20 readers, 20K gets over 100 preloaded memories (reader parallelism, no torn reads)",
		Params: Params{
			Workers: 20, Ops: 20000, IDSpace: 100, Preload: 100, Barrier: true,
			Mix: Mix{Get: 1}, Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{wall(3 * time.Second), p99(history.OpGet, time.Millisecond)},
		Mode:    InProcess,
	},
	{
		Name:        "mixed",
		Description: "15 workers, 5K mixed operations over 200 memories (lock ordering, deadlock freedom); the default",
		Params: Params{
			Workers: 15, Ops: 5000, IDSpace: 200, Preload: 50, Barrier: true,
			Mix:   Mix{Put: 380, Get: 380, Remove: 60, UpdateActivation: 120, Iterate: 10, Recall: 10, Compact: 4, Sync: 36},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{wall(5 * time.Second), p99(0, 10*time.Millisecond)},
		Faults:  []string{"panic", "compact"},
		Mode:    InProcess,
	},
	{
		Name:        "hot-spot",
		Description: "50 workers hammering 10 memories, mostly gets and puts (lock contention, hot-key linearizability)",
		Params: Params{
			Workers: 50, Ops: 1000, IDSpace: 10, Preload: 10, Barrier: true,
			Mix:   Mix{Put: 45, Get: 45, UpdateActivation: 6, Remove: 2, Sync: 2},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{wall(10 * time.Second), p99(0, 100*time.Millisecond)},
		Faults:  []string{"sleep"},
		Mode:    InProcess,
	},
	{
		Name:        "writer-writer",
		Description: "20 workers x 50 puts of fresh ids behind a barrier, then read back (content-offset races)",
		Params: Params{
			Workers: 20, Ops: 1000, FreshIDs: true, ReadBack: true, Barrier: true,
			Mix: Mix{Put: 1}, Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{wall(3 * time.Second), p99(history.OpPut, 10*time.Millisecond)},
		Faults:  []string{"sleep"},
		Mode:    InProcess,
	},
	{
		Name:        "panic-recovery",
		Description: "10 workers, 2K operations on 4 hot memories while panics fire inside the store's critical sections (recovery: a leaked lock wedges a hot key at once)",
		Params: Params{
			Workers: 10, Ops: 2000, IDSpace: 4, Preload: 4, Barrier: true,
			Mix:   Mix{Put: 40, Get: 30, Remove: 15, UpdateActivation: 10, Iterate: 1, Sync: 4},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{p99(history.OpPut, 5*time.Millisecond), p99(history.OpGet, time.Millisecond)},
		Faults:  []string{"panic"},
		Mode:    InProcess,
	},
	{
		Name:        "property",
		Description: "random workloads drawn from the seed: worker count, operation count, id space, operation and size mix, barrier, preload, and faults from panic, sleep, compact, grow-failure (only those that can fire under the drawn load)",
		Params: Params{
			Workers: 24, Ops: 3000, IDSpace: 300, Preload: 100,
			Mix: Mix{Put: 1}, Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets:   []Target{p99(history.OpPut, 5*time.Millisecond), p99(history.OpGet, time.Millisecond)},
		Mode:      InProcess,
		Random:    true,
		FaultPool: []string{"panic", "sleep", "compact", "grow-failure"},
	},
	{
		Name:        "compaction-under-load",
		Description: "8 workers, 3K operations heavy in removes and overwrites while compactions run (moved content stays readable)",
		Params: Params{
			Workers: 8, Ops: 3000, IDSpace: 150, Preload: 150, Barrier: true,
			Mix:   Mix{Put: 40, Get: 30, Remove: 15, UpdateActivation: 4, Iterate: 3, Compact: 6, Sync: 3},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{p99(history.OpPut, 5*time.Millisecond), p99(history.OpGet, time.Millisecond)},
		Faults:  []string{"compact"},
		Mode:    InProcess,
	},
	{
		Name:        "auto-compaction",
		Description: "8 workers, 3K operations of overwrites and removes over 150 memories with the store's auto-compaction on (30% fragmentation, 4 KiB reclaimable): background compactions start again and again, with no compact operation in the history, while compact faults run too",
		Params: Params{
			Workers: 8, Ops: 3000, IDSpace: 150, Preload: 150, Barrier: true,
			Mix:   Mix{Put: 45, Get: 25, Remove: 20, UpdateActivation: 4, Iterate: 3, Sync: 3},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
			AutoCompact: store.AutoCompact{Enabled: true, Threshold: 0.30, MinReclaimable: 4 << 10},
		},
		Targets: []Target{p99(history.OpPut, 5*time.Millisecond), p99(history.OpGet, time.Millisecond)},
		Faults:  []string{"compact"},
		Mode:    InProcess,
	},
	{
		Name:        "crash-recovery",
		Description: "6 workers, 3K operations against a child store process that is killed and powered off in cycles (durability, torn-write recovery)",
		Params: Params{
			Workers: 6, Ops: 3000, IDSpace: 200, Preload: 50,
			Mix:   Mix{Put: 50, Get: 28, Remove: 6, UpdateActivation: 6, Iterate: 2, Sync: 8},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{p99(history.OpPut, 5*time.Millisecond), p99(history.OpGet, time.Millisecond)},
		Faults:  []string{"kill", "power-loss"},
		Mode:    Process,
	},
	{
		Name:        "iterate-under-load",
		Description: "8 workers, 2K operations where iterations run while puts and removes go on (no duplicate, missing or torn entry)",
		Params: Params{
			Workers: 8, Ops: 2000, IDSpace: 150, Preload: 100, Barrier: true,
			Mix:   Mix{Put: 40, Get: 15, Remove: 15, UpdateActivation: 5, Iterate: 15, Recall: 5, Sync: 5},
			Sizes: DefaultSizes, SnapshotEvery: periodic,
		},
		Targets: []Target{p99(history.OpPut, 5*time.Millisecond), p99(history.OpIterate, 100*time.Millisecond)},
		Faults:  []string{"sleep"},
		Mode:    InProcess,
	},
}

// All returns the registry, in its fixed order. The slice is a copy; the
// workloads are values, so callers may change what they get.
func All() []Workload {
	out := make([]Workload, len(allWorkloads))
	for i, w := range allWorkloads {
		out[i] = w.clone()
	}
	return out
}

// Lookup returns the named workload.
func Lookup(name string) (Workload, error) {
	for _, w := range allWorkloads {
		if w.Name == name {
			return w.clone(), nil
		}
	}
	return Workload{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownWorkload, name, strings.Join(Names(), ", "))
}

// Names lists the registry's names, sorted.
func Names() []string {
	var names []string
	for _, w := range allWorkloads {
		names = append(names, w.Name)
	}
	sort.Strings(names)
	return names
}

func (w Workload) clone() Workload {
	w.Targets = append([]Target(nil), w.Targets...)
	w.Faults = append([]string(nil), w.Faults...)
	w.FaultPool = append([]string(nil), w.FaultPool...)
	return w
}
