package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Names of the files in a run directory. analyze finds the history by
// HistoryFile.
const (
	HistoryFile  = "history.wch"
	ResultsFile  = "results.json"
	ConfigFile   = "config.json"
	LogFile      = "warmcheck.log"
	ReportFile   = "report.html"
	TimelineFile = "timeline.html"
	StoreDir     = "store"
	LatestLink   = "latest"
)

// runDirStamp is the layout of a run directory's name.
const runDirStamp = "20060102T150405.000Z"

// makeRunDir creates <out>/<workload>/<timestamp>/ and returns its path.
// The timestamp has millisecond resolution; a clash (two runs in one
// millisecond) gets a numeric suffix, so a run never reuses a directory.
func makeRunDir(out, workloadName string, now time.Time) (string, error) {
	parent := filepath.Join(out, workloadName)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", ErrRunDir, err)
	}
	stamp := now.UTC().Format(runDirStamp)
	for i := 0; i < 1000; i++ {
		name := stamp
		if i > 0 {
			name = fmt.Sprintf("%s-%d", stamp, i)
		}
		dir := filepath.Join(parent, name)
		err := os.Mkdir(dir, 0o755)
		if err == nil {
			return dir, nil
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("%w: %v", ErrRunDir, err)
		}
	}
	return "", fmt.Errorf("%w: %s: 1000 runs in one millisecond", ErrRunDir, parent)
}

// pointLatest makes <out>/latest a relative symlink to dir, replacing the
// previous one atomically (symlink to a temporary name, then rename).
func pointLatest(out, dir string) error {
	rel, err := filepath.Rel(out, dir)
	if err != nil {
		return fmt.Errorf("%w: latest: %v", ErrRunDir, err)
	}
	tmp := filepath.Join(out, fmt.Sprintf(".latest-%d", os.Getpid()))
	_ = os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return fmt.Errorf("%w: latest: %v", ErrRunDir, err)
	}
	if err := os.Rename(tmp, filepath.Join(out, LatestLink)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("%w: latest: %v", ErrRunDir, err)
	}
	return nil
}
