package crashpoint

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/warmcheck/warmcheck/store"
)

// ExpectationFile is written beside a crash-state image: what the oracle
// judges the image by, so that JudgeStateDir can re-judge it anywhere.
const ExpectationFile = "expectation.json"

// WriteState writes a crash-state image as a store directory (dir/store)
// and the expectation beside it (dir/expectation.json). A developer opens
// dir/store with store.Open to debug recovery, or calls JudgeStateDir.
func WriteState(dir string, img map[string][]byte, ex *Expectation) error {
	if err := writeImage(filepath.Join(dir, "store"), img); err != nil {
		return err
	}
	b, err := json.MarshalIndent(ex, "", " ")
	if err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, ExpectationFile), b, 0o644); err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	return nil
}

// JudgeStateDir judges a directory written by WriteState on a copy of its
// image (dir is left untouched), opening it with the given seeded bugs.
func JudgeStateDir(dir string, bugs []store.Bug) (*Finding, error) {
	b, err := os.ReadFile(filepath.Join(dir, ExpectationFile))
	if err != nil {
		return nil, fmt.Errorf("crashpoint: %w", err)
	}
	var ex Expectation
	if err := json.Unmarshal(b, &ex); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrBadInput, filepath.Join(dir, ExpectationFile), err)
	}
	img := map[string][]byte{}
	entries, err := os.ReadDir(filepath.Join(dir, "store"))
	if err != nil {
		return nil, fmt.Errorf("crashpoint: %w", err)
	}
	for _, e := range entries {
		if img[e.Name()], err = os.ReadFile(filepath.Join(dir, "store", e.Name())); err != nil {
			return nil, fmt.Errorf("crashpoint: %w", err)
		}
	}
	work, err := os.MkdirTemp("", "warmcheck-judge-")
	if err != nil {
		return nil, fmt.Errorf("crashpoint: %w", err)
	}
	defer os.RemoveAll(work)
	if err := writeImage(work, img); err != nil {
		return nil, err
	}
	return Judge(work, &ex, bugs), nil
}
