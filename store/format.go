package store

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"unsafe"
)

// On-disk format, version 2. All integers are little-endian. Every data file
// starts with one fileHeaderSize (4096-byte) header page so that the data
// after it is page aligned.
//
// File header (every file; only its first 64 bytes are used, the rest zero):
//
//	off size field
//	  0    8 magic        "WCWARM\x00\x01"
//	  8    4 version      formatVersion
//	 12    4 kind         fileKindBlocks, fileKindContent or fileKindReloc
//	 16    4 headerSize   fileHeaderSize
//	 20    4 slotSize     slotSize (blocks file) or 0
//	 24    8 epoch        content epoch (content and relocation files) or 0
//	 32    8 createdAt    ns since the Unix epoch
//	 40    4 headerCRC    CRC32C over bytes [0, 40)
//
// The header is written once, at creation, synced (fsync of file and
// directory) before the file is used, and never changed, except by the
// migration from version 1 (below).
//
// Versions: version 2 adds the relocation tables (reloc.<epoch>.dat); the
// blocks and content layouts are those of version 1. Open migrates a
// version-1 store by rewriting the version and CRC of the blocks file's
// header (one sector: atomic) and msyncing it before anything else is
// written, so that a format-1 binary refuses the store (ErrBadVersion)
// instead of reading records whose content moved; version-1 content files
// are read as they are.
//
// Size record (blocks file only), in sector 1 of the header page, so that a
// blocks file cut at a chunk boundary is refused instead of silently losing
// the slots past the cut:
//
//	off  size field
//	512     8 grownTo   file size after the last completed growth
//	520     4 crc       CRC32C over bytes [512, 520)
//
// Growth fallocates first, then writes and msyncs this sector; Open refuses
// a file shorter than grownTo (ErrCorrupt).
//
// blocks.dat: the header, then slot i at fileHeaderSize + i*slotSize. A slot is
// 7 sectors of 512 bytes. Sector 0 is the record header (recordHeader below),
// sectors 1..6 hold the 768 float32 embedding (exactly 3072 bytes). The
// power-loss model assumes that a 512-byte sector write is atomic (as ext4 and
// bbolt do): the header sector is therefore either entirely old or entirely
// new after a power cut, which makes the in-place header updates (free marker,
// activation) atomic. A record torn across sectors is caught by the embedding
// and content checksums the header carries.
//
// content.<epoch>.dat: the header, then content bytes appended back to back,
// addressed by absolute file offset (>= fileHeaderSize). A content file is
// never overwritten in place; compaction copies live content into the next
// epoch's file and deletes the old one once no durable record refers to it.
//
// reloc.<epoch>.dat (relocation table, see reloc.go): where compaction E
// moved content. The header (epoch E), then in sector 1 of the header page
//
//	off  size field
//	512     8 count      entries
//	520     4 entriesCRC CRC32C of the entries
//	524     4 crc        CRC32C over bytes [512, 524)
//
// and from fileHeaderSize on, count entries of relocEntrySize bytes, in
// strictly increasing slot order:
//
//	off size field
//	  0    4 slot
//	  4    4 contentLen  the record's content length (a cross-check)
//	  8    8 seq         the record's sequence number
//	 16    8 contentOff  offset of its content in content.<E>.dat
//
// A record's content reference is the one in its header unless a
// relocation table has an entry for its slot with its seq and content
// length: then it is the entry's offset in the table's epoch (the newest
// such table wins). Compaction never rewrites a header: a seq names one
// record (a slot reused, or an id replaced, gets a new seq), so an entry
// cannot apply to another record. A table is written whole, fsynced and
// renamed into place (createDataFile) after the moved content and the
// compaction's other writes are durable and before any old content file is
// deleted, so a power cut leaves either the old files and no table, or the
// table and (some of) the old files: every durable header resolves to
// durable content at every point. Table E supersedes older ones (every
// record still live with content in an older epoch has an entry in E), which
// are deleted after it; one that survives a power cut is harmless (its
// entries name records that are gone, or are overridden by E's).
//
// What is synced when: Sync (explicit, group commit, SyncEveryOp) msyncs every
// dirty 1 MiB chunk of every file (content first, then blocks), then writes the
// free markers of slots whose replacement is now durable and msyncs again.
// Content is therefore durable no later than the block that refers to it.
// How bytes reach the files does not change this: a Put's record is written
// with one pwrite (content appends go through the mapping; the in-place
// header rewrite of an activation update is one pwrite of the whole sector,
// so a killed process never leaves a header half new in the page cache),
// all into the same page cache, and msync is an fdatasync of the mapped
// range: it flushes every dirty page of the range, however it was dirtied.
// Relocation tables are never written in place.
const (
	fileHeaderSize = 4096
	sectorSize     = 512
	slotSize       = 7 * sectorSize // 3584
	embeddingBytes = EmbeddingDim * 4
	formatVersion  = 2
	// formatVersion1 is the format before relocation tables: read, and
	// migrated at Open (see Versions above).
	formatVersion1 = 1

	fileKindBlocks  = 1
	fileKindContent = 2
	fileKindReloc   = 3

	// MaxIDLen is the longest memory id, in bytes; longer ids are ErrBadID.
	MaxIDLen = 200
	// MaxContentLen is the largest content, in bytes; larger is ErrTooLarge.
	MaxContentLen = math.MaxUint32
)

var fileMagic = [8]byte{'W', 'C', 'W', 'A', 'R', 'M', 0, 1}

// Record states, in the first word of a slot. Anything but stateLive is a
// free slot (a never-used slot is all zeros).
const (
	stateFree uint32 = 0x45455246 // "FREE"
	stateLive uint32 = 0x4556494c // "LIVE"
)

// Record header layout (sector 0 of a slot). The state word is outside the
// header checksum so that freeing a slot is a single aligned 4-byte store.
//
//	off size field
//	  0    4 state        stateLive / stateFree / 0
//	  4    4 headerCRC    CRC32C over bytes [8, recordCRCEnd)
//	  8    8 seq          global write sequence; highest live one wins
//	 16    4 confidence   float32 bits
//	 20    4 activation   float32 bits
//	 24    4 decayRate    float32 bits
//	 28    4 flags        bit 0: has content
//	 32    8 createdAt    ns
//	 40    8 lastAccess   ns
//	 48    8 contentOff   absolute offset in content.<contentEpoch>.dat
//	 56    8 contentEpoch
//	 64    4 contentLen
//	 68    4 contentCRC   CRC32C of the content bytes
//	 72    4 embeddingCRC CRC32C of sectors 1..6
//	 76    2 idLen        1..MaxIDLen
//	 78    2 reserved     0
//	 80  200 id
const (
	rhState        = 0
	rhCRC          = 4
	rhSeq          = 8
	rhConfidence   = 16
	rhActivation   = 20
	rhDecay        = 24
	rhFlags        = 28
	rhCreatedAt    = 32
	rhLastAccess   = 40
	rhContentOff   = 48
	rhContentEpoch = 56
	rhContentLen   = 64
	rhContentCRC   = 68
	rhEmbeddingCRC = 72
	rhIDLen        = 76
	rhID           = 80
	recordCRCEnd   = rhID + MaxIDLen // 280

	flagHasContent = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func crc(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }

// recordHeader is the decoded sector 0 of a slot.
type recordHeader struct {
	state        uint32
	crc          uint32
	seq          uint64
	confidence   float32
	activation   float32
	decayRate    float32
	flags        uint32
	createdAt    int64
	lastAccess   int64
	contentOff   uint64
	contentEpoch uint64
	contentLen   uint32
	contentCRC   uint32
	embeddingCRC uint32
	idLen        uint16
}

func (h *recordHeader) hasContent() bool { return h.flags&flagHasContent != 0 }

var le = binary.LittleEndian

// decodeHeader reads the fixed fields of the record header in b (>= 512 bytes).
func decodeHeader(b []byte) recordHeader {
	_ = b[recordCRCEnd-1]
	return recordHeader{
		state:        le.Uint32(b[rhState:]),
		crc:          le.Uint32(b[rhCRC:]),
		seq:          le.Uint64(b[rhSeq:]),
		confidence:   math.Float32frombits(le.Uint32(b[rhConfidence:])),
		activation:   math.Float32frombits(le.Uint32(b[rhActivation:])),
		decayRate:    math.Float32frombits(le.Uint32(b[rhDecay:])),
		flags:        le.Uint32(b[rhFlags:]),
		createdAt:    int64(le.Uint64(b[rhCreatedAt:])),
		lastAccess:   int64(le.Uint64(b[rhLastAccess:])),
		contentOff:   le.Uint64(b[rhContentOff:]),
		contentEpoch: le.Uint64(b[rhContentEpoch:]),
		contentLen:   le.Uint32(b[rhContentLen:]),
		contentCRC:   le.Uint32(b[rhContentCRC:]),
		embeddingCRC: le.Uint32(b[rhEmbeddingCRC:]),
		idLen:        le.Uint16(b[rhIDLen:]),
	}
}

// encodeHeader writes every header field except state and the header CRC, and
// the id, into b.
func encodeHeader(b []byte, h *recordHeader, id string) {
	_ = b[recordCRCEnd-1]
	le.PutUint64(b[rhSeq:], h.seq)
	le.PutUint32(b[rhConfidence:], math.Float32bits(h.confidence))
	le.PutUint32(b[rhActivation:], math.Float32bits(h.activation))
	le.PutUint32(b[rhDecay:], math.Float32bits(h.decayRate))
	le.PutUint32(b[rhFlags:], h.flags)
	le.PutUint64(b[rhCreatedAt:], uint64(h.createdAt))
	le.PutUint64(b[rhLastAccess:], uint64(h.lastAccess))
	le.PutUint64(b[rhContentOff:], h.contentOff)
	le.PutUint64(b[rhContentEpoch:], h.contentEpoch)
	le.PutUint32(b[rhContentLen:], h.contentLen)
	le.PutUint32(b[rhContentCRC:], h.contentCRC)
	le.PutUint32(b[rhEmbeddingCRC:], h.embeddingCRC)
	le.PutUint16(b[rhIDLen:], uint16(len(id)))
	le.PutUint16(b[rhIDLen+2:], 0)
	n := copy(b[rhID:recordCRCEnd], id)
	clear(b[rhID+n : recordCRCEnd])
}

// sealHeader recomputes the header CRC of the record header in b.
func sealHeader(b []byte) { le.PutUint32(b[rhCRC:], crc(b[rhSeq:recordCRCEnd])) }

// headerValid reports whether the header CRC and id length of b check out.
func headerValid(b []byte) bool {
	if le.Uint32(b[rhCRC:]) != crc(b[rhSeq:recordCRCEnd]) {
		return false
	}
	n := le.Uint16(b[rhIDLen:])
	return n >= 1 && n <= MaxIDLen
}

// headerID returns the id stored in header b, clamped to MaxIDLen so that a
// corrupt length can never index out of range.
func headerID(b []byte) []byte {
	n := int(le.Uint16(b[rhIDLen:]))
	if n > MaxIDLen {
		n = MaxIDLen
	}
	return b[rhID : rhID+n]
}

// setState is an aligned 4-byte store of the state word (atomic per sector).
func setState(b []byte, st uint32) { le.PutUint32(b[rhState:], st) }

func getState(b []byte) uint32 { return le.Uint32(b[rhState:]) }

// embeddingBytesOf views v (EmbeddingDim values) as its little-endian bytes.
// The store only runs on little-endian hosts (checked at Open).
func embeddingBytesOf(v []float32) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*4)
}

// fileHeader is the decoded header page of a data file.
type fileHeader struct {
	version   uint32
	kind      uint32
	slotSize  uint32
	epoch     uint64
	createdAt int64
}

func encodeFileHeader(h fileHeader) []byte {
	b := make([]byte, fileHeaderSize)
	copy(b[0:8], fileMagic[:])
	le.PutUint32(b[8:], cmp.Or(h.version, formatVersion))
	le.PutUint32(b[12:], h.kind)
	le.PutUint32(b[16:], fileHeaderSize)
	le.PutUint32(b[20:], h.slotSize)
	le.PutUint64(b[24:], h.epoch)
	le.PutUint64(b[32:], uint64(h.createdAt))
	le.PutUint32(b[40:], crc(b[0:40]))
	return b
}

// decodeFileHeader validates the header page b of file name.
func decodeFileHeader(name string, b []byte, wantKind uint32) (fileHeader, error) {
	if len(b) < 44 {
		return fileHeader{}, fmt.Errorf("%s: truncated header (%d bytes): %w", name, len(b), ErrCorrupt)
	}
	if [8]byte(b[0:8]) != fileMagic {
		return fileHeader{}, fmt.Errorf("%s: offset 0: %w", name, ErrBadMagic)
	}
	v := le.Uint32(b[8:])
	if v != formatVersion && (v != formatVersion1 || wantKind == fileKindReloc) {
		return fileHeader{}, fmt.Errorf("%s: offset 8: version %d, want %d: %w", name, v, formatVersion, ErrBadVersion)
	}
	if got, want := le.Uint32(b[40:]), crc(b[0:40]); got != want {
		return fileHeader{}, fmt.Errorf("%s: offset 40: header crc %08x, computed %08x: %w", name, got, want, ErrHeaderChecksum)
	}
	h := fileHeader{
		version:   v,
		kind:      le.Uint32(b[12:]),
		slotSize:  le.Uint32(b[20:]),
		epoch:     le.Uint64(b[24:]),
		createdAt: int64(le.Uint64(b[32:])),
	}
	if h.kind != wantKind {
		return fileHeader{}, fmt.Errorf("%s: offset 12: file kind %d, want %d: %w", name, h.kind, wantKind, ErrCorrupt)
	}
	if hs := le.Uint32(b[16:]); hs != fileHeaderSize {
		return fileHeader{}, fmt.Errorf("%s: offset 16: header size %d, want %d: %w", name, hs, fileHeaderSize, ErrCorrupt)
	}
	if wantKind == fileKindBlocks && h.slotSize != slotSize {
		return fileHeader{}, fmt.Errorf("%s: offset 20: slot size %d, want %d: %w", name, h.slotSize, slotSize, ErrCorrupt)
	}
	return h, nil
}

const sizeRecordOff = 512

func putSizeRecord(page []byte, size uint64) {
	le.PutUint64(page[sizeRecordOff:], size)
	le.PutUint32(page[sizeRecordOff+8:], crc(page[sizeRecordOff:sizeRecordOff+8]))
}

// sizeRecord returns the recorded size, or ok=false if the record's
// checksum does not hold.
func sizeRecord(page []byte) (size uint64, ok bool) {
	if len(page) < sizeRecordOff+12 {
		return 0, false
	}
	size = le.Uint64(page[sizeRecordOff:])
	return size, le.Uint32(page[sizeRecordOff+8:]) == crc(page[sizeRecordOff:sizeRecordOff+8])
}

// Clean-close record (blocks file only), in sector 2 of the header page.
// Close writes it, and msyncs it, after its final Sync succeeded; Open
// clears it, durably, before recovery writes anything. Present, it says
// that every record in the files was synced and nothing was written after,
// so that Inspect can tell damage from a write a crash tore, and that the
// counts it holds are the store's own accounting, to compare with a recount.
// An all-zero sector (an older file, an open or crashed store) fails the
// checksum: no record.
//
//	off  size field
//	1024    8 seq        the sequence counter: no record has a higher seq
//	1032    8 live       memories reachable through Get
//	1040    8 liveBytes  sum of their content lengths
//	1048    8 epoch      the current content epoch
//	1056    4 crc        CRC32C over bytes [1024, 1056)
const (
	cleanRecordOff = 2 * sectorSize
	cleanRecordLen = 36
)

// cleanClose is the decoded clean-close record.
type cleanClose struct {
	seq       uint64
	live      uint64
	liveBytes uint64
	epoch     uint64
}

func putCleanRecord(page []byte, c cleanClose) {
	b := page[cleanRecordOff : cleanRecordOff+cleanRecordLen]
	le.PutUint64(b[0:], c.seq)
	le.PutUint64(b[8:], c.live)
	le.PutUint64(b[16:], c.liveBytes)
	le.PutUint64(b[24:], c.epoch)
	le.PutUint32(b[32:], crc(b[:32]))
}

func clearCleanRecord(page []byte) { clear(page[cleanRecordOff : cleanRecordOff+cleanRecordLen]) }

// cleanRecord returns the clean-close record of header page, or ok=false if
// there is none (its checksum does not hold).
func cleanRecord(page []byte) (c cleanClose, ok bool) {
	if len(page) < cleanRecordOff+cleanRecordLen {
		return cleanClose{}, false
	}
	b := page[cleanRecordOff : cleanRecordOff+cleanRecordLen]
	if le.Uint32(b[32:]) != crc(b[:32]) {
		return cleanClose{}, false
	}
	return cleanClose{seq: le.Uint64(b[0:]), live: le.Uint64(b[8:]), liveBytes: le.Uint64(b[16:]), epoch: le.Uint64(b[24:])}, true
}
