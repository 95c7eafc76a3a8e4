package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/checker"
)

// DefaultKeep is how many run directories of one workload `warmcheck run`
// keeps: enough to compare a day's runs, bounded on disk (a run directory
// without its store is a few MB at most).
const DefaultKeep = 20

// retain applies the retention rules once a run (all its schedules) is
// over, and returns what it could not do as problems:
//   - the store files of a valid run are removed unless KeepStore: the
//     history, not the store, is what analyze, replay and shrink read;
//     an invalid, unknown or interrupted run keeps them as evidence;
//   - <out>/latest and <out>/<workload>/latest point at the run;
//   - of the run directories in <out>/<workload>/ (names that parse as run
//     timestamps; nothing else is touched), all but the newest Keep are
//     removed, never the run itself.
func retain(r *Resolved, out *Outcome) []string {
	var problems []string
	if out.Verdict == checker.Valid && !out.Interrupted && !r.KeepStore {
		if err := os.RemoveAll(filepath.Join(out.Dir, StoreDir)); err != nil {
			problems = append(problems, "could not remove the store files of a valid run: "+err.Error())
		}
	}
	parent := filepath.Dir(out.Dir)
	for _, root := range []string{r.Out, parent} {
		if err := pointLatest(root, out.Dir); err != nil {
			problems = append(problems, err.Error())
		}
	}
	keep := r.Keep
	if keep == 0 {
		keep = DefaultKeep
	}
	if keep < 0 {
		return problems
	}
	old, err := runDirsBeyond(parent, keep)
	if err != nil {
		return append(problems, fmt.Sprintf("retention: %v", err))
	}
	for _, d := range old {
		if d == out.Dir {
			continue
		}
		if err := os.RemoveAll(d); err != nil {
			problems = append(problems, fmt.Sprintf("retention: could not remove %s: %v", d, err))
		}
	}
	return problems
}

// runDirsBeyond lists the run directories in parent past the newest keep.
// Run directory names (makeRunDir) sort in time order.
func runDirsBeyond(parent string, keep int) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, err
	}
	var runs []string
	for _, e := range entries {
		if e.IsDir() && isRunDirName(e.Name()) {
			runs = append(runs, e.Name())
		}
	}
	if len(runs) <= keep {
		return nil, nil
	}
	sort.Strings(runs)
	old := runs[:len(runs)-keep]
	for i, name := range old {
		old[i] = filepath.Join(parent, name)
	}
	return old, nil
}

// isRunDirName reports whether name is one makeRunDir gives: a UTC
// timestamp with milliseconds, with or without a numeric clash suffix.
func isRunDirName(name string) bool {
	stamp, _, _ := strings.Cut(name, "-")
	_, err := time.Parse(runDirStamp, stamp)
	return err == nil
}
