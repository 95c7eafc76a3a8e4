"""Opening a data directory: create it, or rebuild the index from the files a
previous process left (after a clean close, a kill or a power loss).

Rules: a record counts only if its header, embedding and content checksums
hold (else it is torn: counted and zeroed); of the records of one id the
highest generation wins, and a winning tombstone means the id is absent;
every other slot is zeroed and free. Before anything is zeroed, everything
is synced (the winners may be writes of a killed process no sync covered);
then zeroing goes in two synced steps, superseded and torn records before
tombstones, so no crash in between can bring back a removed id or lose one.
"""

import os
import re
import shutil
import zlib

import files
import record_format as rf
from store_errors import Corrupt

BLOCKS_NAME = "blocks.dat"
CONTENT_NAME = re.compile(r"^content\.(\d+)\.dat$")


def content_name(epoch):
    return "content.%d.dat" % epoch


class Recovered:
    """What open_dir found; the Store takes it over."""

    def __init__(self):
        self.blocks = None
        self.contents = {}
        self.index = {}
        self.next_generation = 1
        self.free_slots = []
        self.next_slot = 0
        self.compactions = self.bytes_reclaimed = self.torn_discarded = 0


def open_dir(data_dir, durable_images):
    remove_leftovers(data_dir)
    state = Recovered()
    blocks_path = os.path.join(data_dir, BLOCKS_NAME)
    if not os.path.exists(blocks_path):
        files.create_atomically(blocks_path, rf.file_header() + bytes(files.INITIAL_SLOTS * rf.SLOT_SIZE), durable_images)
    ensure_mirror(blocks_path, durable_images)
    state.blocks = files.BlocksFile(blocks_path, durable_images)
    try:
        page0 = state.blocks.read_page0()
        why = rf.check_file_header(page0)
        if why:
            raise Corrupt("%s: %s" % (blocks_path, why))
        state.compactions, state.bytes_reclaimed = rf.unpack_counters(page0[rf.COUNTERS_OFFSET:])
        state.contents = open_contents(data_dir, durable_images)
        scan(state)
        drop_unreferenced_epochs(state)
    except BaseException:
        state.blocks.close()
        for c in state.contents.values():
            c.close()
        raise
    return state


def remove_leftovers(data_dir):
    """Deletes temporary files and mirrors whose file is gone (files.remove
    deletes a file before its mirror; a crash can fall in between)."""
    names = set(os.listdir(data_dir))
    for name in names:
        orphan = name.endswith(files.DISK_SUFFIX) and name[:-len(files.DISK_SUFFIX)] not in names
        if name.endswith(".tmp") or orphan:
            os.unlink(os.path.join(data_dir, name))


def ensure_mirror(path, durable_images):
    if durable_images and not os.path.exists(path + files.DISK_SUFFIX):
        shutil.copyfile(path, path + files.DISK_SUFFIX)


def open_contents(data_dir, durable_images):
    epochs = sorted(int(m.group(1)) for m in map(CONTENT_NAME.match, os.listdir(data_dir)) if m)
    if not epochs:
        files.create_atomically(os.path.join(data_dir, content_name(0)), rf.content_header(0), durable_images)
        epochs = [0]
    contents = {}
    for e in epochs:
        path = os.path.join(data_dir, content_name(e))
        ensure_mirror(path, durable_images)
        contents[e] = files.ContentFile(path, e, durable_images)
    return contents


def scan(state):
    """Reads every slot, keeps the winner of each id, zeroes the rest."""
    blocks = state.blocks
    winners = {}  # id -> (slot, record)
    losers, torn = [], []
    top_generation = 0
    for slot in range(blocks.capacity):
        try:
            rec = rf.unpack_header(blocks.read_header(slot))
        except rf.TornHeader:
            torn.append(slot)
            continue
        if rec is None:
            continue
        if rec.state == rf.LIVE and not intact(state, slot, rec):
            torn.append(slot)
            continue
        top_generation = max(top_generation, rec.generation)
        held = winners.get(rec.id)
        if held is None:
            winners[rec.id] = (slot, rec)
        elif rec.generation > held[1].generation:
            losers.append(held)
            winners[rec.id] = (slot, rec)
        else:
            losers.append((slot, rec))
    tombstones = [(s, r) for s, r in winners.values() if r.state == rf.TOMBSTONE]
    if losers or tombstones:
        # The winners may be writes no sync covered (a kill keeps the page
        # cache): durable first, content and record, before the copies they
        # replace are zeroed.
        for c in state.contents.values():
            c.sync()
        blocks.sync()
    zero(blocks, torn + [s for s, _ in losers])
    zero(blocks, [s for s, _ in tombstones])
    state.index = {i: Published(s, r) for i, (s, r) in winners.items() if r.state == rf.LIVE}
    used = {p.slot for p in state.index.values()}
    state.free_slots = [s for s in range(blocks.capacity - 1, -1, -1) if s not in used]
    state.next_slot = blocks.capacity
    state.next_generation = top_generation + 1
    state.torn_discarded = len(torn)


def intact(state, slot, rec):
    if zlib.crc32(state.blocks.read_embedding(slot)) != rec.embedding_crc:
        return False
    if not rec.has_content:
        return True
    c = state.contents.get(rec.content_epoch)
    if c is None or rec.content_offset < rf.CONTENT_HEADER_LEN:
        return False
    data = files.read_exact(c.fd, rec.content_len, rec.content_offset)
    return len(data) == rec.content_len and zlib.crc32(data) == rec.content_crc


def zero(blocks, slots):
    if not slots:
        return
    for slot in slots:
        blocks.write_header(slot, bytes(rf.HEADER_LEN))
    blocks.sync()


def drop_unreferenced_epochs(state):
    """Deletes content files of older epochs no live record points to (a
    compaction that finished its rewrite but not its clean-up)."""
    current = max(state.contents)
    referenced = {p.record.content_epoch for p in state.index.values() if p.record.has_content}
    for e in [e for e in state.contents if e != current and e not in referenced]:
        c = state.contents.pop(e)
        c.close()
        files.remove(c.path)


class Published:
    """An index entry: the slot holding an id's live record and its header."""

    __slots__ = ("slot", "record")

    def __init__(self, slot, record):
        self.slot, self.record = slot, record
