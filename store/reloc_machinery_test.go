package store

// The machinery around the store (power-loss rebuild, online placement
// check) sees the relocation tables.

import (
	"bytes"
	"errors"
	"path"
	"testing"
)

// The online placement check learns the live ranges at Open from the
// resolved content references: after a reopen, a Put whose content would
// land on a relocated memory's copy (the tail set back onto it, as a
// content-offset bug would) is refused, and the memory keeps its bytes.
func TestOnlineCheckSeesRelocatedRanges(t *testing.T) {
	dir := relocFixture(t)
	tables, err := readRelocTables(dir)
	if err != nil || len(tables) == 0 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	tb := tables[len(tables)-1]
	k := entryOf(t, dir, tb, "m0")
	opts := Options{GroupCommit: -1, CheckPlacements: true}
	opts.test.contentTail = tb.entries[k].off
	s := mustOpen(t, dir, opts)
	defer s.Close()
	before, _, err := s.Get("m0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("intruder", Memory{Content: []byte("x")}); !errors.Is(err, ErrPlacementCollision) {
		t.Fatalf("put onto m0's relocated content: %v, want ErrPlacementCollision", err)
	}
	after, _, err := s.Get("m0")
	if err != nil || !bytes.Equal(after.Content, before.Content) {
		t.Fatalf("m0 after the refused put: %q, %v", after.Content, err)
	}
}

// A power loss rebuilds the relocation table from its durable image like
// every data file: the table is one of the data files (DataFilePatterns,
// isDataFileName), and the store reopens with every memory found through it.
func TestPowerLossKeepsRelocationTable(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1, DurableImage: true})
	want := map[string][]byte{}
	for _, id := range []string{"a", "b", "c", "d"} {
		want[id] = []byte("content of " + id)
		if _, err := s.Put(id, Memory{Content: want[id]}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Remove("b"); err != nil {
		t.Fatal(err)
	}
	delete(want, "b")
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	s.abandon()
	matched := false
	for _, p := range DataFilePatterns() {
		if ok, _ := path.Match(p, "reloc.1.dat"); ok {
			matched = true
		}
	}
	if !matched || !isDataFileName("reloc.1.dat") {
		t.Fatalf("reloc.1.dat is not a data file: patterns %v", DataFilePatterns())
	}
	rep, err := SimulatePowerLoss(dir, 1)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Files != 3 { // blocks.dat, content.1.dat, reloc.1.dat
		t.Fatalf("power loss rebuilt %d files, want 3: %v", rep.Files, dirNames(t, dir))
	}
	s = mustOpen(t, dir, Options{GroupCommit: -1})
	defer s.Close()
	for id, c := range want {
		got, _, err := s.Get(id)
		if err != nil || !bytes.Equal(got.Content, c) {
			t.Fatalf("%s after the power loss: %q, %v", id, got.Content, err)
		}
	}
}

// Without a reopen too: compaction's copier claims the ranges it copies
// into, so after the relocation a Put whose content would land on a moved
// memory's copy (the tail set back onto it) is refused.
func TestOnlineCheckSeesCompactionCopies(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{GroupCommit: -1, CheckPlacements: true})
	defer s.Close()
	want := []byte("moved by the compaction")
	for _, id := range []string{"a", "m0", "z"} {
		if _, err := s.Put(id, Memory{Content: append([]byte(id+": "), want...)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	before, _, err := s.Get("m0")
	if err != nil {
		t.Fatal(err)
	}
	slot := s.idx.shardOf("m0").m["m0"]
	off, epoch := s.meta.contentRef(uint64(slot))
	cf := s.epochs.Load().current()
	if cf.epoch != epoch {
		t.Fatalf("m0's content is in epoch %d, the current one is %d", epoch, cf.epoch)
	}
	cf.tail.Store(off)
	if _, err := s.Put("intruder", Memory{Content: []byte("x")}); !errors.Is(err, ErrPlacementCollision) {
		t.Fatalf("put onto m0's copy: %v, want ErrPlacementCollision", err)
	}
	after, _, err := s.Get("m0")
	if err != nil || !bytes.Equal(after.Content, before.Content) {
		t.Fatalf("m0 after the refused put: %q, %v", after.Content, err)
	}
}
