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
the end of the file at a chunk boundary), {"end": "no end record",
"offset": N} or {"end": "damage", "offset": N, "chunk": K}. It does not
classify damage as torn or corrupt.
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


def main(path):
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
    print(json.dumps(header, sort_keys=True))
    off, chunk = 16 + length, 0
    sum_events = [0]
    while off < len(data):
        end = None
        if off + 12 > len(data):
            end = "short prefix"
        else:
            n, crc, count = struct.unpack("<III", data[off:off + 12])
            body = data[off + 12:off + 12 + n]
            if len(body) != n:
                end = "short payload"
            elif crc32c(body, crc32c(data[off + 8:off + 12])) != crc:
                end = "crc"
            elif count == 0:
                rec = Decoder(body).value()
                total = sum_events[0]
                if not isinstance(rec, dict) or rec.get("events") != total or rec.get("chunks") != chunk:
                    end = "end record disagrees"
                elif off + 12 + n != len(data):
                    end = "data after the end record"
                else:
                    print(json.dumps({"end": "clean"}))
                    return
            else:
                d = Decoder(body)
                events = [d.value() for _ in range(count)]
                if d.pos != n:
                    end = "trailing bytes"
                sum_events[0] += len(events)
        if end:
            print(json.dumps({"end": "damage", "offset": off, "chunk": chunk, "why": end}))
            return
        for e in events:
            print(json.dumps(e))
        off += 12 + n
        chunk += 1
    if header.get("end_record"):
        print(json.dumps({"end": "no end record", "offset": off}))
        return
    print(json.dumps({"end": "clean"}))


main(sys.argv[1])
