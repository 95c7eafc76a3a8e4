"""pystore: a small memory-mapped store with fixed slots and append-only content.

Concurrency (the invariants the protocol's checkers rely on):
  - self.lock guards the index, the slot free lists, the generation counter
    and every content file's tail. Slot headers of published records are
    read and rewritten only under it.
  - A put reserves its slot, its generation and its content range under the
    lock, writes content and record outside it, then publishes under it.
    Linearization: the publish (or, when a put with a higher generation of
    the same id published first, just before that one).
  - Content bytes are never rewritten within an epoch, so a reader that got
    (file, offset, length) under the lock reads them after releasing it.
  - A slot replaced or removed goes to pending_free and becomes reusable
    only after a sync made its successor durable (then it is zeroed, synced,
    and freed), so a power loss never leaves an id older than its last sync.
  - Compaction runs alone: it waits for in-flight puts and holds new ones
    back (the put gate), then copies under the lock.

PYSTORE_BUG=offset-race (bug="offset-race") moves the content reservation
out of the lock: a put reads the tail, writes at it (pwrite releases the
GIL) and advances the tail afterwards, so concurrent puts share a range.
"""

import os
import threading
import time
import zlib
from contextlib import contextmanager

import compaction
import record_format as rf
from failpoints import Failpoints
import recovery
from recovery import Published
from store_errors import BadEmbedding, BadID, Closed, CompactionInProgress, TooLarge

MAX_CONTENT_LEN = 4 << 20
BUGS = ("offset-race",)
ZERO_EMBEDDING = bytes(rf.EMBEDDING_BYTES)


class Memory:
    __slots__ = ("embedding", "confidence", "activation", "decay_rate", "created_at", "last_access", "content")

    def __init__(self, embedding=None, confidence=0.0, activation=0.0, decay_rate=0.0,
                 created_at=0, last_access=0, content=None):
        self.embedding, self.confidence, self.activation = embedding, confidence, activation
        self.decay_rate, self.created_at, self.last_access, self.content = decay_rate, created_at, last_access, content


class Placement:
    __slots__ = ("slot", "has_content", "offset", "length", "epoch")

    def __init__(self, slot, rec):
        self.slot = slot
        self.has_content = rec.has_content
        self.offset = rec.content_offset if rec.has_content else 0
        self.length = rec.content_len if rec.has_content else 0
        self.epoch = rec.content_epoch if rec.has_content else 0


class Entry:
    """One live memory in a listing (iterate, recall, layout)."""

    __slots__ = ("id", "memory", "placement")

    def __init__(self, ident, memory, placement):
        self.id, self.memory, self.placement = ident, memory, placement


class Store:
    def __init__(self, data_dir, bug=None, durable_images=False, failpoints=None):
        if bug is not None and bug not in BUGS:
            raise ValueError("unknown bug %r (known: %s)" % (bug, ", ".join(BUGS)))
        self.bug = bug
        self.failpoints = failpoints or Failpoints()
        self.lock = threading.Lock()
        self.sync_lock = threading.Lock()
        self.gate = threading.Condition(threading.Lock())
        self.puts_in_flight = 0
        self.compacting = False
        self.closed = False
        state = recovery.open_dir(data_dir, durable_images)
        self.dir = data_dir
        self.durable_images = durable_images
        self.blocks = state.blocks
        self.contents = state.contents  # epoch -> ContentFile; the highest is current
        self.content = self.contents[max(self.contents)]
        self.index = state.index  # id -> Published
        self.latest_generation = {i: p.record.generation for i, p in self.index.items()}
        self.next_generation = state.next_generation
        self.free_slots = state.free_slots  # reusable now, popped from the end
        self.next_slot = state.next_slot  # slots at or past it were never used
        self.pending_free = []  # superseded or removed, reusable after the next sync
        self.live_bytes = sum(p.record.content_len for p in self.index.values() if p.record.has_content)
        self.compactions, self.bytes_reclaimed = state.compactions, state.bytes_reclaimed
        self.torn_discarded = state.torn_discarded
        self.retired = []  # content files compaction deleted, open for readers until close
        self.syncs_begun = self.syncs_done = 0  # numbers of syncs begun and completed (sync_lock)

    # --- writes -------------------------------------------------------------

    def put(self, ident, m):
        """Stores m under ident; returns its Placement."""
        check_id(ident)
        embedding = check_embedding(m.embedding)
        if m.content is not None and len(m.content) > MAX_CONTENT_LEN:
            raise TooLarge("content of %d bytes exceeds %d" % (len(m.content), MAX_CONTENT_LEN))
        now = time.time_ns()
        rec = rf.Record(state=rf.LIVE, id=ident, confidence=m.confidence, activation=m.activation,
                        decay_rate=m.decay_rate, created_at=m.created_at or now, last_access=m.last_access or now,
                        has_content=m.content is not None, content_len=len(m.content or b""),
                        content_crc=zlib.crc32(m.content or b""), embedding_crc=zlib.crc32(embedding))
        with self.put_gate():
            slot, content = self.reserve(rec)
            try:
                self.failpoints.hit("after-slot-alloc")
                if rec.content_len and self.bug == "offset-race":
                    rec.content_offset = self.append_unreserved(content, m.content)
                elif rec.content_len:
                    content.write(rec.content_offset, m.content)
                self.failpoints.hit("between-content-and-block")
                self.blocks.write_slot(slot, rec.pack(), embedding)
                with self.lock:
                    self.failpoints.hit("before-index-publish")
                    self.publish(ident, slot, rec)
                    # read under the lock: compaction and update-activation rewrite rec
                    placement = Placement(slot, rec)
            except BaseException:
                with self.lock:  # an unpublished record must not come back at recovery
                    self.zero_slots([slot])
                    self.free_slots.append(slot)
                raise
        return placement

    def reserve(self, rec):
        """Takes a slot, a generation and (without the seeded bug) a content range for rec."""
        with self.lock:
            self.check_open()
            slot = self.allocate_slot()
            rec.generation = self.next_generation
            self.next_generation += 1
            content = self.content
            if rec.has_content:
                rec.content_epoch = content.epoch
                rec.content_offset = content.tail
                if self.bug != "offset-race":
                    content.tail += rec.content_len
        return slot, content

    def append_unreserved(self, content, data):
        """The seeded offset-race: the tail is read and advanced outside the lock,
        with the write between them."""
        offset = content.tail
        content.write(offset, data)
        with self.lock:
            content.tail = offset + len(data)
        return offset

    def allocate_slot(self):
        if self.free_slots:
            return self.free_slots.pop()
        if self.next_slot == self.blocks.capacity:
            self.failpoints.hit("grow")
            self.blocks.grow()
        self.next_slot += 1
        return self.next_slot - 1

    def publish(self, ident, slot, rec):
        if rec.generation < self.latest_generation.get(ident, 0):
            self.pending_free.append(slot)  # a later put or remove of ident already took effect
            return
        self.unpublish(ident)
        self.index[ident] = Published(slot, rec)
        self.latest_generation[ident] = rec.generation
        if rec.has_content:
            self.live_bytes += rec.content_len

    def unpublish(self, ident):
        old = self.index.pop(ident, None)
        if old is None:
            return None
        self.pending_free.append(old.slot)
        if old.record.has_content:
            self.live_bytes -= old.record.content_len
        return old

    def remove(self, ident):
        """Removes ident; returns whether it was there. The live slot becomes a tombstone."""
        check_id(ident)
        with self.lock:
            self.check_open()
            self.failpoints.hit("remove")
            old = self.unpublish(ident)
            if old is None:
                return False
            tomb = old.record
            tomb.state, tomb.generation = rf.TOMBSTONE, self.next_generation
            self.next_generation += 1
            self.latest_generation[ident] = tomb.generation
            self.blocks.write_header(old.slot, tomb.pack())
            return True

    def update_activation(self, ident, activation):
        """Sets activation and last_access of ident in place; returns whether it was there."""
        check_id(ident)
        with self.lock:
            self.check_open()
            self.failpoints.hit("update-activation")
            p = self.index.get(ident)
            if p is None:
                return False
            p.record.activation = activation
            p.record.last_access = time.time_ns()
            self.blocks.write_header(p.slot, p.record.pack())
            return True

    # --- reads --------------------------------------------------------------

    def get(self, ident):
        """Returns ident's Memory, or None."""
        check_id(ident)
        with self.lock:
            self.check_open()
            self.failpoints.hit("get")
            p = self.index.get(ident)
            if p is None:
                return None
            snap = self.snapshot(p)
        return self.read(snap)[1]

    def snapshot(self, p):
        """Copies what a reader needs of p; the caller holds the lock."""
        r = p.record
        rec = rf.Record(**{name: getattr(r, name) for name in rf.Record.__slots__})
        return p.slot, rec, self.blocks.read_embedding(p.slot), self.contents.get(rec.content_epoch)

    def read(self, snap):
        slot, rec, embedding, content_file = snap
        content = None
        if rec.has_content:
            content = content_file.read(rec.content_offset, rec.content_len) if rec.content_len else b""
        return rec, Memory(embedding, rec.confidence, rec.activation, rec.decay_rate,
                           rec.created_at, rec.last_access, content)

    def listing(self, keep=lambda rec: True):
        """Returns an Entry for every live memory whose header passes keep, as of one moment."""
        with self.lock:
            self.check_open()
            snaps = [self.snapshot(p) for p in self.index.values() if keep(p.record)]
        out = []
        for snap in snaps:
            rec, memory = self.read(snap)
            out.append(Entry(rec.id, memory, Placement(snap[0], rec)))
        return out

    def recall(self, threshold):
        """Every live memory with confidence >= threshold (PROTOCOL.md: recall)."""
        return self.listing(lambda rec: rec.confidence >= threshold)

    def stats(self):
        with self.lock:
            self.check_open()
            total = self.content.bytes_total()
            return {
                "live": len(self.index),
                "slots_in_use": self.next_slot - len(self.free_slots),
                "slots_total": self.blocks.capacity,
                "content_bytes_total": total,
                "content_bytes_live": self.live_bytes,
                "fragmentation": (total - self.live_bytes) / total if total else 0.0,
                "compactions": self.compactions,
                "bytes_reclaimed": self.bytes_reclaimed,
                "epoch": self.content.epoch,
                "torn_discarded": self.torn_discarded,
                "file_bytes": sum(os.fstat(f.fd).st_size for f in [self.blocks, *self.contents.values()]),
            }

    # --- durability ---------------------------------------------------------

    def sync(self):
        """Makes every write that returned before it durable, then frees the
        slots their successors replaced: zeroed and synced before reuse.
        Group commit: syncs are numbered as they begin; one that began after
        this call and completed covered the same writes, so this one returns."""
        ticket = self.syncs_begun
        with self.sync_lock:
            if self.syncs_done > ticket:
                self.check_open()
                return
            with self.lock:
                self.check_open()
                self.syncs_begun += 1
                number = self.syncs_begun
                freeing, self.pending_free = self.pending_free, []
                contents = list(self.contents.values())
            try:
                self.flush(contents, freeing)
            except BaseException:
                with self.lock:  # freed by the next sync instead
                    self.pending_free.extend(freeing)
                raise
            self.syncs_done = number
            with self.lock:
                self.free_slots.extend(freeing)

    def flush(self, contents, freeing):
        for c in contents:
            c.sync()
        self.blocks.sync()
        self.failpoints.hit("sync-mid")
        if not freeing:
            return
        # Superseded live copies are zeroed before tombstones: a tombstone
        # zeroed first would let an older copy of its id come back.
        with self.lock:
            tombstones = [s for s in freeing if is_tombstone(self.blocks.read_header(s))]
            self.zero_slots(s for s in freeing if s not in set(tombstones))
        if tombstones:
            self.blocks.sync()
            with self.lock:
                self.zero_slots(tombstones)
        self.blocks.sync()

    def zero_slots(self, slots):
        for slot in slots:
            self.blocks.write_header(slot, bytes(rf.HEADER_LEN))

    def close(self):
        """Syncs and closes; later calls fail with Closed."""
        with self.lock:
            if self.closed:
                return
        self.sync()
        with self.sync_lock, self.lock:
            self.closed = True
            self.blocks.close()
            for c in [*self.contents.values(), *self.retired]:
                c.close()

    def check_open(self):
        if self.closed:
            raise Closed("the store is closed")

    # --- compaction ---------------------------------------------------------

    @contextmanager
    def put_gate(self):
        with self.gate:
            while self.compacting:
                self.gate.wait()
            self.puts_in_flight += 1
        try:
            yield
        finally:
            with self.gate:
                self.puts_in_flight -= 1
                self.gate.notify_all()

    def compact(self):
        """Rewrites the live content into a new epoch; returns the compaction's numbers."""
        with self.gate:
            if self.compacting:
                raise CompactionInProgress("another compaction is running")
            self.compacting = True
            while self.puts_in_flight:
                self.gate.wait()
        try:
            return compaction.compact(self)
        finally:
            with self.gate:
                self.compacting = False
                self.gate.notify_all()


def check_id(ident):
    if not isinstance(ident, str) or not ident or len(ident.encode("utf-8")) > rf.MAX_ID_LEN:
        raise BadID("id must be 1 to %d bytes of UTF-8" % rf.MAX_ID_LEN)


def is_tombstone(header):
    rec = rf.header_or_none(header)
    return rec is not None and rec.state == rf.TOMBSTONE


def check_embedding(e):
    if e is None:
        return ZERO_EMBEDDING
    if len(e) != rf.EMBEDDING_BYTES:
        raise BadEmbedding("embedding of %d bytes, want %d (768 float32) or nil" % (len(e), rf.EMBEDDING_BYTES))
    return bytes(e)


