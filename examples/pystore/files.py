"""pystore's two files: the memory-mapped blocks file and an epoch's content file.

Each keeps, when asked (durable images, PROTOCOL.md section 7), a mirror
FILE.disk holding what its syncs made durable: content files are append-only,
so the mirror gets the bytes past its own end; the blocks file copies the
slots written since the last sync.
"""

import mmap
import os

import record_format as rf
from store_errors import Corrupt, IOFailure, NoSpace

DISK_SUFFIX = ".disk"
INITIAL_SLOTS = 64


def create_atomically(path, data, durable_image):
    """Creates path holding data: written to a temporary file, fsynced, renamed, directory fsynced."""
    tmp = path + ".tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, data, 0)
        os.fsync(fd)
    finally:
        os.close(fd)
    if durable_image:
        create_atomically(path + DISK_SUFFIX, data, False)
    os.rename(tmp, path)
    fsync_dir(os.path.dirname(path))


def remove(path):
    """Deletes path and its mirror."""
    for p in (path, path + DISK_SUFFIX):
        try:
            os.unlink(p)
        except FileNotFoundError:
            pass
    fsync_dir(os.path.dirname(path))


def fsync_dir(path):
    fd = os.open(path or ".", os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_all(fd, data, offset):
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, offset)
        view, offset = view[n:], offset + n


def read_exact(fd, n, offset):
    """Returns n bytes at offset, or fewer when the file ends before."""
    parts = []
    while n > 0:
        b = os.pread(fd, n, offset)
        if not b:
            break
        parts.append(b)
        n, offset = n - len(b), offset + len(b)
    return b"".join(parts)


class BlocksFile:
    """blocks.dat, mapped whole. Growth maps the longer file anew and keeps
    the older maps open until close: a thread holding an older map still
    reads and writes the same pages (MAP_SHARED), and every slot index a
    caller got from the store lies inside the newest map at that time."""

    def __init__(self, path, durable_image):
        self.path = path
        self.durable_image = durable_image
        self.fd = os.open(path, os.O_RDWR)
        size = os.fstat(self.fd).st_size
        if size < rf.PAGE:
            os.close(self.fd)
            raise Corrupt("%s: %d bytes, shorter than its %d-byte header" % (path, size, rf.PAGE))
        self.capacity = (size - rf.PAGE) // rf.SLOT_SIZE
        self.map = mmap.mmap(self.fd, rf.PAGE + self.capacity * rf.SLOT_SIZE)
        self.old_maps = []
        self.dirty = set()  # slots (-1: page 0) written since the last sync
        self.mirror_size = size
        if durable_image:
            self.dirty = self.differing_pages()

    def differing_pages(self):
        """Returns the pages (-1: page 0, else slots) where the file and its
        mirror differ. After a kill the file holds writes no sync covered
        (the page cache kept them); the next sync must make them durable, as
        an fsync would."""
        with open(self.path + DISK_SUFFIX, "rb") as f:
            disk = f.read()
        self.mirror_size = len(disk)
        out = set()
        for at in range(0, len(self.map), rf.PAGE):
            if self.map[at:at + rf.PAGE] != disk[at:at + rf.PAGE]:
                out.add(-1 if at == 0 else (at - rf.PAGE) // rf.SLOT_SIZE)
        return out

    def grow(self):
        """Doubles the slot capacity. The caller holds the store lock."""
        capacity = max(INITIAL_SLOTS, 2 * self.capacity)
        size = rf.PAGE + capacity * rf.SLOT_SIZE
        try:
            os.posix_fallocate(self.fd, 0, size)
        except OSError as e:
            raise NoSpace("%s: cannot grow to %d bytes: %s" % (self.path, size, e)) from None
        self.old_maps.append(self.map)
        self.map = mmap.mmap(self.fd, size)
        self.capacity = capacity

    def write_slot(self, slot, header, embedding):
        at = rf.slot_offset(slot)
        m = self.map
        m[at + rf.EMBEDDING_OFFSET:at + rf.EMBEDDING_OFFSET + rf.EMBEDDING_BYTES] = embedding
        m[at:at + len(header)] = header
        self.dirty.add(slot)

    def write_header(self, slot, header):
        at = rf.slot_offset(slot)
        self.map[at:at + len(header)] = header
        self.dirty.add(slot)

    def read_header(self, slot):
        at = rf.slot_offset(slot)
        return self.map[at:at + rf.HEADER_LEN]

    def read_embedding(self, slot):
        at = rf.slot_offset(slot) + rf.EMBEDDING_OFFSET
        return self.map[at:at + rf.EMBEDDING_BYTES]

    def read_page0(self):
        return self.map[:rf.PAGE]

    def write_counters(self, packed):
        self.map[rf.COUNTERS_OFFSET:rf.COUNTERS_OFFSET + len(packed)] = packed
        self.dirty.add(-1)

    def sync(self):
        """msync + fsync; then the mirror gets the page 0 and slots written before."""
        dirty, self.dirty = self.dirty, set()
        try:
            self.map.flush()
            os.fsync(self.fd)
        except OSError as e:
            raise IOFailure("%s: sync: %s" % (self.path, e)) from None
        if self.durable_image:
            self._mirror(dirty)

    def _mirror(self, dirty):
        disk = os.open(self.path + DISK_SUFFIX, os.O_WRONLY)
        try:
            size = len(self.map)
            if size != self.mirror_size:
                os.ftruncate(disk, size)
                self.mirror_size = size
            for slot in sorted(dirty):
                at = 0 if slot < 0 else rf.slot_offset(slot)
                n = rf.PAGE if slot < 0 else rf.SLOT_SIZE
                write_all(disk, self.map[at:at + n], at)
            os.fsync(disk)
        finally:
            os.close(disk)

    def close(self):
        for m in self.old_maps + [self.map]:
            m.close()
        os.close(self.fd)


class ContentFile:
    """content.<epoch>.dat: append-only. tail is the end of the reserved
    bytes; every byte before it belongs to one put (or to compaction)."""

    def __init__(self, path, epoch, durable_image):
        self.path = path
        self.epoch = epoch
        self.durable_image = durable_image
        self.fd = os.open(path, os.O_RDWR)
        why = rf.check_content_header(read_exact(self.fd, rf.CONTENT_HEADER_LEN, 0), epoch)
        if why:
            os.close(self.fd)
            raise Corrupt("%s: %s" % (path, why))
        self.tail = os.fstat(self.fd).st_size
        self.mirror_size = self.tail if not durable_image else os.stat(path + DISK_SUFFIX).st_size

    def bytes_total(self):
        return self.tail - rf.CONTENT_HEADER_LEN

    def write(self, offset, data):
        try:
            write_all(self.fd, data, offset)
        except OSError as e:
            raise IOFailure("%s: write %d bytes at %d: %s" % (self.path, len(data), offset, e)) from None

    def read(self, offset, n):
        b = read_exact(self.fd, n, offset)
        if len(b) != n:
            raise Corrupt("%s: %d bytes at %d: the file ends after %d" % (self.path, n, offset, len(b)))
        return b

    def sync(self):
        try:
            os.fsync(self.fd)
        except OSError as e:
            raise IOFailure("%s: fsync: %s" % (self.path, e)) from None
        if self.durable_image:
            self._mirror()

    def _mirror(self):
        size = os.fstat(self.fd).st_size
        if size <= self.mirror_size:
            return
        disk = os.open(self.path + DISK_SUFFIX, os.O_WRONLY)
        try:
            write_all(disk, read_exact(self.fd, size - self.mirror_size, self.mirror_size), self.mirror_size)
            os.fsync(disk)
        finally:
            os.close(disk)
        self.mirror_size = size

    def close(self):
        os.close(self.fd)
