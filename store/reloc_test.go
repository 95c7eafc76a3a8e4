package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testRelocTable() *relocTable {
	return &relocTable{epoch: 3, entries: []relocEntry{
		{slot: 1, contentLen: 10, seq: 7, off: 4096},
		{slot: 4, contentLen: 0, seq: 9, off: 4106},
		{slot: 9, contentLen: 5, seq: 2, off: 4106},
	}}
}

func TestRelocTableRoundTrip(t *testing.T) {
	want := testRelocTable()
	got, err := decodeRelocTable("reloc.3.dat", 3, encodeRelocTable(want))
	if err != nil {
		t.Fatal(err)
	}
	if got.epoch != want.epoch || fmt.Sprint(got.entries) != fmt.Sprint(want.entries) {
		t.Fatalf("decoded %+v, want %+v", got, want)
	}
}

// Every kind of damage to a table is refused with ErrCorrupt (or the file
// header's own error) naming the file and the offset.
func TestRelocTableDamageRefused(t *testing.T) {
	good := encodeRelocTable(testRelocTable())
	entry := func(i, field int) int { return fileHeaderSize + i*relocEntrySize + field }
	cases := []struct {
		name    string
		damage  func(b []byte) []byte
		epoch   uint64
		wantErr error
		wantMsg string
	}{
		{"entry byte flipped", func(b []byte) []byte { b[entry(1, 17)] ^= 1; return b }, 3, ErrCorrupt, "offset 520"},
		{"count changed", func(b []byte) []byte { b[relocRecordOff] = 2; return b }, 3, ErrCorrupt, "offset 512"},
		{"truncated by one entry", func(b []byte) []byte { return b[:len(b)-relocEntrySize] }, 3, ErrCorrupt, "offset 512"},
		{"torn entry", func(b []byte) []byte { return b[:len(b)-1] }, 3, ErrCorrupt, "offset 512"},
		{"header only", func(b []byte) []byte { return b[:100] }, 3, ErrCorrupt, "truncated"},
		{"epoch differs from name", func(b []byte) []byte { return b }, 4, ErrCorrupt, "offset 24"},
		{"version 1", func(b []byte) []byte {
			le.PutUint32(b[8:], formatVersion1)
			le.PutUint32(b[40:], crc(b[0:40]))
			return b
		}, 3, ErrBadVersion, "offset 8"},
		{"slots not increasing", func(b []byte) []byte {
			t := testRelocTable()
			t.entries[2].slot = 4
			return encodeRelocTable(t)
		}, 3, ErrCorrupt, fmt.Sprintf("offset %d", entry(2, 0))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := c.damage(bytes.Clone(good))
			_, err := decodeRelocTable("reloc.x.dat", c.epoch, b)
			if !errors.Is(err, c.wantErr) || !strings.Contains(err.Error(), "reloc.x.dat") || !strings.Contains(err.Error(), c.wantMsg) {
				t.Fatalf("error %v, want %v naming reloc.x.dat and %q", err, c.wantErr, c.wantMsg)
			}
		})
	}
}

// An entry applies only to the record it names: same slot, seq and content
// length, with content; the newest table wins.
func TestRelocatorMatchesOnlyItsRecord(t *testing.T) {
	older := &relocTable{epoch: 2, entries: []relocEntry{{slot: 1, contentLen: 10, seq: 7, off: 5000}, {slot: 5, contentLen: 3, seq: 8, off: 6000}}}
	newer := testRelocTable()
	r := newRelocator([]*relocTable{older, newer})
	cases := []struct {
		slot               uint32
		h                  recordHeader
		wantOff, wantEpoch uint64
	}{
		{1, recordHeader{seq: 7, contentLen: 10, flags: flagHasContent, contentOff: 1, contentEpoch: 1}, 4096, 3}, // both match: newest
		{4, recordHeader{seq: 9, contentLen: 0, flags: 0, contentOff: 1, contentEpoch: 1}, 1, 1},                  // no content
		{5, recordHeader{seq: 8, contentLen: 3, flags: flagHasContent, contentOff: 1, contentEpoch: 1}, 6000, 2},  // older only
		{9, recordHeader{seq: 3, contentLen: 5, flags: flagHasContent, contentOff: 1, contentEpoch: 1}, 1, 1},     // another seq
	}
	for _, c := range cases {
		h := c.h
		r.resolve(c.slot, &h)
		if h.contentOff != c.wantOff || h.contentEpoch != c.wantEpoch {
			t.Errorf("slot %d: resolved to %d@%d, want %d@%d", c.slot, h.contentOff, h.contentEpoch, c.wantOff, c.wantEpoch)
		}
	}
	h := recordHeader{seq: 2, contentLen: 6, flags: flagHasContent, contentOff: 1, contentEpoch: 1}
	newRelocator([]*relocTable{newer}).resolve(9, &h)
	if h.contentEpoch != 1 {
		t.Errorf("slot 9 with another content length resolved to epoch %d", h.contentEpoch)
	}
	if got := r.maxSeq(); got != 9 {
		t.Errorf("maxSeq %d, want 9", got)
	}
}

// After a compaction the store holds one content file and one relocation
// table; a second compaction replaces both, and a reopen finds every memory.
func TestCompactionKeepsOneTable(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	want := map[string][]byte{}
	for i := range 50 {
		id := fmt.Sprintf("k%d", i)
		want[id] = bytes.Repeat([]byte{byte(i)}, 10+i)
		if _, err := s.Put(id, Memory{Content: want[id]}); err != nil {
			t.Fatal(err)
		}
	}
	for round := 1; round <= 2; round++ {
		if _, err := s.Remove(fmt.Sprintf("k%d", round)); err != nil {
			t.Fatal(err)
		}
		delete(want, fmt.Sprintf("k%d", round))
		st, err := s.Compact()
		if err != nil {
			t.Fatal(err)
		}
		if st.Moved != uint64(len(want)) {
			t.Fatalf("round %d: moved %d, want %d", round, st.Moved, len(want))
		}
		names := dirNames(t, dir)
		if wantNames := fmt.Sprintf("[blocks.dat content.%d.dat reloc.%d.dat]", round, round); fmt.Sprint(names) != wantNames {
			t.Fatalf("round %d: files %v, want %s", round, names, wantNames)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{GroupCommit: -1})
	for id, c := range want {
		if m := mustGet(t, s, id); !bytes.Equal(m.Content, c) {
			t.Fatalf("%s: content %q, want %q", id, m.Content, c)
		}
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// A record that a table names is removed, the store reopened and a new
// record of the same content length put into its slot: it must not be
// taken for the relocated one (recovery starts the sequence above every
// seq a table names), or the next recovery would read the old bytes for
// it and discard it as torn. b holds the highest seq and its copy lies
// before d's, so c's content does not land where b's copy was.
func TestRelocatedSeqNeverReused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	put := func(id string) Placement {
		t.Helper()
		pl, err := s.Put(id, Memory{Content: []byte(id + "-val")})
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}
	put("a")
	put("x")
	put("d")
	if _, err := s.Remove("x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil { // frees x's slot 1 for b
		t.Fatal(err)
	}
	if pl := put("b"); pl.Slot != 1 {
		t.Fatalf("b took slot %d, want 1", pl.Slot)
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Remove("b"); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{GroupCommit: -1})
	if pl := put("c"); pl.Slot != 1 {
		t.Fatalf("c took slot %d, want b's slot 1 (the test needs the reuse)", pl.Slot)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{GroupCommit: -1})
	if m := mustGet(t, s, "c"); string(m.Content) != "c-val" {
		t.Fatalf("c: content %q, want c-val", m.Content)
	}
	if st := s.Stats(); st.TornDiscarded != 0 {
		t.Fatalf("%d records discarded as torn", st.TornDiscarded)
	}
}

// A damaged relocation table makes Open fail with ErrCorrupt naming it:
// the records it moved cannot be found without it.
func TestOpenRefusesDamagedTable(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	if _, err := s.Put("a", Memory{Content: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	path := relocFileName(dir, 1)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[fileHeaderSize+3] ^= 0x80
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{GroupCommit: -1})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(path)) {
		t.Fatalf("Open: %v, want ErrCorrupt naming %s", err, filepath.Base(path))
	}
}

// Open migrates a version-1 store: the blocks file's header says version 2
// afterwards (so a format-1 binary refuses it), and nothing else changed.
func TestMigrateV1BumpsVersion(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{GroupCommit: -1})
	if _, err := s.Put("a", Memory{Content: []byte("hello")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	bp := filepath.Join(dir, blocksFileName)
	f, err := os.OpenFile(bp, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	hdr := make([]byte, fileHeaderSize)
	if _, err := f.ReadAt(hdr, 0); err != nil {
		t.Fatal(err)
	}
	le.PutUint32(hdr[8:], formatVersion1)
	le.PutUint32(hdr[40:], crc(hdr[0:40]))
	if _, err := f.WriteAt(hdr, 0); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{GroupCommit: -1})
	if m := mustGet(t, s, "a"); string(m.Content) != "hello" {
		t.Fatalf("content %q", m.Content)
	}
	if _, err := f.ReadAt(hdr, 0); err != nil {
		t.Fatal(err)
	}
	h, err := decodeFileHeader(bp, hdr, fileKindBlocks)
	if err != nil || h.version != formatVersion {
		t.Fatalf("after Open: version %d, err %v; want %d", h.version, err, formatVersion)
	}
	if got, ok := sizeRecord(hdr); !ok || got == 0 {
		t.Fatalf("size record lost: %d, %v", got, ok)
	}
	le.PutUint32(hdr[8:], 3)
	le.PutUint32(hdr[40:], crc(hdr[0:40]))
	if _, err := decodeFileHeader(bp, hdr, fileKindBlocks); !errors.Is(err, ErrBadVersion) {
		t.Fatalf("version 3: %v, want ErrBadVersion", err)
	}
}

// Records changed while a compaction is between its copy and its
// relocation are relocated only if they are still the copied record: x is
// removed and put again into the same slot (its shard's version changes,
// so the full check runs and finds x's new content in the new epoch), a's
// activation changes (same record: relocated). The table names a and b, not
// x, and a reopen reads the same.
func TestCompactionRelocatesOnlyCurrentRecords(t *testing.T) {
	dir := t.TempDir()
	fps := NewFailpoints()
	s := mustOpen(t, dir, Options{GroupCommit: -1, Failpoints: fps})
	for _, id := range []string{"a", "b", "x"} {
		if _, err := s.Put(id, Memory{Content: []byte(id + "-old")}); err != nil {
			t.Fatal(err)
		}
	}
	if err := fps.Arm(FailCompactMid, Action{Kind: ActionPause}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := s.Compact(); done <- err }()
	for fps.Hits()[FailCompactMid] == 0 {
		time.Sleep(time.Millisecond)
	}
	if _, err := s.Remove("x"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil { // frees x's slot for the next Put
		t.Fatal(err)
	}
	if pl, err := s.Put("x", Memory{Content: []byte("x-new")}); err != nil || pl.Slot != 2 {
		t.Fatalf("put x: slot %d, %v; want x's old slot 2", pl.Slot, err)
	}
	if _, err := s.UpdateActivation("a", 0.75); err != nil {
		t.Fatal(err)
	}
	fps.Disarm(FailCompactMid)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	tables, err := readRelocTables(dir)
	if err != nil || len(tables) != 1 {
		t.Fatalf("tables %v, %v", tables, err)
	}
	var slots []uint32
	for _, e := range tables[0].entries {
		slots = append(slots, e.slot)
	}
	if fmt.Sprint(slots) != "[0 1]" {
		t.Fatalf("table names slots %v, want [0 1] (a, b)", slots)
	}
	check := func() {
		t.Helper()
		for id, want := range map[string]string{"a": "a-old", "b": "b-old", "x": "x-new"} {
			if m := mustGet(t, s, id); string(m.Content) != want {
				t.Fatalf("%s: content %q, want %q", id, m.Content, want)
			}
		}
		if m := mustGet(t, s, "a"); m.Activation != 0.75 {
			t.Fatalf("a: activation %v, want 0.75", m.Activation)
		}
	}
	check()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, Options{GroupCommit: -1})
	check()
}
