package history

import (
	"encoding/binary"
	"fmt"
	"math"
)

// This file holds the msgpack primitives the event codec is built from: an
// append-style encoder (no reflection, no allocation beyond the destination
// slice) and a bounds-checked decoder over one in-memory chunk. Every decoder
// method returns an error instead of reading past the end, and every length
// it returns is bounded by the bytes that remain, so hostile input can make
// decoding fail but never panic or allocate more than the chunk it came in.

// msgpack format bytes used here (https://github.com/msgpack/msgpack/blob/master/spec.md).
const (
	mpNil      = 0xc0
	mpFalse    = 0xc2
	mpTrue     = 0xc3
	mpBin8     = 0xc4
	mpBin16    = 0xc5
	mpBin32    = 0xc6
	mpFloat32  = 0xca
	mpFloat64  = 0xcb
	mpUint8    = 0xcc
	mpUint16   = 0xcd
	mpUint32   = 0xce
	mpUint64   = 0xcf
	mpInt8     = 0xd0
	mpInt16    = 0xd1
	mpInt32    = 0xd2
	mpInt64    = 0xd3
	mpStr8     = 0xd9
	mpStr16    = 0xda
	mpStr32    = 0xdb
	mpArray16  = 0xdc
	mpArray32  = 0xdd
	mpMap16    = 0xde
	mpMap32    = 0xdf
	mpFixArray = 0x90
	mpFixMap   = 0x80
	mpFixStr   = 0xa0
)

func appendNil(b []byte) []byte { return append(b, mpNil) }

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, mpTrue)
	}
	return append(b, mpFalse)
}

// appendUint writes v in the smallest msgpack unsigned format.
func appendUint(b []byte, v uint64) []byte {
	switch {
	case v <= 0x7f:
		return append(b, byte(v))
	case v <= math.MaxUint8:
		return append(b, mpUint8, byte(v))
	case v <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, mpUint16), uint16(v))
	case v <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, mpUint32), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, mpUint64), v)
	}
}

// appendInt writes v in the smallest msgpack format: unsigned formats for
// v >= 0, signed formats otherwise.
func appendInt(b []byte, v int64) []byte {
	if v >= 0 {
		return appendUint(b, uint64(v))
	}
	switch {
	case v >= -32:
		return append(b, byte(v))
	case v >= math.MinInt8:
		return append(b, mpInt8, byte(v))
	case v >= math.MinInt16:
		return binary.BigEndian.AppendUint16(append(b, mpInt16), uint16(v))
	case v >= math.MinInt32:
		return binary.BigEndian.AppendUint32(append(b, mpInt32), uint32(v))
	default:
		return binary.BigEndian.AppendUint64(append(b, mpInt64), uint64(v))
	}
}

func appendFloat32(b []byte, v float32) []byte {
	return binary.BigEndian.AppendUint32(append(b, mpFloat32), math.Float32bits(v))
}

func appendFloat64(b []byte, v float64) []byte {
	return binary.BigEndian.AppendUint64(append(b, mpFloat64), math.Float64bits(v))
}

func appendString(b []byte, s string) []byte {
	n := len(s)
	switch {
	case n <= 31:
		b = append(b, mpFixStr|byte(n))
	case n <= math.MaxUint8:
		b = append(b, mpStr8, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, mpStr16), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, mpStr32), uint32(n))
	}
	return append(b, s...)
}

func appendArrayLen(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, mpFixArray|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, mpArray16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, mpArray32), uint32(n))
	}
}

func appendMapLen(b []byte, n int) []byte {
	switch {
	case n <= 15:
		return append(b, mpFixMap|byte(n))
	case n <= math.MaxUint16:
		return binary.BigEndian.AppendUint16(append(b, mpMap16), uint16(n))
	default:
		return binary.BigEndian.AppendUint32(append(b, mpMap32), uint32(n))
	}
}

// mpDecoder reads msgpack values from buf starting at pos. Errors carry the
// position (relative to buf) and the field being decoded.
type mpDecoder struct {
	buf []byte
	pos int
	// Optional, set by the Reader for whole chunks: ids shares the memory
	// ids' strings across events, slab hands out Inputs and Outputs from a
	// few allocations instead of one each. Both only save allocations (2
	// per event on a 1M-op history); decoding is the same without them.
	ids  *stringInterner
	slab *eventSlab
}

// stringInterner returns one shared string per distinct byte sequence, for
// up to max distinct ones (then plain copies): memory ids repeat on every
// operation of a memory.
type stringInterner struct {
	m   map[string]string
	max int
}

func (in *stringInterner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(in.m) < in.max {
		if in.m == nil {
			in.m = make(map[string]string)
		}
		in.m[s] = s
	}
	return s
}

// eventSlab allocates a chunk's Inputs and Outputs in blocks of size. A
// block stays alive while any event decoded into it is referenced, so a
// streaming Reader keeps at most a few chunks' worth.
type eventSlab struct {
	size    int
	inputs  []Input
	outputs []Output
}

func (s *eventSlab) input() *Input {
	if len(s.inputs) == cap(s.inputs) {
		s.inputs = make([]Input, 0, s.size)
	}
	s.inputs = s.inputs[:len(s.inputs)+1]
	return &s.inputs[len(s.inputs)-1]
}

func (s *eventSlab) output() *Output {
	if len(s.outputs) == cap(s.outputs) {
		s.outputs = make([]Output, 0, s.size)
	}
	s.outputs = s.outputs[:len(s.outputs)+1]
	return &s.outputs[len(s.outputs)-1]
}

func (d *mpDecoder) errorf(field, format string, args ...any) error {
	return fmt.Errorf("%s at byte %d: %s", field, d.pos, fmt.Sprintf(format, args...))
}

func (d *mpDecoder) remaining() int { return len(d.buf) - d.pos }

func (d *mpDecoder) need(field string, n int) error {
	if n < 0 || d.remaining() < n {
		return d.errorf(field, "need %d bytes, %d left", n, d.remaining())
	}
	return nil
}

func (d *mpDecoder) peek(field string) (byte, error) {
	if err := d.need(field, 1); err != nil {
		return 0, err
	}
	return d.buf[d.pos], nil
}

func (d *mpDecoder) byte1(field string) (byte, error) {
	c, err := d.peek(field)
	if err == nil {
		d.pos++
	}
	return c, err
}

func (d *mpDecoder) be(field string, n int) (uint64, error) {
	if err := d.need(field, n); err != nil {
		return 0, err
	}
	var v uint64
	for _, c := range d.buf[d.pos : d.pos+n] {
		v = v<<8 | uint64(c)
	}
	d.pos += n
	return v, nil
}

// tryNil consumes a nil and reports whether there was one.
func (d *mpDecoder) tryNil(field string) (bool, error) {
	if d.pos < len(d.buf) {
		if d.buf[d.pos] == mpNil {
			d.pos++
			return true, nil
		}
		return false, nil
	}
	c, err := d.peek(field)
	if err != nil {
		return false, err
	}
	if c == mpNil {
		d.pos++
		return true, nil
	}
	return false, nil
}

func (d *mpDecoder) bool(field string) (bool, error) {
	if d.pos < len(d.buf) && d.buf[d.pos]&0xfe == mpFalse {
		d.pos++
		return d.buf[d.pos-1] == mpTrue, nil
	}
	return d.boolSlow(field)
}

func (d *mpDecoder) boolSlow(field string) (bool, error) {
	start := d.pos
	c, err := d.byte1(field)
	if err != nil {
		return false, err
	}
	switch c {
	case mpTrue:
		return true, nil
	case mpFalse:
		return false, nil
	}
	d.pos = start
	return false, d.errorf(field, "want bool, got format 0x%02x", c)
}

// integer reads any msgpack integer format as a signed value and an
// "is it above MaxInt64" flag for uint64 values.
func (d *mpDecoder) integer(field string) (v int64, big uint64, isBig bool, err error) {
	start := d.pos
	c, err := d.byte1(field)
	if err != nil {
		return 0, 0, false, err
	}
	switch {
	case c <= 0x7f:
		return int64(c), 0, false, nil
	case c >= 0xe0:
		return int64(int8(c)), 0, false, nil
	}
	var u uint64
	switch c {
	case mpUint8:
		u, err = d.be(field, 1)
	case mpUint16:
		u, err = d.be(field, 2)
	case mpUint32:
		u, err = d.be(field, 4)
	case mpUint64:
		u, err = d.be(field, 8)
		if err == nil && u > math.MaxInt64 {
			return 0, u, true, nil
		}
	case mpInt8:
		u, err = d.be(field, 1)
		return int64(int8(u)), 0, false, err
	case mpInt16:
		u, err = d.be(field, 2)
		return int64(int16(u)), 0, false, err
	case mpInt32:
		u, err = d.be(field, 4)
		return int64(int32(u)), 0, false, err
	case mpInt64:
		u, err = d.be(field, 8)
		return int64(u), 0, false, err
	default:
		d.pos = start
		return 0, 0, false, d.errorf(field, "want integer, got format 0x%02x", c)
	}
	return int64(u), 0, false, err
}

// uint, bool, tryNil, float32, stringBytes and arrayLen have an inlinable
// fast path for the formats the encoder writes most; anything else, and
// every error, goes through the slow path.
func (d *mpDecoder) uint(field string, max uint64) (uint64, error) {
	if d.pos < len(d.buf) {
		switch c := d.buf[d.pos]; {
		case c <= 0x7f && uint64(c) <= max:
			d.pos++
			return uint64(c), nil
		case c == mpUint64 && d.pos+9 <= len(d.buf) && max == math.MaxUint64:
			d.pos += 9
			return binary.BigEndian.Uint64(d.buf[d.pos-8:]), nil
		case c == mpUint32 && d.pos+5 <= len(d.buf) && max >= math.MaxUint32:
			d.pos += 5
			return uint64(binary.BigEndian.Uint32(d.buf[d.pos-4:])), nil
		}
	}
	return d.uintSlow(field, max)
}

func (d *mpDecoder) uintSlow(field string, max uint64) (uint64, error) {
	start := d.pos
	v, big, isBig, err := d.integer(field)
	if err != nil {
		return 0, err
	}
	if isBig {
		if big > max {
			d.pos = start
			return 0, d.errorf(field, "value %d out of range [0, %d]", big, max)
		}
		return big, nil
	}
	if v < 0 || uint64(v) > max {
		d.pos = start
		return 0, d.errorf(field, "value %d out of range [0, %d]", v, max)
	}
	return uint64(v), nil
}

func (d *mpDecoder) int(field string, min, max int64) (int64, error) {
	if d.pos < len(d.buf) && d.buf[d.pos] <= 0x7f && int64(d.buf[d.pos]) <= max && int64(d.buf[d.pos]) >= min {
		d.pos++
		return int64(d.buf[d.pos-1]), nil
	}
	return d.intSlow(field, min, max)
}

func (d *mpDecoder) intSlow(field string, min, max int64) (int64, error) {
	start := d.pos
	v, big, isBig, err := d.integer(field)
	if err != nil {
		return 0, err
	}
	if isBig {
		d.pos = start
		return 0, d.errorf(field, "value %d out of range [%d, %d]", big, min, max)
	}
	if v < min || v > max {
		d.pos = start
		return 0, d.errorf(field, "value %d out of range [%d, %d]", v, min, max)
	}
	return v, nil
}

func (d *mpDecoder) uint64(field string) (uint64, error) { return d.uint(field, math.MaxUint64) }
func (d *mpDecoder) uint32(field string) (uint32, error) {
	v, err := d.uint(field, math.MaxUint32)
	return uint32(v), err
}
func (d *mpDecoder) uint8(field string) (uint8, error) {
	v, err := d.uint(field, math.MaxUint8)
	return uint8(v), err
}
func (d *mpDecoder) int64(field string) (int64, error) {
	return d.int(field, math.MinInt64, math.MaxInt64)
}
func (d *mpDecoder) int32(field string) (int32, error) {
	v, err := d.int(field, math.MinInt32, math.MaxInt32)
	return int32(v), err
}

// float64 accepts float32 and float64 formats.
func (d *mpDecoder) float64(field string) (float64, error) {
	start := d.pos
	c, err := d.byte1(field)
	if err != nil {
		return 0, err
	}
	switch c {
	case mpFloat32:
		u, err := d.be(field, 4)
		return float64(math.Float32frombits(uint32(u))), err
	case mpFloat64:
		u, err := d.be(field, 8)
		return math.Float64frombits(u), err
	}
	d.pos = start
	return 0, d.errorf(field, "want float, got format 0x%02x", c)
}

// float32 accepts float32, and float64 formats whose value is exactly
// representable as a float32 (another writer may widen; it may not round).
func (d *mpDecoder) float32(field string) (float32, error) {
	if d.pos+5 <= len(d.buf) && d.buf[d.pos] == mpFloat32 {
		d.pos += 5
		return math.Float32frombits(binary.BigEndian.Uint32(d.buf[d.pos-4:])), nil
	}
	return d.float32Slow(field)
}

func (d *mpDecoder) float32Slow(field string) (float32, error) {
	start := d.pos
	c, err := d.peek(field)
	if err != nil {
		return 0, err
	}
	if c == mpFloat32 {
		d.pos++
		u, err := d.be(field, 4)
		return math.Float32frombits(uint32(u)), err
	}
	v, err := d.float64(field)
	if err != nil {
		return 0, err
	}
	f := float32(v)
	if float64(f) != v && !math.IsNaN(v) {
		d.pos = start
		return 0, d.errorf(field, "float64 %v is not a float32", v)
	}
	return f, nil
}

func (d *mpDecoder) stringBytes(field string) ([]byte, error) {
	if d.pos < len(d.buf) && d.buf[d.pos]&0xe0 == mpFixStr {
		if n := int(d.buf[d.pos] & 0x1f); d.pos+1+n <= len(d.buf) {
			d.pos += 1 + n
			return d.buf[d.pos-n : d.pos], nil
		}
	}
	return d.stringSlow(field)
}

func (d *mpDecoder) stringSlow(field string) ([]byte, error) {
	start := d.pos
	c, err := d.byte1(field)
	if err != nil {
		return nil, err
	}
	var n uint64
	switch {
	case c&0xe0 == mpFixStr:
		n = uint64(c & 0x1f)
	case c == mpStr8 || c == mpBin8:
		n, err = d.be(field, 1)
	case c == mpStr16 || c == mpBin16:
		n, err = d.be(field, 2)
	case c == mpStr32 || c == mpBin32:
		n, err = d.be(field, 4)
	default:
		d.pos = start
		return nil, d.errorf(field, "want string, got format 0x%02x", c)
	}
	if err != nil {
		return nil, err
	}
	if err := d.need(field, int(n)); err != nil {
		d.pos = start
		return nil, err
	}
	s := d.buf[d.pos : d.pos+int(n)]
	d.pos += int(n)
	return s, nil
}

func (d *mpDecoder) string(field string) (string, error) {
	b, err := d.stringBytes(field)
	return string(b), err
}

// containerLen reads an array or map header. Each element takes at least
// minElem bytes, so a length the remaining bytes cannot hold is rejected
// before anyone allocates for it.
func (d *mpDecoder) containerLen(field string, isMap bool, minElem int) (int, error) {
	start := d.pos
	c, err := d.byte1(field)
	if err != nil {
		return 0, err
	}
	var n uint64
	fix, c16, c32, what := byte(mpFixArray), byte(mpArray16), byte(mpArray32), "array"
	if isMap {
		fix, c16, c32, what = mpFixMap, mpMap16, mpMap32, "map"
	}
	switch {
	case c&0xf0 == fix:
		n = uint64(c & 0x0f)
	case c == c16:
		n, err = d.be(field, 2)
	case c == c32:
		n, err = d.be(field, 4)
	default:
		d.pos = start
		return 0, d.errorf(field, "want %s, got format 0x%02x", what, c)
	}
	if err != nil {
		return 0, err
	}
	if n*uint64(minElem) > uint64(d.remaining()) {
		d.pos = start
		return 0, d.errorf(field, "%s of %d elements cannot fit in %d bytes", what, n, d.remaining())
	}
	return int(n), nil
}

// arrayLen reads an array header of at least min elements; the caller skips
// elements beyond those it knows (they are fields a later writer appended).
func (d *mpDecoder) arrayLen(field string, min int) (int, error) {
	if d.pos < len(d.buf) && d.buf[d.pos]&0xf0 == mpFixArray {
		if n := int(d.buf[d.pos] & 0x0f); n >= min && n <= len(d.buf)-d.pos-1 {
			d.pos++
			return n, nil
		}
	}
	return d.arrayLenSlow(field, min)
}

func (d *mpDecoder) arrayLenSlow(field string, min int) (int, error) {
	start := d.pos
	n, err := d.containerLen(field, false, 1)
	if err != nil {
		return 0, err
	}
	if n < min {
		d.pos = start
		return 0, d.errorf(field, "array of %d elements, want at least %d", n, min)
	}
	return n, nil
}

// skip consumes one value of any type. depth bounds nesting so that a
// hostile chunk cannot exhaust the stack.
func (d *mpDecoder) skip(field string, depth int) error {
	if depth > 64 {
		return d.errorf(field, "values nested more than 64 deep")
	}
	c, err := d.peek(field)
	if err != nil {
		return err
	}
	switch {
	case c <= 0x7f || c >= 0xe0 || c == mpNil || c == mpTrue || c == mpFalse:
		d.pos++
		return nil
	case c&0xe0 == mpFixStr, c == mpStr8, c == mpStr16, c == mpStr32, c == mpBin8, c == mpBin16, c == mpBin32:
		_, err := d.stringBytes(field)
		return err
	case c == mpFloat32:
		_, err := d.float64(field)
		return err
	case c == mpFloat64:
		_, err := d.float64(field)
		return err
	case c >= mpUint8 && c <= mpInt64:
		_, _, _, err := d.integer(field)
		return err
	case c&0xf0 == mpFixArray, c == mpArray16, c == mpArray32:
		n, err := d.containerLen(field, false, 1)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			if err := d.skip(field, depth+1); err != nil {
				return err
			}
		}
		return nil
	case c&0xf0 == mpFixMap, c == mpMap16, c == mpMap32:
		n, err := d.containerLen(field, true, 2)
		if err != nil {
			return err
		}
		for i := 0; i < 2*n; i++ {
			if err := d.skip(field, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return d.errorf(field, "unsupported msgpack format 0x%02x", c)
}

// skipExtra skips the elements of an array beyond the known ones.
func (d *mpDecoder) skipExtra(field string, n, known int) error {
	for i := known; i < n; i++ {
		if err := d.skip(field, 1); err != nil {
			return err
		}
	}
	return nil
}
