package crashpoint

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/warmcheck/warmcheck/store"
)

// Config is one exploration. Zero fields take defaults.
type Config struct {
	Workload string // default "mixed"
	Ops      int    // default 100
	Seed     int64
	Bugs     []store.Bug
	// WorkDir holds the recording and the image being judged; default a
	// fresh directory under /dev/shm (or the system temp dir).
	WorkDir string
	// StatesPerPoint caps the crash states judged at one point (default
	// 64); the rest are counted in Result.Skipped.
	StatesPerPoint int
	// MaxPoints: above this many persistence points, every k-th point is
	// explored (k the smallest that fits) and Result.Sampled says so.
	// Default 50000.
	MaxPoints int
	// All: judge every state even after an inconsistent one (default: stop
	// at the first).
	All bool
}

func (c *Config) defaults() {
	if c.Workload == "" {
		c.Workload = "mixed"
	}
	if c.Ops == 0 {
		c.Ops = 100
	}
	if c.StatesPerPoint == 0 {
		c.StatesPerPoint = 64
	}
	if c.MaxPoints == 0 {
		c.MaxPoints = 50000
	}
}

// Failure is the first inconsistent crash state.
type Failure struct {
	Point    int          `json:"point"` // the crash happened right after this step
	Step     string       `json:"step"`
	Op       string       `json:"op"` // the client operation the step belongs to
	OpIndex  int          `json:"op_index"`
	Variant  string       `json:"variant"`
	Describe string       `json:"variant_description"`
	Finding  Finding      `json:"finding"`
	LastSync int          `json:"last_sync"` // op index of the last acknowledged Sync; -1 none
	Synced   []string     `json:"synced_ops_on_id"`
	Expect   *Expectation `json:"-"`
	image    map[string][]byte
}

// Result is an exploration's outcome.
type Result struct {
	Workload     string        `json:"workload"`
	Ops          int           `json:"ops"`
	Seed         int64         `json:"seed"`
	Bugs         []store.Bug   `json:"bugs,omitempty"`
	Steps        int           `json:"persistence_steps"`
	Points       int           `json:"points"`  // persistence points explored
	States       int           `json:"states"`  // crash states judged
	Skipped      int           `json:"skipped"` // states past the per-point cap
	Sampled      int           `json:"sampled_every,omitempty"`
	Inconsistent int           `json:"inconsistent"`
	First        *Failure      `json:"first_inconsistent,omitempty"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	StatesPerSec float64       `json:"states_per_second"`
}

// Explore records the workload once and judges every crash state it allows
// (bounded per point, see variants). An error means no verdict (bad input,
// or a log that does not replay: ErrIncompleteLog).
func Explore(cfg Config) (*Result, error) {
	cfg.defaults()
	ops, err := Plan(cfg.Workload, cfg.Ops, cfg.Seed)
	if err != nil {
		return nil, err
	}
	work, cleanup, err := workDir(cfg.WorkDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	start := time.Now()
	rec, err := Record(filepath.Join(work, "run"), ops, cfg.Bugs)
	if err != nil {
		return nil, err
	}
	res := &Result{Workload: cfg.Workload, Ops: cfg.Ops, Seed: cfg.Seed, Bugs: cfg.Bugs, Steps: len(rec.Steps)}
	first, last := rec.Ops[0].FirstStep-1, rec.Ops[len(rec.Ops)-1].EndStep-1
	every := 1
	if n := last - first + 1; n > cfg.MaxPoints {
		every = (n + cfg.MaxPoints - 1) / cfg.MaxPoints
		res.Sampled = every
	}
	rp := newReplay(rec.Steps)
	// The whole log must replay: the close's final sync checks the last
	// writes too.
	if err := newReplay(rec.Steps).advanceTo(len(rec.Steps) - 1); err != nil {
		return nil, err
	}
	stateDir := filepath.Join(work, "state")
	for p := first; p <= last; p += every {
		if err := rp.advanceTo(p); err != nil {
			return nil, err
		}
		units := rp.units()
		nextIsSync := p+1 < len(rec.Steps) && rec.Steps[p+1].Event.Op == store.PersistSync
		vs, skipped := variants(units, nextIsSync, len(rp.gone) > 0, cfg.StatesPerPoint)
		res.Points++
		res.Skipped += skipped
		ex := expect(rec.Ops, p)
		for _, v := range vs {
			keep, _ := v.keep(units)
			if err := rp.writeTo(stateDir, keep, rp.filesFor(v)); err != nil {
				return nil, err
			}
			res.States++
			f := Judge(stateDir, ex, cfg.Bugs)
			if f == nil {
				continue
			}
			res.Inconsistent++
			if res.First == nil {
				res.First = newFailure(rec, p, v, f, ex, rp.image(keep, rp.filesFor(v)))
			}
			if !cfg.All {
				break
			}
		}
		if res.First != nil && !cfg.All {
			break
		}
	}
	res.Elapsed = time.Since(start)
	if s := res.Elapsed.Seconds(); s > 0 {
		res.StatesPerSec = float64(res.States) / s
	}
	return res, nil
}

// Rebuild reconstructs the image of one crash state (point p, variant v) of
// the workload in cfg and writes it to dir, with the expectation the oracle
// judges it by. It is how a reported state is reproduced exactly.
func Rebuild(cfg Config, p int, v Variant, dir string) (*Expectation, error) {
	cfg.defaults()
	ops, err := Plan(cfg.Workload, cfg.Ops, cfg.Seed)
	if err != nil {
		return nil, err
	}
	work, cleanup, err := workDir(cfg.WorkDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()
	rec, err := Record(filepath.Join(work, "run"), ops, cfg.Bugs)
	if err != nil {
		return nil, err
	}
	if p < 0 || p >= len(rec.Steps) {
		return nil, fmt.Errorf("%w: point %d: the run has steps 0..%d", ErrBadInput, p, len(rec.Steps)-1)
	}
	rp := newReplay(rec.Steps)
	if err := rp.advanceTo(p); err != nil {
		return nil, err
	}
	keep, ok := v.keep(rp.units())
	if !ok || (v.Kind == "unlinked-back" && len(rp.gone) == 0) {
		return nil, fmt.Errorf("%w: variant %s does not apply at point %d", ErrBadInput, v, p)
	}
	ex := expect(rec.Ops, p)
	return ex, WriteState(dir, rp.image(keep, rp.filesFor(v)), ex)
}

func newFailure(rec *Recording, p int, v Variant, f *Finding, ex *Expectation, img map[string][]byte) *Failure {
	st := rec.Steps[p]
	fl := &Failure{Point: p, OpIndex: st.Op, Variant: v.String(), Describe: v.Describe(), Finding: *f, LastSync: ex.LastSync, Expect: ex, image: img}
	e := st.Event
	fl.Step = fmt.Sprintf("step %d: %s %s", p, e.Op, e.File)
	switch e.Op {
	case store.PersistWrite:
		fl.Step += fmt.Sprintf(" [%d,%d)", e.Off, e.Off+uint64(len(e.Data)))
	case store.PersistSync:
		fl.Step += fmt.Sprintf(" [%d,%d)", e.Off, e.Size)
	case store.PersistGrow, store.PersistCreate:
		fl.Step += fmt.Sprintf(" to %d bytes", e.Size)
	}
	if st.Op >= 0 && st.Op < len(rec.Ops) {
		fl.Op = fmt.Sprintf("op %d: %s", st.Op, rec.Ops[st.Op].String())
	}
	for i := 0; i < ex.LastSync; i++ {
		if f.ID != "" && rec.Ops[i].ID == f.ID {
			fl.Synced = append(fl.Synced, fmt.Sprintf("op %d: %s", i, rec.Ops[i].String()))
		}
	}
	return fl
}

func workDir(dir string) (string, func(), error) {
	if dir == "" {
		base := os.TempDir()
		if st, err := os.Stat("/dev/shm"); err == nil && st.IsDir() {
			base = "/dev/shm"
		}
		d, err := os.MkdirTemp(base, "warmcheck-crashes-")
		if err != nil {
			return "", nil, fmt.Errorf("crashpoint: work dir: %w", err)
		}
		return d, func() { os.RemoveAll(d) }, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("crashpoint: work dir: %w", err)
	}
	return dir, func() {}, nil
}

// writeImage makes dir hold exactly the files of img.
func writeImage(dir string, img map[string][]byte) error {
	if err := os.RemoveAll(dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("crashpoint: clear %s: %w", dir, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("crashpoint: %w", err)
	}
	for name, b := range img {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("crashpoint: write image: %w", err)
		}
	}
	return nil
}
