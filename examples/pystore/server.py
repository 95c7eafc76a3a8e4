"""pystore's protocol server: python3 examples/pystore/server.py

Environment (PROTOCOL.md section 1): WARMCHECK_SOCKET (the Unix socket to
listen on), WARMCHECK_DATA_DIR (the store's directory, recovered at start),
and PYSTORE_BUG=offset-race to switch on the seeded race. One thread per
connection; frames are a big-endian uint32 length and one msgpack map.
SIGTERM closes the store and exits 0.
"""

import os
import signal
import socket
import struct
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import msgpack_codec  # noqa: E402
import protocol  # noqa: E402
from store import Store  # noqa: E402

MAX_FRAME = 64 << 20
LENGTH = struct.Struct(">I")


class Shutdown(Exception):
    """SIGTERM arrived."""


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def recv_exact(conn, n):
    """Returns n bytes, or None at end of file (a short read mid-frame is also the end)."""
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        k = conn.recv_into(view[got:])
        if k == 0:
            return None
        got += k
    return bytes(buf)


def serve_connection(conn, store):
    """Answers requests until the peer closes or sends a frame that is not one msgpack map."""
    with conn:
        while True:
            try:
                head = recv_exact(conn, LENGTH.size)
                if head is None:
                    return
                length = LENGTH.unpack(head)[0]
                if length > MAX_FRAME:
                    log("pystore: frame of %d bytes exceeds %d: closing the connection" % (length, MAX_FRAME))
                    return
                body = recv_exact(conn, length)
                if body is None:
                    return
                try:
                    req = msgpack_codec.decode(body)
                except msgpack_codec.DecodeError as e:
                    log("pystore: bad frame: %s: closing the connection" % e)
                    return
                if not isinstance(req, dict):
                    log("pystore: frame is a %s, not a map: closing the connection" % type(req).__name__)
                    return
                out = msgpack_codec.encode(protocol.handle(store, req, log))
                conn.sendall(LENGTH.pack(len(out)) + out)
            except OSError:
                return  # the client gave up (timeout) or went away: drop the answer


def listen(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.listen(128)
    return sock


def main():
    path = os.environ.get("WARMCHECK_SOCKET")
    data_dir = os.environ.get("WARMCHECK_DATA_DIR")
    if not path or not data_dir:
        log("pystore: WARMCHECK_SOCKET and WARMCHECK_DATA_DIR must be set (PROTOCOL.md section 1)")
        return 3
    bug = os.environ.get("PYSTORE_BUG") or None
    store = Store(data_dir, bug=bug, durable_images=True)
    log("pystore: pid %d, data %s, bug %s, %d live memories recovered, %d torn records discarded" % (
        os.getpid(), data_dir, bug or "none", len(store.index), store.torn_discarded))

    def on_term(signum, frame):
        raise Shutdown()
    signal.signal(signal.SIGTERM, on_term)
    sock = listen(path)
    try:
        while True:
            conn, _ = sock.accept()
            threading.Thread(target=serve_connection, args=(conn, store), daemon=True).start()
    except (Shutdown, KeyboardInterrupt):
        pass
    finally:
        sock.close()
        os.unlink(path)
    store.close()
    log("pystore: closed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
