package history

import (
	"encoding/binary"
	"hash/crc32"
)

// On-disk layout of a msgpack history (FORMAT.md is the full spec):
//
//	offset 0  magic            8 bytes  "WCHIST\x00\x01"
//	offset 8  header record    u32 length | u32 CRC32C(payload) | payload (msgpack map)
//	then      chunks           u32 length | u32 CRC32C(count|payload) | u32 count | payload
//	last      end record       u32 length | u32 CRC32C(0|payload) | u32 0 | payload (msgpack map)
//
// All integers in the framing are little-endian. A chunk's payload is count
// msgpack-encoded events back to back (codec.go). The writer issues one
// write(2) per chunk, so a writer killed at any moment leaves a file whose
// every complete chunk is intact; a reader stops at the first chunk that is
// short or fails its checksum. Close appends the end record (a chunk frame
// with count 0), which a header with end_record announces: a file so
// announced that lacks it was not closed (torn).

// Magic starts every msgpack history file. Its last byte is the framing
// version; the event schema version lives in the header.
const Magic = "WCHIST\x00\x01"

// SchemaVersion is the event and header schema this package writes. Schema
// 2 differs from schema 1 only in its digests: XXH64 instead of FNV-1a 64,
// named by the header's "digest" field (which schema 1 lacks). Events are
// laid out identically.
const SchemaVersion uint32 = 2

// MinSchemaVersion is the oldest schema this package reads.
const MinSchemaVersion uint32 = 1

const (
	headerPrefixLen = 8  // length + crc
	chunkPrefixLen  = 12 // length + crc + count

	// maxHeaderLen bounds the header record so that a corrupt length cannot
	// make a reader allocate; real headers are a few hundred bytes.
	maxHeaderLen = 1 << 20
	// maxChunkLen bounds one chunk payload (a single snapshot of a very
	// large store may need hundreds of MB).
	maxChunkLen = 1 << 30
)

// maxEndLen bounds the end record's payload (a few bytes in practice).
const maxEndLen = 4096

// endRecord is the payload of the end record: what the file holds before
// it, so that a reader can tell a lost chunk from a clean end.
type endRecord struct {
	Events *uint64 `msgpack:"events"`
	Chunks *uint64 `msgpack:"chunks"`
}

// Chunking policy of the Writer: a chunk is written when it holds
// chunkMaxEvents events or chunkMaxBytes bytes, whichever comes first.
const (
	chunkMaxEvents = 4096
	chunkMaxBytes  = 256 << 10
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// chunkCRC is CRC32C over the little-endian count followed by the payload.
func chunkCRC(count uint32, payload []byte) uint32 {
	var c [4]byte
	binary.LittleEndian.PutUint32(c[:], count)
	crc := crc32.Update(0, castagnoli, c[:])
	return crc32.Update(crc, castagnoli, payload)
}

func crc32c(b []byte) uint32 { return crc32.Checksum(b, castagnoli) }
