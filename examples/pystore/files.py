"""pystore's two files: the memory-mapped blocks file and an epoch's content file.

Each keeps, when asked (durable images, PROTOCOL.md section 7), a mirror
FILE.disk holding what its syncs made durable: every write notes its byte
range, and a sync copies the ranges noted before it into the mirror.
"""

import mmap
import os
import threading

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


class DurableImage:
    """FILE.disk for one data file. Invariant: after flush, every range noted
    before it holds in the mirror what the file held at flush time."""

    def __init__(self, path, read_range, file_size):
        self.path = path + DISK_SUFFIX
        self.read_range = read_range  # (offset, length) -> bytes of the file
        self.file_size = file_size  # () -> the file's size now
        self.lock = threading.Lock()  # a note racing a flush lands in one list or the other, never lost
        self.ranges = self.differing(file_size())

    def differing(self, size):
        """The 4 KiB pages where file and mirror differ, and any tail past the
        mirror: after a kill the file holds writes no sync covered (the page
        cache kept them), which the next sync makes durable, as fsync would."""
        with open(self.path, "rb") as f:
            disk = f.read()
        out = []
        for at in range(0, size, rf.PAGE):
            n = min(rf.PAGE, size - at)
            if self.read_range(at, n) != disk[at:at + n]:
                out.append((at, n))
        return out

    def note(self, offset, length):
        with self.lock:
            self.ranges.append((offset, length))

    def flush(self):
        with self.lock:
            ranges, self.ranges = self.ranges, []
        # The size is read after the ranges: every range noted so far lies
        # inside it (a write extends the file before it is noted).
        size = self.file_size()
        disk = os.open(self.path, os.O_WRONLY)
        try:
            if os.fstat(disk).st_size != size:
                os.ftruncate(disk, size)
            for offset, length in sorted(set(ranges)):
                write_all(disk, self.read_range(offset, length), offset)
            os.fsync(disk)
        finally:
            os.close(disk)


class BlocksFile:
    """blocks.dat, mapped whole. Growth maps the longer file anew and keeps
    the older maps open until close: a thread holding an older map still
    reads and writes the same pages (MAP_SHARED), and every slot index a
    caller got from the store lies inside the newest map at that time."""

    def __init__(self, path, durable_image):
        self.path = path
        self.fd = os.open(path, os.O_RDWR)
        size = os.fstat(self.fd).st_size
        if size < rf.PAGE:
            os.close(self.fd)
            raise Corrupt("%s: %d bytes, shorter than its %d-byte header" % (path, size, rf.PAGE))
        self.capacity = (size - rf.PAGE) // rf.SLOT_SIZE
        self.map = mmap.mmap(self.fd, rf.PAGE + self.capacity * rf.SLOT_SIZE)
        self.old_maps = []
        self.image = DurableImage(path, self.read_range, lambda: len(self.map)) if durable_image else None

    def read_range(self, offset, length):
        return self.map[offset:offset + length]

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

    def write(self, offset, data):
        self.map[offset:offset + len(data)] = data
        if self.image:
            self.image.note(offset, len(data))

    def write_slot(self, slot, header, embedding):
        at = rf.slot_offset(slot)
        self.write(at + rf.EMBEDDING_OFFSET, embedding)
        self.write(at, header)

    def write_header(self, slot, header):
        self.write(rf.slot_offset(slot), header)

    def write_counters(self, packed):
        self.write(rf.COUNTERS_OFFSET, packed)

    def read_header(self, slot):
        return self.read_range(rf.slot_offset(slot), rf.HEADER_LEN)

    def read_embedding(self, slot):
        return self.read_range(rf.slot_offset(slot) + rf.EMBEDDING_OFFSET, rf.EMBEDDING_BYTES)

    def read_page0(self):
        return self.read_range(0, rf.PAGE)

    def sync(self):
        """msync + fsync; then the mirror gets what was written before."""
        try:
            self.map.flush()
            os.fsync(self.fd)
        except OSError as e:
            raise IOFailure("%s: sync: %s" % (self.path, e)) from None
        if self.image:
            self.image.flush()

    def close(self):
        for m in self.old_maps + [self.map]:
            m.close()
        os.close(self.fd)


class ContentFile:
    """content.<epoch>.dat: append-only. tail is the end of the reserved
    bytes; every byte before it belongs to one put (or to compaction).
    Concurrent puts write their ranges in any order."""

    def __init__(self, path, epoch, durable_image):
        self.path = path
        self.epoch = epoch
        self.fd = os.open(path, os.O_RDWR)
        why = rf.check_content_header(read_exact(self.fd, rf.CONTENT_HEADER_LEN, 0), epoch)
        if why:
            os.close(self.fd)
            raise Corrupt("%s: %s" % (path, why))
        self.tail = os.fstat(self.fd).st_size
        self.image = DurableImage(path, self.read_range, lambda: os.fstat(self.fd).st_size) if durable_image else None

    def read_range(self, offset, length):
        return read_exact(self.fd, length, offset)

    def bytes_total(self):
        return self.tail - rf.CONTENT_HEADER_LEN

    def write(self, offset, data):
        try:
            write_all(self.fd, data, offset)
        except OSError as e:
            raise IOFailure("%s: write %d bytes at %d: %s" % (self.path, len(data), offset, e)) from None
        if self.image:
            self.image.note(offset, len(data))

    def read(self, offset, n):
        b = self.read_range(offset, n)
        if len(b) != n:
            raise Corrupt("%s: %d bytes at %d: the file ends after %d" % (self.path, n, offset, len(b)))
        return b

    def sync(self):
        try:
            os.fsync(self.fd)
        except OSError as e:
            raise IOFailure("%s: fsync: %s" % (self.path, e)) from None
        if self.image:
            self.image.flush()

    def close(self):
        os.close(self.fd)
