import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import msgpack_codec
from client_for_tests import Client

SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "server.py")


def put_memory(content=b"abc", confidence=0.5):
    return {"embedding": bytes(3072), "confidence": confidence, "activation": 1.0, "decay_rate": 0.1,
            "created_at": 0, "last_access": 0, "content": content}


class ServerTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="pystore-server-")
        self.data = os.path.join(self.dir, "data")
        os.mkdir(self.data)
        self.sock = os.path.join(self.dir, "store.sock")
        self.proc = None
        self.clients = []
        self.start()

    def tearDown(self):
        for c in self.clients:
            c.close()
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir)

    def start(self):
        env = dict(os.environ, WARMCHECK_SOCKET=self.sock, WARMCHECK_DATA_DIR=self.data, WARMCHECK_PROTOCOL="1")
        self.proc = subprocess.Popen([sys.executable, SERVER], env=env, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                c = self.client()
                c.call("hello", protocol=1, client="test")
                return c
            except OSError:
                time.sleep(0.02)
        self.fail("server not ready within 10 s")

    def client(self):
        c = Client(self.sock)
        self.clients.append(c)
        return c

    def test_hello_declares_capabilities(self):
        h = self.client().call("hello", protocol=1, client="test")
        self.assertEqual((h["protocol"], h["name"], h["embedding_dim"], h["pid"]), (1, "pystore", 768, self.proc.pid))
        self.assertIn("placements", h["capabilities"])
        self.assertNotIn("error", h)

    def test_every_operation(self):
        c = self.client()
        p = c.call("put", id="a", memory=put_memory(b"abc", 0.75))["placement"]
        self.assertEqual((p["slot"], p["length"], p["has_content"], p["epoch"]), (0, 3, True, 0))
        c.call("put", id="n", memory=put_memory(None, 0.25))
        got = c.call("get", id="a")
        self.assertTrue(got["found"])
        self.assertEqual((got["memory"]["content"], got["memory"]["confidence"]), (b"abc", 0.75))
        self.assertIsNone(c.call("get", id="n")["memory"]["content"])
        self.assertEqual(c.call("get", id="zz"), {"seq": c.seq, "found": False})
        self.assertTrue(c.call("update-activation", id="a", activation=2.0)["found"])
        self.assertEqual(sorted(e["id"] for e in c.call("iterate")["entries"]), ["a", "n"])
        self.assertEqual([e["id"] for e in c.call("recall", threshold=0.5)["entries"]], ["a"])
        layout = c.call("layout")["entries"]
        self.assertEqual({e["id"]: e["placement"]["slot"] for e in layout}, {"a": 0, "n": 1})
        self.assertEqual(c.call("stats")["stats"]["live"], 2)
        self.assertNotIn("error", c.call("sync"))
        self.assertEqual(c.call("compact")["compaction"]["epoch"], 1)
        self.assertTrue(c.call("remove", id="a")["found"])
        self.assertFalse(c.call("remove", id="a")["found"])

    def test_error_codes(self):
        c = self.client()
        cases = [
            ("bad-request", dict(op="put", id="a")),
            ("bad-request", dict(op="put", id="a", memory=dict(put_memory(), confidence="high"))),
            ("bad-request", dict(op="no-such-op")),
            ("bad-id", dict(op="get", id="")),
            ("bad-id", dict(op="put", id="x" * 65, memory=put_memory())),
            ("bad-embedding", dict(op="put", id="a", memory=dict(put_memory(), embedding=b"\x00" * 8))),
            ("too-large", dict(op="put", id="a", memory=put_memory(bytes(5 << 20)))),
            ("unknown-failpoint", dict(op="failpoint-arm", failpoint="nowhere", action={"kind": "error"})),
            ("bad-request", dict(op="failpoint-arm", failpoint="get", action={"kind": "explode"})),
        ]
        for code, req in cases:
            with self.subTest(code=code, op=req["op"]):
                op = req.pop("op")
                self.assertEqual(c.call(op, **req)["error"]["code"], code)
        self.assertFalse(c.call("get", id="a")["found"])  # nothing was stored

    def test_bad_frames_close_the_connection(self):
        cases = {
            "not a map": msgpack_codec.encode([1, 2]),
            "trailing bytes": msgpack_codec.encode({"seq": 1, "op": "stats"}) + b"\x00",
            "truncated": msgpack_codec.encode({"seq": 1, "op": "stats"})[:-1],
        }
        for name, body in cases.items():
            with self.subTest(name):
                self.assertIsNone(self.client().raw(body))
        c = self.client()
        c.sock.sendall(struct.pack(">I", (64 << 20) + 1))
        self.assertIsNone(c.recv(1))
        self.assertEqual(self.client().call("stats")["stats"]["live"], 0)  # still serving

    def test_sigterm_exits_zero(self):
        self.client().call("put", id="a", memory=put_memory())
        self.proc.send_signal(signal.SIGTERM)
        self.assertEqual(self.proc.wait(timeout=10), 0)
        self.assertEqual(self.start().call("get", id="a")["memory"]["content"], b"abc")

    def test_sigkill_then_restart_recovers(self):
        c = self.client()
        for i in range(20):
            c.call("put", id="m%d" % i, memory=put_memory(b"v%d" % i))
        c.call("remove", id="m3")
        self.proc.kill()
        self.proc.wait()
        os.unlink(self.sock)  # warmcheck removes the stale socket before a restart
        c = self.start()
        self.assertEqual(len(c.call("iterate")["entries"]), 19)
        self.assertEqual(c.call("get", id="m7")["memory"]["content"], b"v7")
        self.assertFalse(c.call("get", id="m3")["found"])

    def test_failpoints(self):
        c = self.client()
        c.call("put", id="a", memory=put_memory())
        c.call("failpoint-arm", failpoint="get", action={"kind": "error", "delay_ns": 0, "times": 1})
        self.assertEqual(c.call("get", id="a")["error"]["code"], "injected")
        self.assertTrue(c.call("get", id="a")["found"])  # times: 1 used up
        c.call("failpoint-arm", failpoint="before-index-publish", action={"kind": "error", "delay_ns": 0, "times": 0})
        self.assertEqual(c.call("put", id="b", memory=put_memory())["error"]["code"], "injected")
        c.call("failpoint-disarm", failpoint="before-index-publish")
        self.assertEqual(c.call("failpoint-hits")["hits"], {"get": 1, "before-index-publish": 1})
        c.call("failpoint-arm", failpoint="between-content-and-block", action={"kind": "panic", "delay_ns": 0, "times": 0})
        self.assertIsNone(c.raw(msgpack_codec.encode({"seq": 99, "op": "put", "id": "c", "memory": put_memory()})))
        self.assertEqual(self.proc.wait(timeout=10), 86)
        os.unlink(self.sock)
        c = self.start()
        self.assertFalse(c.call("get", id="b")["found"])  # the failed put's record does not come back
        self.assertTrue(c.call("get", id="a")["found"])

    def test_pause_holds_until_release(self):
        c, other = self.client(), self.client()
        c.call("failpoint-arm", failpoint="after-slot-alloc", action={"kind": "pause", "delay_ns": 0, "times": 0})
        done = []
        t = threading.Thread(target=lambda: done.append(other.call("put", id="p", memory=put_memory())))
        t.start()
        deadline = time.monotonic() + 10
        while c.call("failpoint-hits")["hits"].get("after-slot-alloc") != 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertEqual(done, [])
        self.assertFalse(c.call("get", id="p")["found"])
        c.call("failpoint-release", failpoint="after-slot-alloc")
        t.join(10)
        self.assertIn("placement", done[0])

    def test_durable_images_follow_syncs(self):
        c = self.client()
        c.call("put", id="a", memory=put_memory(b"durable"))
        c.call("sync")
        c.call("put", id="b", memory=put_memory(b"volatile"))
        with open(os.path.join(self.data, "content.0.dat.disk"), "rb") as f:
            disk = f.read()
        self.assertIn(b"durable", disk)
        self.assertNotIn(b"volatile", disk)


if __name__ == "__main__":
    unittest.main()
