package crashpoint

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Names of the files an exploration writes into its run directory.
const (
	ResultFile = "crashes.json"
	ReportFile = "report.txt"
	StateDir   = "inconsistent-state" // WriteState layout: store/ and expectation.json
)

// Summary is the one-line verdict.
func (r *Result) Summary() string {
	sampled := ""
	if r.Sampled > 1 {
		sampled = fmt.Sprintf(" (every %d-th point: more than the point limit)", r.Sampled)
	}
	skipped := ""
	if r.Skipped > 0 {
		skipped = fmt.Sprintf(", %d more states past the per-point cap not judged", r.Skipped)
	}
	if r.First == nil {
		return fmt.Sprintf("%d crash states from %d persistence points%s, all consistent%s", r.States, r.Points, sampled, skipped)
	}
	return fmt.Sprintf("%d crash states from %d persistence points%s judged, %d inconsistent%s", r.States, r.Points, sampled, r.Inconsistent, skipped)
}

// WriteReport writes the text report. rebuild is the command line that
// rebuilds the first inconsistent image.
func (r *Result) WriteReport(w io.Writer, rebuild string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "warmcheck crashes: workload %s, %d ops, seed %d, bugs %v\n", r.Workload, r.Ops, r.Seed, r.Bugs)
	fmt.Fprintf(&b, "%d persistence steps; %s\n", r.Steps, r.Summary())
	fmt.Fprintf(&b, "elapsed %.2fs, %.0f crash states/s\n", r.Elapsed.Seconds(), r.StatesPerSec)
	if f := r.First; f != nil {
		fmt.Fprintf(&b, "\nFIRST INCONSISTENT CRASH STATE\n")
		fmt.Fprintf(&b, "power cut right after %s\n", f.Step)
		fmt.Fprintf(&b, "  during %s\n", f.Op)
		fmt.Fprintf(&b, "disk: %s (variant %s)\n", f.Describe, f.Variant)
		if f.LastSync >= 0 {
			fmt.Fprintf(&b, "last Sync acknowledged before it: op %d\n", f.LastSync)
		} else {
			fmt.Fprintf(&b, "no Sync acknowledged before it\n")
		}
		if len(f.Synced) > 0 {
			fmt.Fprintf(&b, "operations on %s acknowledged before that Sync:\n", f.Finding.ID)
			for _, s := range f.Synced {
				fmt.Fprintf(&b, "  %s\n", s)
			}
		}
		fmt.Fprintf(&b, "recovery: %s\n", f.Finding.String())
		if rebuild != "" {
			fmt.Fprintf(&b, "rebuild this image: %s\n", rebuild)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteRunDir writes crashes.json, report.txt and, for an inconsistent
// result, the first inconsistent state (StateDir) into dir.
func (r *Result) WriteRunDir(dir, rebuild string) error {
	js, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ResultFile), append(js, '\n'), 0o644); err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	f, err := os.Create(filepath.Join(dir, ReportFile))
	if err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	werr := r.WriteReport(f, rebuild)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("crashpoint: %w", werr)
	}
	if r.First != nil && r.First.image != nil {
		return WriteState(filepath.Join(dir, StateDir), r.First.image, r.First.Expect)
	}
	return nil
}
