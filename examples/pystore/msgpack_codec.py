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
    if v is None:
        out.append(0xC0)
    elif v is True:
        out.append(0xC3)
    elif v is False:
        out.append(0xC2)
    elif isinstance(v, int):
        _encode_int(v, out)
    elif isinstance(v, Float32):
        out.append(0xCA)
        out += _F32.pack(v)
    elif isinstance(v, float):
        out.append(0xCB)
        out += _F64.pack(v)
    elif isinstance(v, str):
        b = v.encode("utf-8")
        _encode_len(len(b), out, fix=(0xA0, 31), short=0xD9, medium=0xDA, long=0xDB)
        out += b
    elif isinstance(v, (bytes, bytearray, memoryview)):
        _encode_len(len(v), out, fix=None, short=0xC4, medium=0xC5, long=0xC6)
        out += v
    elif isinstance(v, (list, tuple)):
        _encode_len(len(v), out, fix=(0x90, 15), short=None, medium=0xDC, long=0xDD)
        for item in v:
            _encode(item, out)
    elif isinstance(v, dict):
        _encode_len(len(v), out, fix=(0x80, 15), short=None, medium=0xDE, long=0xDF)
        for key, item in v.items():
            _encode(key, out)
            _encode(item, out)
    else:
        raise TypeError("msgpack: cannot encode %s" % type(v).__name__)


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
    view = memoryview(data)
    value, end = _decode(view, 0, 0)
    if end != len(view):
        raise DecodeError("msgpack: %d trailing bytes after the value at offset %d" % (len(view) - end, end))
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


def _need(view, pos, n):
    if pos + n > len(view):
        raise DecodeError("msgpack: truncated at offset %d (need %d bytes, have %d)" % (pos, n, len(view) - pos))


def _decode(view, pos, depth):
    _need(view, pos, 1)
    tag = view[pos]
    pos += 1
    if tag <= 0x7F:
        return tag, pos
    if tag >= 0xE0:
        return tag - 0x100, pos
    if 0xA0 <= tag <= 0xBF:
        return _sized(view, pos, tag & 0x1F, "str", depth)
    if 0x90 <= tag <= 0x9F:
        return _sized(view, pos, tag & 0x0F, "array", depth)
    if 0x80 <= tag <= 0x8F:
        return _sized(view, pos, tag & 0x0F, "map", depth)
    if tag == 0xC0:
        return None, pos
    if tag == 0xC2:
        return False, pos
    if tag == 0xC3:
        return True, pos
    s = _FIXED.get(tag)
    if s is not None:
        _need(view, pos, s.size)
        return s.unpack_from(view, pos)[0], pos + s.size
    sized = _SIZED.get(tag)
    if sized is not None:
        s, kind = sized
        _need(view, pos, s.size)
        return _sized(view, pos + s.size, s.unpack_from(view, pos)[0], kind, depth)
    raise DecodeError("msgpack: unsupported type byte 0x%02x at offset %d" % (tag, pos - 1))


def _sized(view, pos, n, kind, depth):
    if kind == "bin":
        _need(view, pos, n)
        return bytes(view[pos:pos + n]), pos + n
    if kind == "str":
        _need(view, pos, n)
        try:
            return str(view[pos:pos + n], "utf-8"), pos + n
        except UnicodeDecodeError as e:
            raise DecodeError("msgpack: str at offset %d is not UTF-8: %s" % (pos, e)) from None
    if depth >= _MAX_DEPTH:
        raise DecodeError("msgpack: nesting deeper than %d at offset %d" % (_MAX_DEPTH, pos))
    # Every element takes at least one byte: a count beyond the bytes left is a lie.
    _need(view, pos, n if kind == "array" else 2 * n)
    if kind == "array":
        items = []
        for _ in range(n):
            item, pos = _decode(view, pos, depth + 1)
            items.append(item)
        return items, pos
    result = {}
    for _ in range(n):
        key, pos = _decode(view, pos, depth + 1)
        if isinstance(key, (list, dict)):
            raise DecodeError("msgpack: map key at offset %d is not hashable" % pos)
        result[key], pos = _decode(view, pos, depth + 1)
    return result, pos
