package register

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/warmcheck/warmcheck/history"
)

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// contextAround is how many of the partition's operations invoked before the
// witness's first one, and after its last one, a drawing adds as context.
const contextAround = 8

// visualizeWitness writes porcupine's HTML visualization of a failing
// partition's witness into outDir, with the fault windows that overlap it
// drawn as annotations. The drawing holds the witness and, as context, the
// partition's other operations around it (withContext) when porcupine
// still finds them not linearizable together; else the witness alone (a
// drawing must show the violation). Only drawings of at most maxOps
// operations are made (the file stays small enough to open); it returns the
// file name relative to outDir, or "" when the witness is too big.
func visualizeWitness(ctx context.Context, outDir string, seq int, events []history.Event, p *regPartition, all, witness []regOp, faults []Fault, maxOps int) (string, error) {
	if len(witness) == 0 || len(witness) > maxOps {
		return "", nil
	}
	ops := withContext(all, witness, contextAround, maxOps)
	sv := porcupineSearch(ctx, p.initial, ops, 10*time.Second, 0, 10_000_000, true)
	if len(ops) > len(witness) && sv.verdict != Invalid {
		ops = witness
		sv = porcupineSearch(ctx, p.initial, ops, 10*time.Second, 0, 10_000_000, true)
	}
	first, last := opsSpan(ops)
	notes := witnessNotes(events, witness)
	for _, f := range faults {
		if int64(f.End) < first || int64(f.Start) > last {
			continue
		}
		notes = append(notes, porcupine.Annotation{
			Tag:             "faults",
			Start:           int64(f.Start),
			End:             int64(f.End),
			Description:     f.Name,
			Details:         fmt.Sprintf("%s on %q, events #%d..#%d", f.Name, f.Target, events[f.Start].Index, events[f.End].Index),
			BackgroundColor: "#f7d6d6",
		})
	}
	if p.initialEvent >= 0 && int64(p.initialEvent) <= last {
		notes = append(notes, porcupine.Annotation{
			Tag:         "state",
			Start:       int64(p.initialEvent),
			Description: "initial " + p.initial.String(),
			Details:     fmt.Sprintf("%s snapshot, event #%d", events[p.initialEvent].Snapshot.Reason, events[p.initialEvent].Index),
		})
	}
	sv.info.AddAnnotations(notes)
	name := fmt.Sprintf("linearizable-%02d-%s-e%d.html", seq, unsafeFileChars.ReplaceAllString(p.key.id, "_"), p.key.epoch)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return "", err
	}
	if err := porcupine.VisualizePath(registerModel(p.initial, nil), sv.info, filepath.Join(outDir, name)); err != nil {
		return "", err
	}
	return name, nil
}

// withContext is witness plus the operations of all (the partition's, in
// call order) that overlap the witness's span, and up to around operations
// invoked before it and after it, in call order; witness alone when that
// would pass maxOps.
func withContext(all, witness []regOp, around, maxOps int) []regOp {
	first, last := opsSpan(witness)
	inWitness := make(map[int64]bool, len(witness))
	for _, o := range witness {
		inWitness[o.call] = true
	}
	lo := sort.Search(len(all), func(i int) bool { return all[i].call >= first })
	hi := sort.Search(len(all), func(i int) bool { return all[i].call > last })
	lo, hi = max(0, lo-around), min(len(all), hi+around)
	out := slices.Clone(witness)
	for i := range all {
		o := all[i]
		overlaps := o.call <= last && (o.ret == infinity || o.ret >= first)
		if inWitness[o.call] || !(overlaps || (i >= lo && i < hi)) {
			continue
		}
		out = append(out, o)
	}
	if len(out) > maxOps {
		return witness
	}
	slices.SortFunc(out, func(a, b regOp) int { return cmp.Compare(a.call, b.call) })
	return out
}

// opsSpan is the first call and the last call or return (positions) of ops;
// an info op's return at infinity does not count.
func opsSpan(ops []regOp) (first, last int64) {
	first, last = int64(infinity), int64(-1)
	for _, o := range ops {
		first = min(first, o.call)
		if o.ret != infinity {
			last = max(last, o.ret)
		}
		last = max(last, o.call)
	}
	return first, last
}

// witnessNotes marks the witness's operations on a row of their own, so
// that they stand out among the context.
func witnessNotes(events []history.Event, witness []regOp) []porcupine.Annotation {
	notes := make([]porcupine.Annotation, 0, len(witness))
	for i, po := range porcupineOps(witness) {
		o := witness[i]
		end := o.ret
		if end == infinity {
			end = o.call
		}
		notes = append(notes, porcupine.Annotation{
			Tag:             "witness",
			Start:           o.call,
			End:             end,
			Description:     describeRegOp(po.Input.(regInput), po.Output.(regOutput)),
			Details:         fmt.Sprintf("in the violation's witness: %s invoked at event #%d", o.op.String(), events[o.call].Index),
			BackgroundColor: "#f9d2d2",
		})
	}
	return notes
}
