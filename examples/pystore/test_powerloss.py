"""Power loss as warmcheck applies it (PROTOCOL.md section 7): every 4 KiB
page where a data file and its durable image differ reverts to the image or
keeps a torn prefix of 1-7 sectors of the file; recovery must then open the
store with every synced memory intact."""

import glob
import os
import random
import shutil
import tempfile
import threading
import time
import unittest

from store import Memory, Store

PAGE, SECTOR = 4096, 512


def power_loss(data_dir, rng):
    """store.SimulatePowerLossOf: the file keeps its size; its image, zero-filled
    to that size, takes every page where they differ, or a torn prefix of 1-7
    sectors of the file's page; the image becomes the result too."""
    for pattern in ("blocks.dat", "content.*.dat"):
        for path in glob.glob(os.path.join(data_dir, pattern)):
            with open(path, "rb") as f:
                live = f.read()
            with open(path + ".disk", "rb") as f:
                disk = bytearray(f.read()[:len(live)])
            disk += bytes(len(live) - len(disk))
            for at in range(0, len(live), PAGE):
                end = min(at + PAGE, len(live))
                if live[at:end] == disk[at:end]:
                    continue
                if rng.randrange(2) == 0:
                    keep = min(at + (1 + rng.randrange(7)) * SECTOR, end)
                    disk[at:keep] = live[at:keep]
            for p in (path, path + ".disk"):
                with open(p, "wb") as f:
                    f.write(disk)


class PowerLossTest(unittest.TestCase):
    def test_synced_memories_survive_every_torn_state(self):
        for seed in range(12):
            with self.subTest(seed=seed):
                self.run_seed(seed)

    def test_writes_recovered_after_a_kill_are_durable_after_the_next_sync(self):
        # Found by warmcheck (crash-recovery, seed 1): the page cache keeps
        # unsynced writes across a kill; the next process's sync must make
        # them durable, as fsync would, though that process did not write them.
        for seed in range(5):
            d = tempfile.mkdtemp(prefix="pystore-powerloss-")
            try:
                s = Store(d, durable_images=True)
                for i in range(100):  # past the initial 64 slots: the file grows unsynced too
                    s.put("m%d" % i, Memory(content=b"v%d" % i))
                abandon(s)
                s = Store(d, durable_images=True)
                s.sync()
                abandon(s)
                power_loss(d, random.Random(seed))
                s = Store(d, durable_images=True)
                self.assertEqual([s.get("m%d" % i).content for i in range(100)], [b"v%d" % i for i in range(100)])
                s.close()
            finally:
                shutil.rmtree(d)

    def test_quiescent_sync_leaves_images_equal_to_files(self):
        # Found by warmcheck (crash-recovery, seeds 2-5): a sync read the
        # file's size before taking the noted ranges, so a put that extended
        # the file in between had its range dropped. Six threads of puts,
        # removes, updates and syncs, then a sync with nothing running: every
        # image must equal its file; between cycles a kill or a power loss.
        rng = random.Random(7)
        d = tempfile.mkdtemp(prefix="pystore-images-")
        try:
            for cycle in range(5):
                s = Store(d, durable_images=True)
                run_threads(s, cycle, seconds=0.15)
                s.sync()
                for path in glob.glob(os.path.join(d, "*.dat")):
                    with open(path, "rb") as f, open(path + ".disk", "rb") as g:
                        self.assertTrue(f.read() == g.read(), "cycle %d: %s differs from its image" % (cycle, path))
                for _ in range(20):
                    s.put("m%d" % rng.randrange(200), Memory(content=b"u" * rng.randrange(50)))
                abandon(s)
                if rng.randrange(2):
                    power_loss(d, rng)
        finally:
            shutil.rmtree(d)

    def test_kills_and_power_losses_keep_what_syncs_promised(self):
        # Found by warmcheck (crash-recovery, seeds 1, 3, 5, 6 after the two
        # fixes above): recovery zeroed the older, synced copy of an id whose
        # newer copy a killed process had left in the page cache, with that
        # copy's content not yet durable; a power loss then lost the id.
        # Oracle: after a power loss every id holds its value at the last
        # sync or a value written since (None: absent or removed).
        for seed in range(3):
            with self.subTest(seed=seed):
                self.oracle_run(seed, steps=300)

    def oracle_run(self, seed, steps):
        rng = random.Random(seed)
        d = tempfile.mkdtemp(prefix="pystore-oracle-")
        try:
            s = Store(d, durable_images=True)
            synced, since, current = {}, {}, {}
            for step in range(steps):
                ident, op = "m%d" % rng.randrange(40), rng.randrange(20)
                if op < 9:
                    v = b"%d." % step * rng.randrange(1, 30)
                    s.put(ident, Memory(content=v))
                    current[ident] = v
                    since.setdefault(ident, set()).add(v)
                elif op < 11:
                    s.remove(ident)
                    current.pop(ident, None)
                    since.setdefault(ident, set()).add(None)
                elif op < 13:
                    s.update_activation(ident, 1.0)
                elif op < 17:
                    s.sync()
                    synced, since = dict(current), {}
                elif op == 17:  # kill: the page cache keeps every write
                    abandon(s)
                    s = Store(d, durable_images=True)
                    self.assertEqual({e.id: e.memory.content for e in s.listing()}, current, "step %d" % step)
                else:
                    abandon(s)
                    power_loss(d, rng)
                    s = Store(d, durable_images=True)
                    current = {e.id: e.memory.content for e in s.listing()}
                    for k in set(synced) | set(since) | set(current):
                        self.assertIn(current.get(k), {synced.get(k)} | since.get(k, set()), "step %d: %s" % (step, k))
                    synced, since = dict(current), {}
            s.close()
        finally:
            shutil.rmtree(d)

    def run_seed(self, seed):
        rng = random.Random(seed)
        d = tempfile.mkdtemp(prefix="pystore-powerloss-")
        try:
            s = Store(d, durable_images=True)
            for i in range(80):
                s.put("m%d" % i, Memory(content=b"first-%d" % i * (1 + i % 5)))
            s.sync()
            # possible[id]: every state recovery may show for id
            possible = {"m%d" % i: {b"first-%d" % i * (1 + i % 5)} for i in range(80)}
            for _ in range(120):  # unsynced changes, possibly lost
                ident = "m%d" % rng.randrange(120)
                op = rng.randrange(4)
                if op == 0:
                    s.remove(ident)
                    possible.setdefault(ident, set()).add(None)
                elif op == 1:
                    s.update_activation(ident, 2.0)
                else:
                    content = b"second-%d" % rng.randrange(1000)
                    s.put(ident, Memory(content=content))
                    possible.setdefault(ident, {None}).add(content)
            if rng.randrange(2):
                s.compact()
            abandon(s)
            power_loss(d, rng)
            s = Store(d, durable_images=True)
            for ident in ["m%d" % i for i in range(120)]:
                got = s.get(ident)
                self.assertIn(None if got is None else got.content, possible.get(ident, {None}), ident)
            s.close()
        finally:
            shutil.rmtree(d)


def run_threads(s, cycle, seconds):
    stop = threading.Event()

    def worker(w):
        r = random.Random(w * 1000 + cycle)
        while not stop.is_set():
            ident, op = "m%d" % r.randrange(200), r.randrange(10)
            if op < 5:
                s.put(ident, Memory(content=bytes(r.randrange(256) for _ in range(r.randrange(300)))))
            elif op < 7:
                s.remove(ident)
            elif op < 8:
                s.update_activation(ident, 1.0)
            else:
                s.sync()
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()


def abandon(s):
    s.blocks.close()
    for c in [*s.contents.values(), *s.retired]:
        c.close()


if __name__ == "__main__":
    unittest.main()
