package crashpoint

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/warmcheck/warmcheck/store"
)

func explore(t *testing.T, cfg Config) *Result {
	t.Helper()
	res, err := Explore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestCorrectStoreEveryCrashStateConsistent(t *testing.T) {
	for _, w := range Workloads {
		for seed := int64(1); seed <= 1; seed++ {
			res := explore(t, Config{Workload: w, Ops: 25, Seed: seed})
			if res.First != nil {
				t.Fatalf("%s seed %d: %s at %s (%s): %s", w, seed, res.First.Variant, res.First.Step, res.First.Op, res.First.Finding.String())
			}
			if res.States < res.Points || res.Points < 25 {
				t.Fatalf("%s seed %d: only %d states at %d points", w, seed, res.States, res.Points)
			}
		}
	}
}

// Each durability bug of the catalogue is caught, and the same seed finds
// the same first inconsistent state.
func TestSeededDurabilityBugsCaughtDeterministically(t *testing.T) {
	for _, bug := range []store.Bug{store.BugSyncSkipsContent, store.BugRecoveryTrustsTorn} {
		for seed := int64(1); seed <= 3; seed++ {
			cfg := Config{Ops: 60, Seed: seed, Bugs: []store.Bug{bug}}
			a, b := explore(t, cfg), explore(t, cfg)
			if a.First == nil {
				t.Fatalf("%s seed %d: not caught (%d states at %d points)", bug, seed, a.States, a.Points)
			}
			if b.First == nil || a.First.Point != b.First.Point || a.First.Variant != b.First.Variant || a.First.Finding.String() != b.First.Finding.String() {
				t.Fatalf("%s seed %d: first inconsistent state differs between runs: %+v vs %+v", bug, seed, a.First, b.First)
			}
		}
	}
}

// A reported state rebuilt with Rebuild and written out is judged
// inconsistent again from its directory, and consistent on the correct
// store's recovery when the image itself is sound.
func TestRebuildAndJudgeStateDir(t *testing.T) {
	bugs := []store.Bug{store.BugRecoveryTrustsTorn}
	cfg := Config{Ops: 60, Seed: 1, Bugs: bugs}
	res := explore(t, cfg)
	if res.First == nil {
		t.Fatal("not caught")
	}
	v, err := ParseVariant(res.First.Variant)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "state")
	if _, err := Rebuild(cfg, res.First.Point, v, dir); err != nil {
		t.Fatal(err)
	}
	f, err := JudgeStateDir(dir, bugs)
	if err != nil {
		t.Fatal(err)
	}
	if f == nil || f.String() != res.First.Finding.String() {
		t.Fatalf("rebuilt state judged %v, explored %v", f, res.First.Finding.String())
	}
	// The correct recovery discards the torn record: the same image is
	// consistent.
	if f, err := JudgeStateDir(dir, nil); err != nil || f != nil {
		t.Fatalf("correct recovery of the torn image: %v %v", f, err)
	}
}

func TestBadInput(t *testing.T) {
	if _, err := Explore(Config{Workload: "nope"}); !errors.Is(err, ErrUnknownWorkload) {
		t.Fatalf("unknown workload: %v", err)
	}
	if _, err := Explore(Config{Ops: -1}); !errors.Is(err, ErrBadInput) {
		t.Fatalf("negative ops: %v", err)
	}
	for _, s := range []string{"", "only", "prefix:3", "prefix:3:0", "x:1", "only:a"} {
		if _, err := ParseVariant(s); !errors.Is(err, ErrBadInput) {
			t.Fatalf("variant %q: %v", s, err)
		}
	}
	for _, s := range []string{"none", "all", "unlinked-back", "only:3", "without:4", "prefix:5:2", "prefix-rest:5:1", "suffix:9:6"} {
		v, err := ParseVariant(s)
		if err != nil || v.String() != s {
			t.Fatalf("variant %q: %v %v", s, v, err)
		}
	}
}

// The oracle rejects an image that lost synced records: the blocks file of
// a consistent state after a Sync is cut back to its header page's worth of
// zeros.
func TestJudgeRejectsLostSyncedRecords(t *testing.T) {
	cfg := Config{Workload: "mixed", Ops: 40, Seed: 2}
	ops, _ := Plan(cfg.Workload, cfg.Ops, cfg.Seed)
	rec, err := Record(filepath.Join(t.TempDir(), "run"), ops, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The last point of the workload: every Sync of it has returned.
	p := rec.Ops[len(rec.Ops)-1].EndStep - 1
	ex := expect(rec.Ops, p)
	required := 0
	for _, v := range ex.Required {
		if v != nil {
			required++
		}
	}
	if ex.LastSync < 0 || required == 0 {
		t.Fatalf("seed gives no synced value (last sync %d)", ex.LastSync)
	}
	rp := newReplay(rec.Steps)
	if err := rp.advanceTo(p); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := rp.writeTo(dir, nil, rp.files); err != nil {
		t.Fatal(err)
	}
	if f := Judge(dir, ex, nil); f != nil {
		t.Fatalf("intact durable image judged inconsistent: %s", f)
	}
	if err := rp.writeTo(dir, nil, rp.files); err != nil {
		t.Fatal(err)
	}
	blocks := rp.files["blocks.dat"]
	zero := make([]byte, len(blocks.dur)-4096)
	if err := writeAt(filepath.Join(dir, "blocks.dat"), zero, 4096); err != nil {
		t.Fatal(err)
	}
	f := Judge(dir, ex, nil)
	if f == nil || f.Reason != "acknowledged and synced, lost after the crash" {
		t.Fatalf("image without its synced records judged %v", f)
	}
}

func writeAt(path string, b []byte, off int64) error {
	fd, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer fd.Close()
	_, err = fd.WriteAt(b, off)
	return err
}
