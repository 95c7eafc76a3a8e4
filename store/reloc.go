package store

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// relocEntry is one entry of a relocation table (format.go): the record of
// seq in slot has its content at off in the table's epoch.
type relocEntry struct {
	slot       uint32
	contentLen uint32
	seq        uint64
	off        uint64
}

// relocTable is a decoded relocation table: entries in increasing slot order.
type relocTable struct {
	epoch   uint64
	entries []relocEntry
}

const (
	relocEntrySize = 24
	relocRecordOff = 512
)

func relocFileName(dir string, epoch uint64) string {
	return filepath.Join(dir, "reloc."+strconv.FormatUint(epoch, 10)+".dat")
}

// parseRelocFileName returns the epoch of a "reloc.<epoch>.dat" name.
func parseRelocFileName(name string) (uint64, bool) {
	rest, ok := strings.CutPrefix(name, "reloc.")
	if !ok {
		return 0, false
	}
	rest, ok = strings.CutSuffix(rest, ".dat")
	if !ok {
		return 0, false
	}
	e, err := strconv.ParseUint(rest, 10, 64)
	return e, err == nil
}

// isDataFileName reports whether name is one of the store's data files.
func isDataFileName(name string) bool {
	_, content := parseContentFileName(name)
	_, reloc := parseRelocFileName(name)
	return name == blocksFileName || content || reloc
}

// encodeRelocTable returns the bytes of the table file for t.
func encodeRelocTable(t *relocTable) []byte {
	b := make([]byte, fileHeaderSize+len(t.entries)*relocEntrySize)
	copy(b, encodeFileHeader(fileHeader{kind: fileKindReloc, epoch: t.epoch, createdAt: time.Now().UnixNano()}))
	body := b[fileHeaderSize:]
	for i, e := range t.entries {
		p := body[i*relocEntrySize:]
		le.PutUint32(p[0:], e.slot)
		le.PutUint32(p[4:], e.contentLen)
		le.PutUint64(p[8:], e.seq)
		le.PutUint64(p[16:], e.off)
	}
	r := b[relocRecordOff:]
	le.PutUint64(r[0:], uint64(len(t.entries)))
	le.PutUint32(r[8:], crc(body))
	le.PutUint32(r[12:], crc(r[:12]))
	return b
}

// relocTableError is a relocation table that fails a check at byte off of
// file name; it wraps ErrCorrupt.
type relocTableError struct {
	name   string
	off    uint64
	detail string
}

func (e *relocTableError) Error() string {
	return fmt.Sprintf("%s: offset %d: %s: %v", e.name, e.off, e.detail, ErrCorrupt)
}

func (e *relocTableError) Unwrap() error { return ErrCorrupt }

// decodeRelocTable validates the table file b of name (epoch from its name).
func decodeRelocTable(name string, epoch uint64, b []byte) (*relocTable, error) {
	hdr, err := decodeFileHeader(name, b, fileKindReloc)
	if err != nil {
		return nil, err
	}
	if hdr.epoch != epoch {
		return nil, &relocTableError{name, 24, fmt.Sprintf("epoch %d does not match the file name", hdr.epoch)}
	}
	if len(b) < fileHeaderSize {
		return nil, &relocTableError{name, uint64(len(b)), fmt.Sprintf("truncated header (%d bytes)", len(b))}
	}
	r := b[relocRecordOff:]
	if le.Uint32(r[12:]) != crc(r[:12]) {
		return nil, &relocTableError{name, relocRecordOff, "table record checksum mismatch"}
	}
	count := le.Uint64(r[0:])
	body := b[fileHeaderSize:]
	if count != uint64(len(body))/relocEntrySize || len(body)%relocEntrySize != 0 {
		return nil, &relocTableError{name, relocRecordOff, fmt.Sprintf("%d entries recorded, file holds %d bytes of entries", count, len(body))}
	}
	if le.Uint32(r[8:]) != crc(body) {
		return nil, &relocTableError{name, relocRecordOff + 8, "entries checksum mismatch"}
	}
	t := &relocTable{epoch: epoch, entries: make([]relocEntry, count)}
	for i := range t.entries {
		p := body[i*relocEntrySize:]
		e := relocEntry{slot: le.Uint32(p[0:]), contentLen: le.Uint32(p[4:]), seq: le.Uint64(p[8:]), off: le.Uint64(p[16:])}
		if i > 0 && e.slot <= t.entries[i-1].slot {
			return nil, &relocTableError{name, relocEntryOffset(i), fmt.Sprintf("slot %d after slot %d (not increasing)", e.slot, t.entries[i-1].slot)}
		}
		t.entries[i] = e
	}
	return t, nil
}

// relocEntryOffset is the file offset of entry i of a table.
func relocEntryOffset(i int) uint64 { return fileHeaderSize + uint64(i)*relocEntrySize }

// writeRelocTable creates reloc.<t.epoch>.dat whole and durably (see
// createDataFile): it exists complete or not at all.
func (s *Store) writeRelocTable(t *relocTable) error {
	b := encodeRelocTable(t)
	return s.createFile(relocFileName(s.dir, t.epoch), b, int64(len(b)))
}

// readRelocTables reads every relocation table in dir, oldest epoch first.
func readRelocTables(dir string) ([]*relocTable, error) {
	return relocTablesIn(dir, func(_ string, err error) error { return err })
}

// relocTablesIn reads the relocation tables in dir, oldest epoch first.
// A table that cannot be read or decoded is handed to bad (file name,
// error) and left out; an error bad returns ends the reading.
func relocTablesIn(dir string, bad func(name string, err error) error) ([]*relocTable, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: read dir %s: %w", dir, err)
	}
	var tables []*relocTable
	for _, e := range entries {
		ep, ok := parseRelocFileName(e.Name())
		if !ok {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		var t *relocTable
		if err != nil {
			err = fmt.Errorf("store: read %s: %w", path, err)
		} else {
			t, err = decodeRelocTable(path, ep, b)
		}
		if err != nil {
			if err := bad(e.Name(), err); err != nil {
				return nil, err
			}
			continue
		}
		tables = append(tables, t)
	}
	slices.SortFunc(tables, func(a, b *relocTable) int { return cmp.Compare(a.epoch, b.epoch) })
	return tables, nil
}

// removeRelocTables deletes the relocation tables of dir whose epoch keep
// rejects, with their durable images.
func (s *Store) removeRelocTables(keep func(epoch uint64) bool) {
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		s.log.Warn("cannot list relocation tables", "dir", s.dir, "error", err)
		return
	}
	for _, e := range entries {
		ep, ok := parseRelocFileName(e.Name())
		if !ok || keep(ep) {
			continue
		}
		if err := removeFiles(filepath.Join(s.dir, e.Name())); err != nil {
			s.log.Warn("cannot delete relocation table", "path", e.Name(), "error", err)
			continue
		}
		if s.opts.PersistLog != nil {
			s.opts.PersistLog.Persist(PersistEvent{Op: PersistUnlink, File: e.Name()})
		}
	}
}

// relocator resolves records to their relocated content during recovery's
// slot-order scan: one cursor per table, each only moving forward.
type relocator struct {
	tables []*relocTable
	next   []int
}

func newRelocator(tables []*relocTable) *relocator {
	return &relocator{tables: tables, next: make([]int, len(tables))}
}

// resolve applies to h (the valid header of slot) the newest table entry
// for slot that names h's record. Slots must be asked in increasing order.
func (r *relocator) resolve(slot uint32, h *recordHeader) {
	for i, t := range r.tables {
		k := r.next[i]
		for k < len(t.entries) && t.entries[k].slot < slot {
			k++
		}
		r.next[i] = k
		t.apply(k, slot, h)
	}
}

// relocHit names the table entry that resolved a record: entry of table;
// table is nil when none did.
type relocHit struct {
	table *relocTable
	entry int
}

// find is resolve for slots in any order (a search per table); it returns
// the entry that applied last (the newest table's).
func (r *relocator) find(slot uint32, h *recordHeader) relocHit {
	var hit relocHit
	for _, t := range r.tables {
		k, _ := slices.BinarySearchFunc(t.entries, slot, func(e relocEntry, s uint32) int { return cmp.Compare(e.slot, s) })
		if t.apply(k, slot, h) {
			hit = relocHit{t, k}
		}
	}
	return hit
}

// apply points h at entry k of t if that entry names h's record in slot,
// and reports whether it did.
func (t *relocTable) apply(k int, slot uint32, h *recordHeader) bool {
	if k == len(t.entries) {
		return false
	}
	e := &t.entries[k]
	if e.slot == slot && e.seq == h.seq && h.hasContent() && e.contentLen == h.contentLen {
		h.contentOff, h.contentEpoch = e.off, t.epoch
		return true
	}
	return false
}

// maxSeq is the highest seq any table names: recovery starts the sequence
// above it, so that no new record can take a seq an entry names.
func (r *relocator) maxSeq() uint64 {
	var m uint64
	for _, t := range r.tables {
		for i := range t.entries {
			m = max(m, t.entries[i].seq)
		}
	}
	return m
}
