package store

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// relocFixture is a cleanly closed store after two compactions, with
// memories put between and after them: records whose headers name deleted
// epochs 0 and 1 and reach their content through reloc.2.dat. Two memories,
// "twin-a" and "twin-b", have the same content.
func relocFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	put := func(id string, c []byte) {
		if _, err := s.Put(id, Memory{Embedding: testEmbedding(len(id)), Content: c}); err != nil {
			t.Fatal(err)
		}
	}
	compact := func() {
		if _, err := s.Compact(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 8 {
		put(fmt.Sprintf("m%d", i), bytes.Repeat([]byte{byte('a' + i)}, 50+i))
	}
	put("twin-a", []byte("same content"))
	put("twin-b", []byte("same content"))
	if _, err := s.Remove("m3"); err != nil {
		t.Fatal(err)
	}
	compact()
	put("m1", []byte("replaced after the first compaction"))
	put("late", []byte("put into epoch 1"))
	compact()
	put("after", []byte("put into epoch 2"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if names := dirNames(t, dir); !strings.Contains(strings.Join(names, " "), "reloc.2.dat") {
		t.Fatalf("fixture files %v: want reloc.2.dat", names)
	}
	return dir
}

// Headers that name deleted epochs are consistent when the newest table
// relocates them; the stats are the store's own after Open.
func TestInspectRelocatedStoreConsistent(t *testing.T) {
	dir := relocFixture(t)
	stale := 0
	for _, r := range rawHeaders(t, dir) {
		if r.h.hasContent() && r.h.contentEpoch < 2 {
			stale++
		}
	}
	if stale == 0 {
		t.Fatal("fixture: no header names a deleted epoch: the test would not exercise the tables")
	}
	rep := mustInspect(t, dir)
	if rep.Verdict != Consistent || len(rep.Problems) != 0 {
		t.Fatalf("verdict %v, problems %v", rep.Verdict, rep.Problems)
	}
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	want := s.Stats()
	s.Close()
	st := rep.Stats
	if st.Live != uint64(want.Live) || st.ContentBytesLive != want.ContentBytesLive || st.ContentBytesTotal != want.ContentBytesTotal {
		t.Errorf("inspect live %d bytes %d/%d, the store after Open says %d, %d/%d", st.Live, st.ContentBytesLive, st.ContentBytesTotal, want.Live, want.ContentBytesLive, want.ContentBytesTotal)
	}
}

// rawHeaders decodes every live slot header of dir's blocks file as it is
// on disk (no relocation applied).
func rawHeaders(t *testing.T, dir string) []inspectedRecord {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, blocksFileName))
	if err != nil {
		t.Fatal(err)
	}
	var recs []inspectedRecord
	for slot := uint64(0); slotOffset(slot)+slotSize <= uint64(len(b)); slot++ {
		sb := b[slotOffset(slot) : slotOffset(slot)+slotSize]
		if getState(sb) == stateLive && headerValid(sb) {
			recs = append(recs, inspectedRecord{id: string(headerID(sb)), slot: slot, h: decodeHeader(sb)})
		}
	}
	return recs
}

// rewriteTable re-encodes reloc.<epoch>.dat of dir after fn changed its
// entries: checksums hold, only the entries lie.
func rewriteTable(t *testing.T, dir string, epoch uint64, fn func(tb *relocTable)) {
	t.Helper()
	tables, err := readRelocTables(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range tables {
		if tb.epoch == epoch {
			fn(tb)
			if err := os.WriteFile(relocFileName(dir, epoch), encodeRelocTable(tb), 0o644); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatalf("no table of epoch %d", epoch)
}

// expectAt checks that the report is Inconsistent and has a problem of kind
// in file at offset.
func expectAt(t *testing.T, rep InspectReport, kind ProblemKind, file string, off uint64) {
	t.Helper()
	if rep.Verdict != Inconsistent {
		t.Errorf("verdict %v, want inconsistent", rep.Verdict)
	}
	for _, p := range rep.Problems {
		if p.Kind == kind && p.File == file && p.Offset == off && p.Severity == SeverityDamage {
			return
		}
	}
	t.Errorf("no %s damage at %s offset %d; problems: %v", kind, file, off, rep.Problems)
}

// entryOf returns the index of the entry for the current record of id.
func entryOf(t *testing.T, dir string, tb *relocTable, id string) int {
	t.Helper()
	var slot uint32
	var seq uint64
	for _, r := range rawHeaders(t, dir) {
		if r.id == id && r.h.seq >= seq {
			slot, seq = uint32(r.slot), r.h.seq
		}
	}
	for k, e := range tb.entries {
		if e.slot == slot && e.seq == seq {
			return k
		}
	}
	t.Fatalf("no entry for %s (slot %d seq %d)", id, slot, seq)
	return 0
}

// A table that fails a check is named with the offset of what failed; the
// records it relocated are then missing their content (as recovery, which
// refuses the store, would find).
func TestInspectNamesDamagedTable(t *testing.T) {
	cases := []struct {
		name   string
		damage func(b []byte) []byte
		off    uint64
	}{
		{"entry byte flipped", func(b []byte) []byte { b[fileHeaderSize+relocEntrySize+17] ^= 1; return b }, relocRecordOff + 8},
		{"count changed", func(b []byte) []byte { b[relocRecordOff]++; return b }, relocRecordOff},
		{"torn entry", func(b []byte) []byte { return b[:len(b)-1] }, relocRecordOff},
		{"header crc", func(b []byte) []byte { b[33] ^= 1; return b }, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := relocFixture(t)
			patch(t, dir, "reloc.2.dat", c.damage)
			rep := mustInspect(t, dir)
			expectAt(t, rep, ProblemRelocTable, "reloc.2.dat", c.off)
			expectProblem(t, rep, Inconsistent, ProblemContentMissing, nil)
		})
	}
	t.Run("slots out of order", func(t *testing.T) {
		dir := relocFixture(t)
		rewriteTable(t, dir, 2, func(tb *relocTable) { tb.entries[2].slot = tb.entries[0].slot })
		expectAt(t, mustInspect(t, dir), ProblemRelocTable, "reloc.2.dat", relocEntryOffset(2))
	})
}

// An entry that points past the end of its content file, or onto another
// live record's content, is named by table and entry offset.
func TestInspectNamesBadTableEntry(t *testing.T) {
	t.Run("outside its content file", func(t *testing.T) {
		dir := relocFixture(t)
		var k int
		rewriteTable(t, dir, 2, func(tb *relocTable) {
			k = entryOf(t, dir, tb, "m0")
			tb.entries[k].off = 1 << 30
		})
		expectAt(t, mustInspect(t, dir), ProblemContentOutside, "reloc.2.dat", relocEntryOffset(k))
	})
	t.Run("inside its content file's header", func(t *testing.T) {
		dir := relocFixture(t)
		var k int
		rewriteTable(t, dir, 2, func(tb *relocTable) {
			k = entryOf(t, dir, tb, "m0")
			tb.entries[k].off = 64
		})
		expectAt(t, mustInspect(t, dir), ProblemContentOutside, "reloc.2.dat", relocEntryOffset(k))
	})
	t.Run("overlapping another live range", func(t *testing.T) {
		// twin-b's entry points at twin-a's copy: the same bytes, so every
		// checksum holds and only the overlap shows.
		dir := relocFixture(t)
		var kb int
		rewriteTable(t, dir, 2, func(tb *relocTable) {
			ka := entryOf(t, dir, tb, "twin-a")
			kb = entryOf(t, dir, tb, "twin-b")
			tb.entries[kb].off = tb.entries[ka].off
		})
		rep := mustInspect(t, dir)
		expectAt(t, rep, ProblemContentOverlap, "reloc.2.dat", relocEntryOffset(kb))
		for _, p := range rep.Problems {
			if p.Kind != ProblemContentOverlap {
				t.Errorf("unexpected problem %v", p)
			}
		}
	})
}

// A version-1 store is inspected as it is (never migrated); once a store
// migrated it, the version-2 header (sector 0) and the clean-close record
// (sector 2) both hold.
func TestInspectVersion1Store(t *testing.T) {
	dir := inspectFixture{dir: filepath.Join("testdata", "v1-store")}.clone(t)
	before := dirBytes(t, dir)
	rep := mustInspect(t, dir)
	if rep.Verdict == Inconsistent {
		t.Fatalf("version-1 store: verdict %v, problems %v", rep.Verdict, rep.Problems)
	}
	if !mapsEqual(before, dirBytes(t, dir)) {
		t.Fatal("Inspect changed a version-1 store")
	}
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, blocksFileName))
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := decodeFileHeader(blocksFileName, b[:fileHeaderSize], fileKindBlocks)
	if err != nil || hdr.version != formatVersion {
		t.Fatalf("migrated header: version %d, %v", hdr.version, err)
	}
	if _, ok := cleanRecord(b[:fileHeaderSize]); !ok {
		t.Fatal("no clean-close record after Close of a migrated store")
	}
	rep = mustInspect(t, dir)
	if rep.Verdict != Consistent || !rep.CleanClose {
		t.Fatalf("migrated store: verdict %v, clean %v, problems %v", rep.Verdict, rep.CleanClose, rep.Problems)
	}
}
