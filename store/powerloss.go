package store

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// PowerLossReport says what SimulatePowerLoss did.
type PowerLossReport struct {
	Files          int    // data files rebuilt
	PagesDiffering uint64 // 4 KiB pages where the file and its durable image differed
	PagesReverted  uint64 // of those, pages reset to the durable image
	PagesTorn      uint64 // of those, pages given a torn prefix of the unsynced write
}

// SimulatePowerLoss rewrites a closed (killed) store directory into what a
// disk could hold after a power cut. It uses only what the store's own Syncs
// recorded (Options.DurableImage): each data file becomes its durable image,
// except that every 4 KiB page where the file and the image differ, with
// probability 1/2, keeps the first k of its 8 sectors from the file (k in
// 1..7: a write torn at sector granularity) and otherwise reverts to the
// image. The result also becomes the new durable image. Deterministic for a
// given directory state and seed. The store must not be open.
func SimulatePowerLoss(dir string, seed int64) (PowerLossReport, error) {
	return SimulatePowerLossOf(dir, isDataFileName, seed)
}

// DataFilePatterns are the store's data files as path.Match patterns
// (what a power loss rebuilds).
// Keep in step with isDataFileName (reloc.go).
func DataFilePatterns() []string { return []string{blocksFileName, "content.*.dat", "reloc.*.dat"} }

// SimulatePowerLossOf is SimulatePowerLoss over the files of dir for which
// isData holds, each with its durable image beside it (name + ".disk"),
// whoever kept it: the store, or another store under test that keeps images
// the same way (PROTOCOL.md, section 7).
func SimulatePowerLossOf(dir string, isData func(name string) bool, seed int64) (PowerLossReport, error) {
	var rep PowerLossReport
	entries, err := os.ReadDir(dir)
	if err != nil {
		return rep, fmt.Errorf("store: power loss: %w", err)
	}
	var data []string
	present := map[string]bool{}
	for _, e := range entries {
		present[e.Name()] = true
	}
	for _, e := range entries {
		name := e.Name()
		if isData(name) {
			data = append(data, name)
		} else if base, ok := strings.CutSuffix(name, imageSuffix); ok && isData(base) && !present[base] {
			// Image of a file whose creation never completed, or that was deleted.
			os.Remove(filepath.Join(dir, name))
		}
	}
	slices.Sort(data)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	for _, name := range data {
		if !present[name+imageSuffix] {
			return rep, fmt.Errorf("store: power loss: %s has no durable image %s (open the store with DurableImage)", name, name+imageSuffix)
		}
		if err := powerLossFile(filepath.Join(dir, name), rng, &rep); err != nil {
			return rep, err
		}
		rep.Files++
	}
	return rep, nil
}

func powerLossFile(path string, rng *rand.Rand, rep *PowerLossReport) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: power loss: %w", err)
	}
	defer f.Close()
	img, err := os.OpenFile(path+imageSuffix, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("store: power loss: %w", err)
	}
	defer img.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("store: power loss: %w", err)
	}
	size := st.Size()
	const chunk = 1 << 20
	live := make([]byte, chunk)
	disk := make([]byte, chunk)
	for off := int64(0); off < size; off += chunk {
		n := int(min(chunk, size-off))
		if _, err := f.ReadAt(live[:n], off); err != nil && err != io.EOF {
			return fmt.Errorf("store: power loss: read %s at %d: %w", path, off, err)
		}
		m, err := img.ReadAt(disk[:n], off)
		if err != nil && err != io.EOF {
			return fmt.Errorf("store: power loss: read %s at %d: %w", path+imageSuffix, off, err)
		}
		clear(disk[m:n]) // never synced: zeros on disk
		for p := 0; p < n; p += pageSize {
			q := min(p+pageSize, n)
			if bytes.Equal(live[p:q], disk[p:q]) {
				continue
			}
			rep.PagesDiffering++
			if rng.IntN(2) == 0 {
				k := (1 + rng.IntN(pageSize/sectorSize-1)) * sectorSize
				copy(disk[p:min(p+k, q)], live[p:min(p+k, q)])
				rep.PagesTorn++
			} else {
				rep.PagesReverted++
			}
		}
		if _, err := f.WriteAt(disk[:n], off); err != nil {
			return fmt.Errorf("store: power loss: write %s at %d: %w", path, off, err)
		}
		if _, err := img.WriteAt(disk[:n], off); err != nil {
			return fmt.Errorf("store: power loss: write %s at %d: %w", path+imageSuffix, off, err)
		}
	}
	if err := img.Truncate(size); err != nil {
		return fmt.Errorf("store: power loss: %w", err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("store: power loss: %w", err)
	}
	return img.Sync()
}
