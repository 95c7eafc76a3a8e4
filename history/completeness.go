package history

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Completeness is what a reader concluded about how a history file ends
// (FORMAT.md, "Complete, torn, corrupt").
type Completeness uint8

const (
	// Complete: the file ends with its end record (or, for a file whose
	// header does not announce one, exactly at a chunk or line boundary).
	Complete Completeness = iota
	// Torn: the file stops where a killed writer can stop it, and nothing
	// intact follows: events after the last intact chunk are lost, and the
	// invokes left open are of unknown outcome (not hangs).
	Torn
	// Corrupt: damage followed by more data, data after the end record, an
	// end record that disagrees with the file, or nothing readable.
	Corrupt
)

var completenessNames = [...]string{Complete: "complete", Torn: "torn", Corrupt: "corrupt"}

func (c Completeness) String() string {
	if int(c) < len(completenessNames) {
		return completenessNames[c]
	}
	return fmt.Sprintf("completeness(%d)", uint8(c))
}

func (c Completeness) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

func (c *Completeness) UnmarshalText(b []byte) error {
	for i, name := range completenessNames {
		if string(b) == name {
			*c = Completeness(i)
			return nil
		}
	}
	return fmt.Errorf("unknown completeness %q", b)
}

// CompletenessOf maps what a read ended with to a Completeness: nil or
// io.EOF is Complete, a *DamageError its own (Corrupt when it has none),
// any other error Corrupt.
func CompletenessOf(err error) Completeness {
	if err == nil || err == io.EOF {
		return Complete
	}
	var d *DamageError
	if errors.As(err, &d) && d.Completeness != Complete {
		return d.Completeness
	}
	return Corrupt
}

// scanBudgetFactor bounds the CRC work of looking for intact chunks after
// damage to this many times the bytes scanned (plus scanBudgetMin), so a
// hostile file cannot make the reader quadratic; when the budget runs out
// the damage is called corrupt, since intact data could not be ruled out.
const (
	scanBudgetFactor = 4
	scanBudgetMin    = 1 << 20
)

// classifyChunkDamage decides whether damage at the start of chunk r.chunk
// (byte start) is a torn tail or corruption, and returns the DamageError.
// prefix and payload are the bytes of the damaged chunk that were read
// (prefix fewer than chunkPrefixLen bytes when the file ended inside it,
// payload nil when the prefix was garbled); sane says the prefix was
// complete and its length and count plausible.
//
// The rule (FORMAT.md): damage in chunk 0 leaves nothing readable:
// corrupt. Damage followed by more data is corrupt: a non-zero byte after
// the bytes read, or an intact chunk (or end record) starting inside them
// (a length that swallowed the chunks after it). Otherwise nothing follows
// the damage but zero bytes: a torn tail.
func (r *Reader) classifyChunkDamage(start int64, prefix, payload []byte, sane bool, reason string) error {
	d := &DamageError{File: r.name, Offset: start, Chunk: r.chunk, Reason: reason, Completeness: Corrupt}
	if r.chunk == 0 {
		d.Why = "no chunk before it is intact: nothing of the history is readable"
		return d
	}
	after := start + int64(len(prefix)) + int64(len(payload))
	off, _, err := firstSignificant(r.br, after, isZero)
	if err != nil {
		d.Why = fmt.Sprintf("cannot read past it: %v", err)
		return d
	} else if off >= 0 {
		d.Why = fmt.Sprintf("more data follows: a non-zero byte at offset %d", off)
		return d
	}
	seen := make([]byte, 0, len(prefix)+len(payload))
	seen = append(append(seen, prefix...), payload...)
	if at, exhausted := findIntactChunk(seen); exhausted {
		d.Why = "intact data after it could not be ruled out within the scan budget"
		return d
	} else if at > 0 {
		d.Why = fmt.Sprintf("an intact chunk follows at byte %d", start+int64(at))
		return d
	}
	d.Completeness = Torn
	switch data := bytes.TrimRight(seen, "\x00"); {
	case len(data) == 0:
		d.Why = "zero bytes from here to the end of the file, as a power loss can leave"
	case len(prefix) < chunkPrefixLen || (sane && len(payload) < int(le32(prefix))):
		d.Why = "the file ends inside the chunk: a write cut short"
	default:
		d.Why = "nothing but zero bytes follows it"
	}
	return d
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func isZero(b byte) bool { return b == 0 }

// isBlank: bytes a JSON Lines tail may hold without being data (blank
// lines, and zero fill).
func isBlank(b byte) bool { return b == 0 || b == ' ' || b == '\t' || b == '\r' || b == '\n' }

// firstSignificant consumes src and returns the offset (counting from
// base) of its first byte for which ignore is false, or -1 if there is
// none, and then the offset of the end of src; it stops reading at the
// first such byte.
func firstSignificant(src io.Reader, base int64, ignore func(byte) bool) (off, end int64, err error) {
	var buf [32 << 10]byte
	end = base
	for {
		n, err := src.Read(buf[:])
		for i := 0; i < n; i++ {
			if !ignore(buf[i]) {
				return end + int64(i), -1, nil
			}
		}
		end += int64(n)
		if err == io.EOF {
			return -1, end, nil
		}
		if err != nil {
			return -1, -1, err
		}
	}
}

// findIntactChunk looks for a chunk (or end record) that passes its
// checksum and starts at a position p >= 1 of b, with its whole extent
// inside b. It returns p, or 0 when there is none; exhausted when the
// budget of checksummed bytes ran out first.
func findIntactChunk(b []byte) (at int, exhausted bool) {
	budget := scanBudgetFactor*len(b) + scanBudgetMin
	for p := 1; p+chunkPrefixLen < len(b); p++ {
		n := int(le32(b[p:]))
		count := le32(b[p+8:])
		if n > len(b)-p-chunkPrefixLen || !plausibleChunk(n, count, b[p+chunkPrefixLen]) {
			continue
		}
		if budget -= n; budget < 0 {
			return 0, true
		}
		if chunkCRC(count, b[p+chunkPrefixLen:p+chunkPrefixLen+n]) == le32(b[p+4:]) {
			return p, false
		}
	}
	return 0, false
}

// plausibleChunk: a chunk prefix of length n and count whose payload
// starts with first could have been written by a Writer: events are
// msgpack arrays of at least eventFields elements, an end record a map.
func plausibleChunk(n int, count uint32, first byte) bool {
	if count == 0 {
		return n > 0 && n <= maxEndLen && first&0xf0 == 0x80 // fixmap
	}
	if uint64(count)*minEventLen > uint64(n) {
		return false
	}
	return (first >= mpFixArray|eventFields && first <= mpFixArray|0x0f) || first == 0xdc || first == 0xdd
}
