"""Compaction: the live content moves into a new epoch's file, stop-the-world.

The caller (Store.compact) has held puts back and drained them. Steps, all
under the sync lock and the store lock (reads and syncs wait):
  1. copy every live memory's content into content.<epoch+1>.dat, created
     atomically (temporary file, fsync, rename);
  2. rewrite each live header in place with its new offset and epoch, sync;
  3. zero the superseded copies still waiting for a sync (their content may
     be in the old files, which go next), sync, free them;
  4. delete the old files (descriptors stay open until close for readers
     that resolved an old range before step 1), then count the compaction.
A crash before step 2's sync leaves records in both epochs, both files on
disk: recovery reads either; a crash before step 4 leaves old files that
recovery deletes once nothing points into them.
"""

import os
import time

import files
import record_format as rf
from recovery import content_name


def compact(store):
    start = time.monotonic_ns()
    with store.sync_lock, store.lock:
        store.check_open()
        store.failpoints.hit("compact-start")
        epoch = store.content.epoch + 1
        bytes_before = sum(c.bytes_total() for c in store.contents.values())
        moves, new = copy_live(store, epoch)
        try:
            store.failpoints.hit("compact-mid")
        except BaseException:
            new.close()
            raise
        for p, offset in moves:
            p.record.content_offset, p.record.content_epoch = offset, epoch
            store.blocks.write_header(p.slot, p.record.pack())
        store.blocks.sync()
        free_superseded(store)
        for c in store.contents.values():
            files.remove(c.path)
            store.retired.append(c)
        store.contents = {epoch: new}
        store.content = new
        bytes_after = new.bytes_total()
        reclaimed = bytes_before - min(bytes_before, bytes_after)
        store.compactions += 1
        store.bytes_reclaimed += reclaimed
        store.blocks.write_counters(rf.pack_counters(store.compactions, store.bytes_reclaimed))
        store.blocks.sync()
    return {"epoch": epoch, "bytes_before": bytes_before, "bytes_after": bytes_after,
            "bytes_reclaimed": reclaimed, "moved": len(moves), "duration_ns": time.monotonic_ns() - start}


def copy_live(store, epoch):
    """Writes the new epoch's file; returns (index entry, new offset) of each
    moved memory and the open file. The headers are not changed yet."""
    buf = bytearray(rf.content_header(epoch))
    moves = []
    for p in store.index.values():
        rec = p.record
        if not rec.has_content:
            continue
        data = store.contents[rec.content_epoch].read(rec.content_offset, rec.content_len) if rec.content_len else b""
        moves.append((p, len(buf)))
        buf += data
    path = os.path.join(store.dir, content_name(epoch))
    files.create_atomically(path, buf, store.durable_images)
    return moves, files.ContentFile(path, epoch, store.durable_images)


def free_superseded(store):
    """Zeroes the pending live copies (tombstones stay pending: they point at no content)."""
    live, kept = [], []
    for slot in store.pending_free:
        rec = rf.header_or_none(store.blocks.read_header(slot))
        (kept if rec is not None and rec.state == rf.TOMBSTONE else live).append(slot)
    if not live:
        return
    store.zero_slots(live)
    store.blocks.sync()
    store.pending_free = kept
    store.free_slots.extend(live)
