"""On-disk layout of pystore's two kinds of files.

blocks.dat (memory-mapped):

    page 0     file header: sector 0 = FileHeader (written once, at creation,
               through a temporary file that is fsynced and renamed);
               sector 1 = Counters (compactions, bytes reclaimed; crc32)
    page 1+i   slot i (SLOT_SIZE = 4096 bytes):
        [0, HEADER_LEN)     RecordHeader, see HEADER below; all of it in the
                            slot's first 512-byte sector, so an in-place
                            rewrite (tombstone, activation, compaction's new
                            content address) changes one sector only
        [512, 512+3072)     the embedding, 768 little-endian float32

A slot is free when its state byte is FREE (a zeroed header). Its header
crc32 covers header bytes [4, HEADER_LEN); embedding_crc and content_crc
cover the embedding and the content bytes, checked by recovery.

content.<epoch>.dat (pwrite/pread): CONTENT_HEADER_LEN bytes of header, then
content appended; a range, once reserved, is never rewritten in that epoch.
"""

import struct
import zlib

EMBEDDING_DIM = 768
EMBEDDING_BYTES = 4 * EMBEDDING_DIM
MAX_ID_LEN = 64
PAGE = 4096
SECTOR = 512
SLOT_SIZE = PAGE
EMBEDDING_OFFSET = SECTOR

FILE_MAGIC = b"PYSTORE1"
FILE_HEADER = struct.Struct("<8sIIII")  # magic, format version, slot size, embedding dim, max id len
FORMAT_VERSION = 1
COUNTERS_OFFSET = SECTOR
COUNTERS = struct.Struct("<IQQ")  # crc32 of the rest, compactions, bytes reclaimed

CONTENT_MAGIC = b"PYCONT01"
CONTENT_HEADER = struct.Struct("<8sQ")  # magic, epoch
CONTENT_HEADER_LEN = 64

FREE, LIVE, TOMBSTONE = 0, 1, 2

# crc, state, has_content, id_len, pad, generation, confidence, activation,
# decay_rate, content_len, created_at, last_access, content_offset,
# content_epoch, content_crc, embedding_crc, id
HEADER = struct.Struct("<IBBBxQfffIqqQQII%ds" % MAX_ID_LEN)
HEADER_LEN = HEADER.size
assert HEADER_LEN <= SECTOR


class Record:
    """One decoded slot header (the embedding travels separately)."""

    __slots__ = ("state", "generation", "id", "confidence", "activation", "decay_rate",
                 "created_at", "last_access", "has_content", "content_len",
                 "content_offset", "content_epoch", "content_crc", "embedding_crc")

    def __init__(self, **fields):
        for name in self.__slots__:
            setattr(self, name, fields.get(name, 0))
        if not fields.get("id"):
            self.id = ""

    def pack(self):
        """Returns the HEADER_LEN bytes of this header, crc included."""
        raw = self.id.encode("utf-8")
        body = HEADER.pack(0, self.state, 1 if self.has_content else 0, len(raw), self.generation,
                           self.confidence, self.activation, self.decay_rate, self.content_len,
                           self.created_at, self.last_access, self.content_offset,
                           self.content_epoch, self.content_crc, self.embedding_crc, raw)
        return struct.pack("<I", zlib.crc32(body[4:])) + body[4:]


class TornHeader(Exception):
    """The header's crc does not match: a write of it was cut short."""


def unpack_header(b):
    """Returns the Record in header bytes b, None for a free slot, or raises TornHeader."""
    f = HEADER.unpack_from(b)
    state = f[1]
    if state == FREE and f[0] == 0:
        return None
    if zlib.crc32(bytes(b[4:HEADER_LEN])) != f[0] or state not in (LIVE, TOMBSTONE) or f[3] > MAX_ID_LEN:
        raise TornHeader()
    try:
        ident = f[15][:f[3]].decode("utf-8")
    except UnicodeDecodeError:
        raise TornHeader() from None
    return Record(state=state, has_content=f[2] == 1, generation=f[4], confidence=f[5],
                  activation=f[6], decay_rate=f[7], content_len=f[8], created_at=f[9],
                  last_access=f[10], content_offset=f[11], content_epoch=f[12],
                  content_crc=f[13], embedding_crc=f[14], id=ident)


def header_or_none(b):
    """Like unpack_header, but a torn header is None too."""
    try:
        return unpack_header(b)
    except TornHeader:
        return None


def slot_offset(slot):
    return PAGE + slot * SLOT_SIZE


def file_header():
    """Returns page 0 of a new blocks.dat."""
    page = bytearray(PAGE)
    FILE_HEADER.pack_into(page, 0, FILE_MAGIC, FORMAT_VERSION, SLOT_SIZE, EMBEDDING_DIM, MAX_ID_LEN)
    page[COUNTERS_OFFSET:COUNTERS_OFFSET + COUNTERS.size] = pack_counters(0, 0)
    return bytes(page)


def check_file_header(b):
    """Returns None when page-0 bytes b are a blocks.dat header this code reads, else why not."""
    if len(b) < FILE_HEADER.size:
        return "shorter than its header"
    magic, version, slot_size, dim, max_id = FILE_HEADER.unpack_from(b)
    if magic != FILE_MAGIC:
        return "bad magic %r" % magic
    if (version, slot_size, dim, max_id) != (FORMAT_VERSION, SLOT_SIZE, EMBEDDING_DIM, MAX_ID_LEN):
        return "format %d/%d/%d/%d, this code reads %d/%d/%d/%d" % (
            version, slot_size, dim, max_id, FORMAT_VERSION, SLOT_SIZE, EMBEDDING_DIM, MAX_ID_LEN)
    return None


def pack_counters(compactions, bytes_reclaimed):
    body = COUNTERS.pack(0, compactions, bytes_reclaimed)
    return struct.pack("<I", zlib.crc32(body[4:])) + body[4:]


def unpack_counters(b):
    """Returns (compactions, bytes_reclaimed); (0, 0) when the sector is torn."""
    crc, compactions, reclaimed = COUNTERS.unpack_from(b)
    if zlib.crc32(bytes(b[4:COUNTERS.size])) != crc:
        return 0, 0
    return compactions, reclaimed


def content_header(epoch):
    b = bytearray(CONTENT_HEADER_LEN)
    CONTENT_HEADER.pack_into(b, 0, CONTENT_MAGIC, epoch)
    return bytes(b)


def check_content_header(b, epoch):
    if len(b) < CONTENT_HEADER_LEN:
        return "shorter than its header"
    magic, e = CONTENT_HEADER.unpack_from(b)
    if magic != CONTENT_MAGIC or e != epoch:
        return "header (%r, epoch %d) is not content of epoch %d" % (magic, e, epoch)
    return None
