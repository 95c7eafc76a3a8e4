package history

import (
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
// (prefix fewer than chunkPrefixLen bytes when the file ended inside it);
// sane says the prefix was complete and its length and count plausible.
//
// The rule (FORMAT.md): no intact chunk means nothing readable: corrupt.
// Any non-zero byte after what was read, or an intact chunk inside it: more
// data, corrupt. Otherwise the bytes read, all zero: a zero-filled tail,
// torn. A plausible prefix whose chunk stops short of its length once
// trailing zero bytes are dropped: a write cut short, torn. Anything else
// (a whole chunk that fails its check, a garbled prefix): corrupt.
func (r *Reader) classifyChunkDamage(start int64, prefix, payload []byte, sane bool, reason string) error {
	d := &DamageError{File: r.name, Offset: start, Chunk: r.chunk, Reason: reason, Completeness: Corrupt}
	if r.chunk == 0 {
		d.Why = "no chunk before it is intact: nothing of the history is readable"
		return d
	}
	after := start + int64(len(prefix)) + int64(len(payload))
	off, eof, err := firstSignificant(r.br, after, isZero)
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
	data := seen[:zeroFillStart(seen, start, eof)]
	switch {
	case len(data) == 0:
		d.Completeness, d.Why = Torn, "zero bytes from here to the end of the file, as a power loss leaves a file extended but not written"
	case len(data) < len(seen) && !sane:
		d.Why = "the chunk's prefix is garbled, then zero fill"
	case len(data) < chunkPrefixLen:
		d.Completeness, d.Why = Torn, "the file ends inside the chunk's prefix: a write cut short"
	case sane && len(data) < chunkPrefixLen+int(le32(seen)):
		d.Completeness, d.Why = Torn, fmt.Sprintf("the file ends %d bytes into the chunk's %d: a write cut short", len(data), chunkPrefixLen+int(le32(seen)))
	case sane:
		d.Why = "the chunk is whole but does not check, with nothing after it: not a cut write"
	default:
		d.Why = "the chunk's prefix is garbled, which a cut write does not do"
	}
	return d
}

// fillPage is the unit in which a power loss leaves unwritten file data
// as zeros (a filesystem block).
const fillPage = 4096

// zeroFillStart returns how many bytes of b (which starts at file offset
// base and is followed by nothing but zero bytes up to the end of the file
// at eof) precede the zero fill: the trailing run of zero bytes counts as
// fill when it is all of b, or when it covers the last page of the file
// from that page's start, as a lost block does; a few zero bytes that
// merely end an event are data.
func zeroFillStart(b []byte, base, eof int64) int {
	z := len(b)
	for z > 0 && b[z-1] == 0 {
		z--
	}
	if z == len(b) && eof > base+int64(len(b)) {
		return z // b ends in data, but zeros follow it: fill only if a page is covered
	}
	if z == 0 {
		return z
	}
	lastPage := (eof - 1) / fillPage * fillPage
	if base+int64(z) <= lastPage {
		return z
	}
	return len(b)
}

func le32(b []byte) uint32 {
	return uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16 | uint32(b[3])<<24
}

func isZero(b byte) bool { return b == 0 }

// isSpace: JSON whitespace, all that may follow an end line.
func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\r' || b == '\n' }

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
