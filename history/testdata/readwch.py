#!/usr/bin/env python3
"""An independent reader of warmcheck .wch histories, written from
history/FORMAT.md only (standard library, no msgpack package).

Usage: readwch.py FILE
Prints the header as one JSON object (a schema 1 header, which has no
"digest" key, is printed with "digest": "fnv1a-64", the algorithm its
digests use), then one JSON array per event:
[index, kind, type, process, worker, op, id, time, input, output, error,
nemesis, snapshot] with nested structures as arrays, and finally
{"end": "clean"} (the end record, or for a header without "end_record"
the end of the file at a chunk boundary) or {"end": "torn" | "corrupt",
"offset": N, "chunk": K, "why": ...} (FORMAT.md, "Complete, torn,
corrupt"). With --end-only FILE...: only the end object of each file.
"""
import json
import struct
import sys

MAGIC = b"WCHIST\x00\x01"
# Schema -> digest algorithms it may name; schema 1 names none (FNV-1a 64).
DIGESTS = {1: ("fnv1a-64",), 2: ("xxh64", "fnv1a-64")}


def crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


TABLE = crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


class Decoder:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n):
        if self.pos + n > len(self.buf):
            raise ValueError("short")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def value(self):
        c = self.take(1)[0]
        if c <= 0x7F:
            return c
        if c >= 0xE0:
            return c - 256
        if 0x80 <= c <= 0x8F:
            return self.map(c & 0x0F)
        if 0x90 <= c <= 0x9F:
            return [self.value() for _ in range(c & 0x0F)]
        if 0xA0 <= c <= 0xBF:
            return self.take(c & 0x1F).decode("utf-8", "replace")
        fixed = {0xC0: None, 0xC2: False, 0xC3: True}
        if c in fixed:
            return fixed[c]
        ints = {0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b", 0xD1: ">h", 0xD2: ">i", 0xD3: ">q",
                0xCA: ">f", 0xCB: ">d"}
        if c in ints:
            fmt = ints[c]
            return struct.unpack(fmt, self.take(struct.calcsize(fmt)))[0]
        lens = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
        if c in lens:
            n = struct.unpack(lens[c], self.take(struct.calcsize(lens[c])))[0]
            return self.take(n).decode("utf-8", "replace")
        if c in (0xDC, 0xDD):
            n = struct.unpack(">H" if c == 0xDC else ">I", self.take(2 if c == 0xDC else 4))[0]
            return [self.value() for _ in range(n)]
        if c in (0xDE, 0xDF):
            n = struct.unpack(">H" if c == 0xDE else ">I", self.take(2 if c == 0xDE else 4))[0]
            return self.map(n)
        raise ValueError("format 0x%02x" % c)

    def map(self, n):
        m = {}
        for _ in range(n):
            k = self.value()
            m[k] = self.value()
        return m


def plausible(n, count, first):
    """A frame that could have been written: FORMAT.md, "Complete, torn,
    corrupt" (an end record's payload is a map, an event chunk's starts
    with an event array)."""
    if count == 0:
        return 1 <= n <= 4096 and 0x80 <= first <= 0x8F
    return count * 14 <= n and (0x9D <= first <= 0x9F or first in (0xDC, 0xDD))


def intact_inside(seen):
    for p in range(1, len(seen) - 12):
        n, crc, count = struct.unpack("<III", seen[p:p + 12])
        if n > len(seen) - p - 12 or not plausible(n, count, seen[p + 12]):
            continue
        if crc32c(seen[p + 12:p + 12 + n], crc32c(seen[p + 8:p + 12])) == crc:
            return True
    return False


def classify(data, off, chunk, seen):
    """Torn or corrupt, for damage at off whose read bytes are seen."""
    if chunk == 0:
        return "corrupt"
    if any(data[off + len(seen):]):
        return "corrupt"
    if intact_inside(seen):
        return "corrupt"
    return "torn"


def read(path, out):
    data = open(path, "rb").read()
    if data[:8] != MAGIC:
        sys.exit("not a history")
    length, crc = struct.unpack("<II", data[8:16])
    payload = data[16:16 + length]
    if len(payload) != length or crc32c(payload) != crc:
        sys.exit("bad header")
    header = Decoder(payload).value()
    schema = header.get("schema")
    if schema not in DIGESTS:
        sys.exit("unknown schema %r" % (schema,))
    if schema == 1:
        header.setdefault("digest", "fnv1a-64")
    if header.get("digest") not in DIGESTS[schema]:
        sys.exit("bad header: digest %r in schema %d" % (header.get("digest"), schema))
    out(header)
    off, chunk, total = 16 + length, 0, 0

    def end(kind, why):
        return {"end": kind, "offset": off, "chunk": chunk, "why": why}

    while off < len(data):
        if off + 12 > len(data):
            return end(classify(data, off, chunk, data[off:]), "short prefix")
        n, crc, count = struct.unpack("<III", data[off:off + 12])
        is_end = count == 0 and 1 <= n <= 4096
        if not is_end and (n > 1 << 30 or count == 0 or count * 14 > n):
            return end(classify(data, off, chunk, data[off:off + 12]), "bad prefix")
        body = data[off + 12:off + 12 + n]
        seen = data[off:off + 12 + n]
        if len(body) != n:
            return end(classify(data, off, chunk, seen), "short payload")
        if crc32c(body, crc32c(data[off + 8:off + 12])) != crc:
            return end(classify(data, off, chunk, seen), "crc")
        d = Decoder(body)
        try:
            values = [d.value() for _ in range(1 if is_end else count)]
        except ValueError:
            return end(classify(data, off, chunk, seen), "does not decode")
        if d.pos != n:
            return end(classify(data, off, chunk, seen), "trailing bytes")
        if is_end:
            rec = values[0]
            if not isinstance(rec, dict) or rec.get("events") != total or rec.get("chunks") != chunk:
                return end("corrupt", "end record disagrees")
            if any(data[off + 12 + n:]):
                return end("corrupt", "data after the end record")
            return {"end": "clean"}
        for e in values:
            out(e)
        total += count
        off += 12 + n
        chunk += 1
    if header.get("end_record"):
        return end("torn", "no end record")
    return {"end": "clean"}


def main(args):
    if args and args[0] == "--end-only":
        for path in args[1:]:
            print(json.dumps(read(path, lambda _: None)))
        return
    print(json.dumps(read(args[0], lambda v: print(json.dumps(v, sort_keys=True) if isinstance(v, dict) else json.dumps(v)))))


main(sys.argv[1:])
