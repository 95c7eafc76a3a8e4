"""The msgpack subset the warmcheck store protocol uses (PROTOCOL.md section 3).

Types: nil, bool, int (int64 and uint64 range), float 32 and 64, str, bin,
array, map. Extension types and timestamps are rejected. Encoding picks the
shortest form; Python float encodes as float 64 unless wrapped in Float32.
"""

import struct


class DecodeError(ValueError):
    """The bytes are not one well-formed value of the supported subset."""


class Float32(float):
    """A float that encodes as msgpack float 32 (the value is rounded to it)."""

    def __new__(cls, value):
        return super().__new__(cls, struct.unpack(">f", struct.pack(">f", value))[0])


_U8, _U16, _U32, _U64 = struct.Struct(">B"), struct.Struct(">H"), struct.Struct(">I"), struct.Struct(">Q")
_I8, _I16, _I32, _I64 = struct.Struct(">b"), struct.Struct(">h"), struct.Struct(">i"), struct.Struct(">q")
_F32, _F64 = struct.Struct(">f"), struct.Struct(">d")


def encode(value):
    """Returns the msgpack bytes of value."""
    out = bytearray()
    _encode(value, out)
    return bytes(out)


def _encode(v, out):
    t = type(v)
    if t is str:
        b = v.encode("utf-8")
        n = len(b)
        if n <= 31:
            out.append(0xA0 | n)
        else:
            _encode_len(n, out, fix=None, short=0xD9, medium=0xDA, long=0xDB)
        out += b
    elif t is int:
        if 0 <= v <= 0x7F:
            out.append(v)
        else:
            _encode_int(v, out)
    elif t is dict:
        _encode_len(len(v), out, fix=(0x80, 15), short=None, medium=0xDE, long=0xDF)
        for key, item in v.items():
            _encode(key, out)
            _encode(item, out)
    elif t is bytes or t is bytearray or t is memoryview:
        _encode_len(len(v), out, fix=None, short=0xC4, medium=0xC5, long=0xC6)
        out += v
    elif v is None:
        out.append(0xC0)
    elif t is bool:
        out.append(0xC3 if v else 0xC2)
    elif t is Float32:
        out.append(0xCA)
        out += _F32.pack(v)
    elif t is float:
        out.append(0xCB)
        out += _F64.pack(v)
    elif t is list or t is tuple:
        _encode_len(len(v), out, fix=(0x90, 15), short=None, medium=0xDC, long=0xDD)
        for item in v:
            _encode(item, out)
    else:
        raise TypeError("msgpack: cannot encode %s" % t.__name__)


def _encode_int(v, out):
    if 0 <= v <= 0x7F:
        out.append(v)
    elif -32 <= v < 0:
        out.append(v & 0xFF)
    elif v > 0:
        for limit, tag, s in ((0xFF, 0xCC, _U8), (0xFFFF, 0xCD, _U16), (0xFFFFFFFF, 0xCE, _U32), (0xFFFFFFFFFFFFFFFF, 0xCF, _U64)):
            if v <= limit:
                out.append(tag)
                out += s.pack(v)
                return
        raise OverflowError("msgpack: integer %d does not fit uint64" % v)
    else:
        for limit, tag, s in ((-0x80, 0xD0, _I8), (-0x8000, 0xD1, _I16), (-0x80000000, 0xD2, _I32), (-0x8000000000000000, 0xD3, _I64)):
            if v >= limit:
                out.append(tag)
                out += s.pack(v)
                return
        raise OverflowError("msgpack: integer %d does not fit int64" % v)


def _encode_len(n, out, fix, short, medium, long):
    if fix is not None and n <= fix[1]:
        out.append(fix[0] | n)
    elif short is not None and n <= 0xFF:
        out.append(short)
        out.append(n)
    elif n <= 0xFFFF:
        out.append(medium)
        out += _U16.pack(n)
    elif n <= 0xFFFFFFFF:
        out.append(long)
        out += _U32.pack(n)
    else:
        raise OverflowError("msgpack: length %d does not fit uint32" % n)


def decode(data):
    """Returns the one value data holds; trailing bytes are an error."""
    b = bytes(data)
    try:
        value, end = _decode(b, 0, 0)
    except (IndexError, struct.error):
        raise DecodeError("msgpack: truncated: %d bytes end inside a value" % len(b)) from None
    if end != len(b):
        raise DecodeError("msgpack: %d trailing bytes after the value at offset %d" % (len(b) - end, end))
    return value


# _MAX_DEPTH bounds nesting so a hostile frame cannot exhaust the stack.
_MAX_DEPTH = 64

_FIXED = {
    0xCC: _U8, 0xCD: _U16, 0xCE: _U32, 0xCF: _U64,
    0xD0: _I8, 0xD1: _I16, 0xD2: _I32, 0xD3: _I64,
    0xCA: _F32, 0xCB: _F64,
}
# tag -> (length struct, kind) for str, bin, array and map with an explicit length.
_SIZED = {
    0xD9: (_U8, "str"), 0xDA: (_U16, "str"), 0xDB: (_U32, "str"),
    0xC4: (_U8, "bin"), 0xC5: (_U16, "bin"), 0xC6: (_U32, "bin"),
    0xDC: (_U16, "array"), 0xDD: (_U32, "array"),
    0xDE: (_U16, "map"), 0xDF: (_U32, "map"),
}
_CONSTANTS = {0xC0: None, 0xC2: False, 0xC3: True}


def _decode(b, pos, depth):
    """Returns (value, end). A read past the end raises IndexError or struct.error."""
    tag = b[pos]
    pos += 1
    if tag <= 0x7F:
        return tag, pos
    if tag >= 0xE0:
        return tag - 0x100, pos
    if tag >= 0xA0:
        if tag <= 0xBF:
            return _sized(b, pos, tag & 0x1F, "str", depth)
    elif tag >= 0x90:
        return _sized(b, pos, tag & 0x0F, "array", depth)
    else:
        return _sized(b, pos, tag & 0x0F, "map", depth)
    if tag in _CONSTANTS:
        return _CONSTANTS[tag], pos
    s = _FIXED.get(tag)
    if s is not None:
        return s.unpack_from(b, pos)[0], pos + s.size
    sized = _SIZED.get(tag)
    if sized is not None:
        s, kind = sized
        return _sized(b, pos + s.size, s.unpack_from(b, pos)[0], kind, depth)
    raise DecodeError("msgpack: unsupported type byte 0x%02x at offset %d" % (tag, pos - 1))


def _sized(b, pos, n, kind, depth):
    end = pos + n
    if kind == "bin" or kind == "str":
        if end > len(b):
            raise DecodeError("msgpack: %s of %d bytes at offset %d runs past the end (%d bytes)" % (kind, n, pos, len(b)))
        if kind == "bin":
            return b[pos:end], end
        try:
            return b[pos:end].decode("utf-8"), end
        except UnicodeDecodeError as e:
            raise DecodeError("msgpack: str at offset %d is not UTF-8: %s" % (pos, e)) from None
    if depth >= _MAX_DEPTH:
        raise DecodeError("msgpack: nesting deeper than %d at offset %d" % (_MAX_DEPTH, pos))
    # Every element takes at least one byte: a count beyond the bytes left is a lie.
    if pos + (n if kind == "array" else 2 * n) > len(b):
        raise DecodeError("msgpack: %s of %d elements at offset %d cannot fit in %d bytes" % (kind, n, pos, len(b)))
    depth += 1
    if kind == "array":
        items = []
        for _ in range(n):
            item, pos = _decode(b, pos, depth)
            items.append(item)
        return items, pos
    result = {}
    for _ in range(n):
        key, pos = _decode(b, pos, depth)
        if type(key) is list or type(key) is dict:
            raise DecodeError("msgpack: map key before offset %d is not hashable" % pos)
        result[key], pos = _decode(b, pos, depth)
    return result, pos
