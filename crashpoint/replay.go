package crashpoint

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/cespare/xxhash/v2"
	"github.com/warmcheck/warmcheck/store"
)

const sectorSize = 512

// fileImage is one data file as the replay knows it after some step.
// Invariants: len(dur) == len(vol); dur holds what successful syncs made
// durable (zeros where nothing was synced); writer maps each sector written
// since it was last synced to the step that last wrote it.
type fileImage struct {
	vol, dur []byte
	writer   map[int]int
}

// replay holds the files after steps [0, next) of a recording.
type replay struct {
	steps []Step
	next  int
	files map[string]*fileImage
	// gone holds the files unlinked since the last directory fsync (the
	// store fsyncs the directory only when it creates a file): after a
	// power cut they may be back, with their durable bytes.
	gone map[string]*fileImage
}

func newReplay(steps []Step) *replay {
	return &replay{steps: steps, files: map[string]*fileImage{}, gone: map[string]*fileImage{}}
}

// filesFor returns the files variant v's image holds.
func (r *replay) filesFor(v Variant) map[string]*fileImage {
	if v.Kind != "unlinked-back" || len(r.gone) == 0 {
		return r.files
	}
	all := make(map[string]*fileImage, len(r.files)+len(r.gone))
	for name, f := range r.gone {
		all[name] = &fileImage{vol: f.dur, dur: f.dur}
	}
	for name, f := range r.files {
		all[name] = f
	}
	return all
}

// advanceTo applies steps up to and including p. A sync whose digest does
// not match the replayed bytes is ErrIncompleteLog.
//
// Model (store/doc.go, format.go): a created file is durable whole (the store
// fsyncs it and its directory before use); a growth's new size is durable
// when fallocate returns (format.go relies on this: the size record is
// written after it); a write is durable once a sync covers it; an unlinked
// file is gone, or back until the next directory fsync (a create).
func (r *replay) advanceTo(p int) error {
	for ; r.next <= p; r.next++ {
		e := &r.steps[r.next].Event
		f := r.files[e.File]
		if f == nil && e.Op != store.PersistCreate {
			return fmt.Errorf("%w: step %d: %s of %s, which was never created", ErrIncompleteLog, r.next, e.Op, e.File)
		}
		switch e.Op {
		case store.PersistCreate:
			f = &fileImage{vol: make([]byte, e.Size), dur: make([]byte, e.Size), writer: map[int]int{}}
			copy(f.vol, e.Data)
			copy(f.dur, e.Data)
			r.files[e.File] = f
			clear(r.gone)
		case store.PersistGrow:
			if n := int(e.Size) - len(f.vol); n > 0 {
				f.vol = append(f.vol, make([]byte, n)...)
				f.dur = append(f.dur, make([]byte, n)...)
			}
		case store.PersistWrite:
			end := e.Off + uint64(len(e.Data))
			if end > uint64(len(f.vol)) {
				return fmt.Errorf("%w: step %d: write of %s [%d,%d) past its size %d", ErrIncompleteLog, r.next, e.File, e.Off, end, len(f.vol))
			}
			copy(f.vol[e.Off:], e.Data)
			for s := int(e.Off / sectorSize); s <= int((end-1)/sectorSize); s++ {
				f.writer[s] = r.next
			}
		case store.PersistSync:
			if e.Size > uint64(len(f.vol)) || xxhash.Sum64(f.vol[e.Off:e.Size]) != e.Digest {
				return fmt.Errorf("%w: step %d: sync of %s [%d,%d)", ErrIncompleteLog, r.next, e.File, e.Off, e.Size)
			}
			copy(f.dur[e.Off:e.Size], f.vol[e.Off:e.Size])
			for s := range f.writer {
				if uint64(s)*sectorSize >= e.Off && uint64(s+1)*sectorSize <= e.Size {
					delete(f.writer, s)
				}
			}
		case store.PersistUnlink:
			r.gone[e.File] = f
			delete(r.files, e.File)
		}
	}
	return nil
}

// sectorRef names one sector of one file.
type sectorRef struct {
	file   string
	sector int
}

// unit is the unsynced sectors whose last write was one step, in order.
type unit struct {
	step    int
	sectors []sectorRef
}

// units returns the sectors whose volatile bytes differ from the durable
// ones, grouped by the step that last wrote them, oldest step first.
func (r *replay) units() []unit {
	by := map[int][]sectorRef{}
	for name, f := range r.files {
		for s, step := range f.writer {
			lo, hi := s*sectorSize, min((s+1)*sectorSize, len(f.vol))
			if !bytes.Equal(f.vol[lo:hi], f.dur[lo:hi]) {
				by[step] = append(by[step], sectorRef{name, s})
			}
		}
	}
	out := make([]unit, 0, len(by))
	for step, secs := range by {
		slices.SortFunc(secs, func(a, b sectorRef) int {
			if a.file != b.file {
				return compareStrings(a.file, b.file)
			}
			return a.sector - b.sector
		})
		out = append(out, unit{step, secs})
	}
	slices.SortFunc(out, func(a, b unit) int { return a.step - b.step })
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// image returns the bytes of every file with the sectors in keep taken from
// the volatile image and all others from the durable one.
func (r *replay) image(keep []sectorRef, files map[string]*fileImage) map[string][]byte {
	out := make(map[string][]byte, len(files))
	for name, f := range files {
		out[name] = slices.Clone(f.dur)
	}
	for _, k := range keep {
		f := files[k.file]
		lo, hi := k.sector*sectorSize, min((k.sector+1)*sectorSize, len(f.vol))
		copy(out[k.file][lo:hi], f.vol[lo:hi])
	}
	return out
}

// writeTo makes dir hold exactly the image image(keep) would return, writing
// in place (each file's durable bytes, then the kept sectors) so that one
// state costs a few pwrites, not new files.
func (r *replay) writeTo(dir string, keep []sectorRef, files map[string]*fileImage) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	for _, e := range entries {
		if _, ok := files[e.Name()]; !ok {
			if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
				return fmt.Errorf("crashpoint: %w", err)
			}
		}
	}
	for name, f := range files {
		if err := r.writeFile(filepath.Join(dir, name), name, f, keep); err != nil {
			return err
		}
	}
	return nil
}

func (r *replay) writeFile(path, name string, f *fileImage, keep []sectorRef) error {
	fd, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	defer fd.Close()
	if err := fd.Truncate(int64(len(f.dur))); err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	if _, err := fd.WriteAt(f.dur, 0); err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	for _, k := range keep {
		if k.file != name {
			continue
		}
		lo, hi := k.sector*sectorSize, min((k.sector+1)*sectorSize, len(f.vol))
		if _, err := fd.WriteAt(f.vol[lo:hi], int64(lo)); err != nil {
			return fmt.Errorf("crashpoint: %w", err)
		}
	}
	return nil
}
