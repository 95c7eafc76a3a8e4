package register

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/warmcheck/warmcheck/history"
)

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// visualizeWitness writes porcupine's HTML visualization of a failing
// partition's witness into outDir, with the fault windows that overlap it
// drawn as annotations. Only witnesses of at most maxOps operations are drawn
// (the file stays small enough to open); it returns the file name relative to
// outDir, or "" when the witness is too big.
func visualizeWitness(ctx context.Context, outDir string, seq int, events []history.Event, p *regPartition, ops []regOp, faults []Fault, maxOps int) (string, error) {
	if len(ops) == 0 || len(ops) > maxOps {
		return "", nil
	}
	sv := porcupineSearch(ctx, p.initial, ops, 10*time.Second, 0, 10_000_000, true)
	first, last := int64(infinity), int64(-1)
	for _, o := range ops {
		first = min(first, o.call)
		if o.ret != infinity {
			last = max(last, o.ret)
		}
		last = max(last, o.call)
	}
	var notes []porcupine.Annotation
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
