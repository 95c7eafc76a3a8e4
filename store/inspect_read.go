package store

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// inspection is one run of Inspect. It reads the files with pread only
// (never a mapping: a file that a live store shrinks after a failed growth
// would fault a mapping, and returns a short read here).
type inspection struct {
	dir    string
	opts   InspectOptions
	blocks *os.File
	header []byte // the blocks file's header page
	size   uint64 // the blocks file's size
	clean  *cleanClose
	epochs map[uint64]*inspectedEpoch
	reloc  *relocator // the relocation tables that decode, as recovery reads them
	buf    []byte     // content read buffer

	problems []Problem
	records  []inspectedRecord // records with a valid header
	pending  []pendingSlot     // slots that failed a check, to read again
	stats    InspectStats
}

// inspectedEpoch is one content file, opened when the inspection began or
// when a record first referred to it: an open descriptor keeps a file a
// live store unlinks readable.
type inspectedEpoch struct {
	f    *os.File // nil: no such file
	name string
}

// inspectedRecord is a live record whose header checksum holds. fault is
// empty when its embedding and content check out too.
type inspectedRecord struct {
	id      string
	slot    uint64
	h       recordHeader
	fault   ProblemKind
	detail  string
	via     *relocSource // the table entry h's content reference comes from, if any
	current bool         // set by resolve
}

// relocSource is the relocation table entry a record's content reference
// comes from: file name and the entry's byte offset.
type relocSource struct {
	file string
	off  uint64
}

func openInspection(dir string, opts InspectOptions) (*inspection, error) {
	if err := storeDirError(dir); err != nil {
		return nil, err
	}
	in := &inspection{dir: dir, opts: opts, epochs: map[uint64]*inspectedEpoch{}}
	// Content files are opened first: a compaction that finishes during
	// the scan then cannot take away a file an old header refers to.
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("store: inspect %s: %w", dir, err)
	}
	for _, e := range entries {
		if ep, ok := parseContentFileName(e.Name()); ok {
			in.epoch(ep)
		}
	}
	if err := in.readRelocTables(); err != nil {
		in.close()
		return nil, err
	}
	path := filepath.Join(dir, blocksFileName)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		in.close()
		return nil, fmt.Errorf("%s: %w", dir, ErrNotStore)
	}
	if err != nil {
		in.close()
		return nil, fmt.Errorf("store: inspect: %w", err)
	}
	in.blocks = f
	in.header = make([]byte, fileHeaderSize)
	n, err := f.ReadAt(in.header, 0)
	if err != nil && err != io.EOF {
		in.close()
		return nil, fmt.Errorf("store: inspect: read %s: %w", path, err)
	}
	if _, err := decodeFileHeader(path, in.header[:n], fileKindBlocks); err != nil {
		in.close()
		return nil, err
	}
	return in, nil
}

// readRelocTables reads the relocation tables after the content files are
// open and before any header is read: a compaction finishing meanwhile
// writes its table before it deletes a content file or an older table.
// A table that does not decode is damage (tables are created whole: a
// crash leaves one complete or none) and is left out, as if absent; one
// deleted since the listing (a live store's compaction) is skipped.
func (in *inspection) readRelocTables() error {
	tables, err := relocTablesIn(in.dir, func(name string, err error) error {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		p := Problem{Kind: ProblemRelocTable, File: name, Detail: err.Error()}
		if te := (*relocTableError)(nil); errors.As(err, &te) {
			p.Offset = te.off
		}
		in.add(p)
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: inspect: %w", err)
	}
	in.reloc = newRelocator(tables)
	return nil
}

// relocate resolves h's content reference as recovery does and returns the
// entry that moved it, nil if none did.
func (in *inspection) relocate(slot uint64, h *recordHeader) *relocSource {
	hit := in.reloc.find(uint32(slot), h)
	if hit.table == nil {
		return nil
	}
	return &relocSource{file: filepath.Base(relocFileName(in.dir, hit.table.epoch)), off: relocEntryOffset(hit.entry)}
}

func (in *inspection) close() {
	if in.blocks != nil {
		in.blocks.Close()
	}
	for _, e := range in.epochs {
		if e.f != nil {
			e.f.Close()
		}
	}
}

// epoch returns content file ep, opening it on first use.
func (in *inspection) epoch(ep uint64) *inspectedEpoch {
	if e, ok := in.epochs[ep]; ok && e.f != nil {
		return e
	}
	name := filepath.Base(contentFileName(in.dir, ep))
	e := &inspectedEpoch{name: name}
	if f, err := os.Open(filepath.Join(in.dir, name)); err == nil {
		e.f = f
	}
	in.epochs[ep] = e
	return e
}

func (e *inspectedEpoch) size() uint64 {
	if e.f == nil {
		return 0
	}
	st, err := e.f.Stat()
	if err != nil {
		return 0
	}
	return uint64(st.Size())
}

func (in *inspection) add(p Problem) { in.problems = append(in.problems, p) }

func slotProblem(kind ProblemKind, sev Severity, slot uint64, detail string) Problem {
	return Problem{Kind: kind, Severity: sev, File: blocksFileName, Offset: slotOffset(slot), Slot: &slot, Detail: detail}
}

// checkBlocksFile checks the size record and the file's size, and reads the
// clean-close record. The header page is read again until it is stable: a
// live store's growth rewrites the size record in place.
func (in *inspection) checkBlocksFile() {
	for range in.opts.Rereads {
		st, err := in.blocks.Stat()
		if err == nil {
			in.size = uint64(st.Size())
		}
		// A live store's growth may be under way: fallocate extends the
		// file, then the size record is rewritten (two stores).
		grown, ok := sizeRecord(in.header)
		if ok && grown <= in.size && wholeChunks(in.size) {
			break
		}
		time.Sleep(in.opts.RereadDelay)
		in.blocks.ReadAt(in.header, 0)
	}
	in.stats.BlocksFileBytes = in.size
	grown, ok := sizeRecord(in.header)
	switch {
	case !ok:
		in.add(Problem{Kind: ProblemSizeRecord, File: blocksFileName, Offset: sizeRecordOff, Detail: "size record checksum mismatch"})
	case grown > in.size:
		in.add(Problem{Kind: ProblemBlocksSize, File: blocksFileName, Offset: in.size, Detail: fmt.Sprintf("file is %d bytes but had grown to %d (truncated)", in.size, grown)})
	}
	if !wholeChunks(in.size) {
		in.add(Problem{Kind: ProblemBlocksSize, File: blocksFileName, Offset: in.size, Detail: fmt.Sprintf("size %d is not the header plus whole %d-byte chunks", in.size, chunkSize)})
	}
	if c, ok := cleanRecord(in.header); ok {
		in.clean = &c
		in.stats.Clean = &CleanCloseRec{Seq: c.seq, Live: c.live, LiveBytes: c.liveBytes, Epoch: c.epoch}
	}
	if in.size > fileHeaderSize {
		in.stats.Slots = (in.size - fileHeaderSize) / slotSize
	}
}

// wholeChunks: a blocks file is its header plus whole chunks.
func wholeChunks(size uint64) bool {
	return size >= fileHeaderSize+chunkSize && (size-fileHeaderSize)%chunkSize == 0
}

// checkContentFiles checks the header of every content file present.
func (in *inspection) checkContentFiles() {
	for _, ep := range in.sortedEpochs() {
		e := in.epochs[ep]
		hb := make([]byte, fileHeaderSize)
		n, _ := e.f.ReadAt(hb, 0)
		h, err := decodeFileHeader(e.name, hb[:n], fileKindContent)
		switch {
		case err != nil:
			in.add(Problem{Kind: ProblemFileHeader, File: e.name, Detail: err.Error()})
		case h.epoch != ep:
			in.add(Problem{Kind: ProblemFileHeader, File: e.name, Offset: 24, Detail: fmt.Sprintf("epoch %d does not match the file name", h.epoch)})
		}
	}
}

func (in *inspection) sortedEpochs() []uint64 {
	var eps []uint64
	for ep, e := range in.epochs {
		if e.f != nil {
			eps = append(eps, ep)
		}
	}
	slices.Sort(eps)
	return eps
}

// inspectBatch is how many slots one read covers.
const inspectBatch = 256

// scanSlots judges every slot of the blocks file, front to back.
func (in *inspection) scanSlots() error {
	buf := make([]byte, inspectBatch*slotSize)
	for first := uint64(0); first < in.stats.Slots; first += inspectBatch {
		n := min(uint64(inspectBatch), in.stats.Slots-first)
		b := buf[:n*slotSize]
		got, err := in.blocks.ReadAt(b, int64(slotOffset(first)))
		if err != nil && err != io.EOF {
			return fmt.Errorf("store: inspect: read %s at %d: %w", in.blocks.Name(), slotOffset(first), err)
		}
		// A live store may have cut the file back after a failed growth:
		// slots past a short read are not judged (unsettled).
		whole := min(n, uint64(got)/slotSize)
		for i := range whole {
			in.judgeSlot(first+i, b[i*slotSize:(i+1)*slotSize])
		}
		in.stats.Unsettled += n - whole
	}
	return nil
}

// judgeBytes judges one read of slot: its state word, and for a live record
// its header, embedding and content checksums, as recovery checks them.
func (in *inspection) judgeBytes(slot uint64, b []byte) slotJudgement {
	st := getState(b)
	hdrEmpty := isZero(b[rhCRC:recordCRCEnd])
	switch {
	case st == 0 && hdrEmpty:
		return slotJudgement{written: !isZero(b)}
	case st == 0:
		p := slotProblem(ProblemStateWord, SeverityDamage, slot, "state word zero over a written record header (a free marker or live marker lost)")
		return slotJudgement{written: true, problem: &p}
	case st == stateFree:
		return slotJudgement{written: true}
	case st != stateLive:
		p := slotProblem(ProblemStateWord, SeverityDamage, slot, fmt.Sprintf("state word %08x is neither free nor live", st))
		return slotJudgement{written: true, problem: &p}
	}
	if !headerValid(b) {
		p := slotProblem(ProblemHeaderChecksum, SeverityTorn, slot, fmt.Sprintf("header crc %08x, computed %08x, id length %d", le.Uint32(b[rhCRC:]), crc(b[rhSeq:recordCRCEnd]), le.Uint16(b[rhIDLen:])))
		return slotJudgement{written: true, problem: &p}
	}
	h := decodeHeader(b)
	via := in.relocate(slot, &h)
	rec := inspectedRecord{id: string(headerID(b)), slot: slot, h: h, via: via}
	if got := crc(b[sectorSize : sectorSize+embeddingBytes]); got != h.embeddingCRC {
		rec.fault, rec.detail = ProblemEmbeddingChecksum, fmt.Sprintf("embedding crc %08x, header says %08x", got, h.embeddingCRC)
	} else {
		rec.fault, rec.detail = in.contentFault(&h)
	}
	return slotJudgement{written: true, live: true, rec: rec}
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// contentFault checks a record's content reference and checksum; it
// returns "" when they hold.
func (in *inspection) contentFault(h *recordHeader) (ProblemKind, string) {
	if !h.hasContent() {
		if h.contentLen != 0 {
			return ProblemContentRef, fmt.Sprintf("no content flag but content length %d", h.contentLen)
		}
		return "", ""
	}
	e := in.epoch(h.contentEpoch)
	if e.f == nil {
		return ProblemContentMissing, fmt.Sprintf("content epoch %d: no %s", h.contentEpoch, e.name)
	}
	end := h.contentOff + uint64(h.contentLen)
	if h.contentOff < fileHeaderSize || end < h.contentOff {
		return ProblemContentOutside, fmt.Sprintf("content [%d,%d) of %s starts inside its header", h.contentOff, end, e.name)
	}
	if h.contentLen == 0 {
		return "", ""
	}
	if size := e.size(); end > size {
		return ProblemContentOutside, fmt.Sprintf("content [%d,%d) past the end of %s (%d bytes)", h.contentOff, end, e.name, size)
	}
	sum, err := in.contentCRC(e, h.contentOff, end)
	if err != nil {
		return ProblemContentOutside, fmt.Sprintf("content [%d,%d) of %s: %v", h.contentOff, end, e.name, err)
	}
	if sum != h.contentCRC {
		return ProblemContentChecksum, fmt.Sprintf("content [%d,%d) of %s: crc %08x, header says %08x", h.contentOff, end, e.name, sum, h.contentCRC)
	}
	return "", ""
}

// contentCRC is the CRC32C of bytes [off, end) of e, read a MiB at a time.
func (in *inspection) contentCRC(e *inspectedEpoch, off, end uint64) (uint32, error) {
	if in.buf == nil {
		in.buf = make([]byte, chunkSize)
	}
	var sum uint32
	for off < end {
		b := in.buf[:min(uint64(len(in.buf)), end-off)]
		if _, err := e.f.ReadAt(b, int64(off)); err != nil {
			return 0, err
		}
		sum = crc32.Update(sum, castagnoli, b)
		off += uint64(len(b))
	}
	return sum, nil
}
