package crashpoint

import (
	"slices"
	"testing"
)

func sectors(file string, from, n int) []sectorRef {
	var s []sectorRef
	for i := range n {
		s = append(s, sectorRef{file, from + i})
	}
	return s
}

// One 7-sector record alone: none, all, and its 6 prefixes and 6 suffixes
// (only == all, without == none, prefix-rest == prefix are duplicates).
func TestVariantsOneRecord(t *testing.T) {
	units := []unit{{step: 9, sectors: sectors("blocks.dat", 8, 7)}}
	vs, skipped := variants(units, false, false, 64)
	if len(vs) != 14 || skipped != 0 {
		t.Fatalf("%d variants (%v), %d skipped; want 14, 0", len(vs), vs, skipped)
	}
	vs, skipped = variants(units, false, false, 5)
	if len(vs) != 5 || skipped != 9 {
		t.Fatalf("capped at 5: %d variants, %d skipped; want 5, 9", len(vs), skipped)
	}
}

// Before a sync, every older write is also kept alone and left out alone:
// the free marker of an old slot can reach the disk without the new record.
func TestVariantsBeforeSync(t *testing.T) {
	units := []unit{
		{step: 3, sectors: sectors("content.0.dat", 9, 1)},
		{step: 4, sectors: sectors("blocks.dat", 8, 1)},
		{step: 5, sectors: sectors("blocks.dat", 15, 1)},
	}
	plain, _ := variants(units, false, false, 64)
	before, _ := variants(units, true, false, 64)
	has := func(vs []Variant, s string) bool {
		for _, v := range vs {
			if v.String() == s {
				return true
			}
		}
		return false
	}
	for _, s := range []string{"only:3", "without:3", "only:4", "without:4"} {
		if has(plain, s) {
			t.Errorf("%s explored without a following sync", s)
		}
		if !has(before, s) {
			t.Errorf("%s not explored before a sync: %v", s, before)
		}
	}
	keep, ok := Variant{Kind: "without", Unit: 4}.keep(units)
	if !ok || len(keep) != 2 || keep[0].sector != 9 || keep[1].sector != 15 {
		t.Fatalf("without:4 keeps %v", keep)
	}
}

// A compaction unlinks the old content file without a directory fsync: the
// points after it explore the image with that file back.
func TestUnlinkedFileComesBack(t *testing.T) {
	ops, err := Plan("compaction", 40, 2)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := Record(t.TempDir()+"/run", ops, nil)
	if err != nil {
		t.Fatal(err)
	}
	rp := newReplay(rec.Steps)
	for p := range rec.Steps {
		if err := rp.advanceTo(p); err != nil {
			t.Fatal(err)
		}
		if len(rp.gone) == 0 {
			continue
		}
		vs, _ := variants(rp.units(), false, true, 64)
		v := Variant{Kind: "unlinked-back"}
		if !slices.Contains(vs, v) {
			t.Fatalf("point %d: variants %v", p, vs)
		}
		files := rp.filesFor(v)
		if len(files) != len(rp.files)+len(rp.gone) {
			t.Fatalf("point %d: %d files, want %d + %d unlinked", p, len(files), len(rp.files), len(rp.gone))
		}
		dir := t.TempDir()
		if err := rp.writeTo(dir, nil, files); err != nil {
			t.Fatal(err)
		}
		if f := Judge(dir, expect(rec.Ops, p), nil); f != nil {
			t.Fatalf("point %d, unlinked file back: %s", p, f)
		}
		return
	}
	t.Fatal("no compaction unlinked a file in this workload")
}
