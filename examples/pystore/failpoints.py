"""Named failpoints (PROTOCOL.md section 8), at the places of the built-in
store's failpoints of the same names (store.AllFailpoints)."""

import os
import sys
import threading
import time

from store_errors import BadRequest, Injected, UnknownFailpoint

# name -> where it fires in pystore
POINTS = {
    "after-slot-alloc": "put: slot, generation and content range reserved, nothing written yet",
    "between-content-and-block": "put: content written, record not yet written",
    "before-index-publish": "put: record written, store lock held, index not yet updated",
    "remove": "remove: store lock held, before the tombstone is written",
    "update-activation": "update-activation: store lock held, before the header is rewritten",
    "get": "get: store lock held, before the record is read",
    "compact-start": "compact: puts drained, before the live content is copied",
    "compact-mid": "compact: new content file written and synced, headers not yet rewritten",
    "sync-mid": "sync: data synced, before superseded slots are zeroed",
    "grow": "put: blocks.dat full, before it grows (error: growth fails)",
}
KINDS = ("off", "panic", "sleep", "pause", "error")
PANIC_EXIT = 86


class Armed:
    def __init__(self, kind, delay_ns, times):
        self.kind, self.delay_ns, self.times, self.fired = kind, delay_ns, times, 0
        self.released = threading.Event()


class Failpoints:
    def __init__(self):
        self.lock = threading.Lock()
        self.armed = {}  # name -> Armed
        self.hit_counts = {}

    def arm(self, name, kind, delay_ns, times):
        check_name(name)
        if kind not in KINDS:
            raise BadRequest("failpoint action kind %r (known: %s)" % (kind, ", ".join(KINDS)))
        with self.lock:
            old = self.armed.pop(name, None)
            if kind != "off":
                self.armed[name] = Armed(kind, delay_ns, times)
        if old:
            old.released.set()

    def disarm(self, name):
        check_name(name)
        with self.lock:
            old = self.armed.pop(name, None)
        if old:
            old.released.set()

    def release(self, name):
        """Wakes the threads paused at name; later arrivals pause again."""
        check_name(name)
        with self.lock:
            a = self.armed.get(name)
            if a is None:
                return
            a.released.set()
            fresh = Armed(a.kind, a.delay_ns, a.times)
            fresh.fired = a.fired
            self.armed[name] = fresh

    def hits(self):
        with self.lock:
            return dict(self.hit_counts)

    def hit(self, name):
        """Runs name's action if it is armed and within its times budget."""
        if not self.armed:
            return
        with self.lock:
            a = self.armed.get(name)
            if a is None or (a.times and a.fired >= a.times):
                return
            a.fired += 1
            self.hit_counts[name] = self.hit_counts.get(name, 0) + 1
        if a.kind == "panic":
            print("pystore: injected panic at failpoint %s" % name, file=sys.stderr, flush=True)
            os._exit(PANIC_EXIT)
        elif a.kind == "sleep":
            time.sleep(a.delay_ns / 1e9)
        elif a.kind == "pause":
            a.released.wait()
        elif a.kind == "error":
            raise Injected("injected error at failpoint %s" % name)


def check_name(name):
    if name not in POINTS:
        raise UnknownFailpoint("failpoint %r (known: %s)" % (name, ", ".join(POINTS)))
