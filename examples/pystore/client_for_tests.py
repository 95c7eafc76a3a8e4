"""A minimal protocol client for the tests: one connection, one request at a time."""

import socket
import struct

import msgpack_codec

LENGTH = struct.Struct(">I")


class Client:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self.sock.connect(path)
        except OSError:
            self.sock.close()
            raise
        self.seq = 0

    def call(self, op, **keys):
        self.seq += 1
        req = {"seq": self.seq, "op": op, **keys}
        resp = self.raw(msgpack_codec.encode(req))
        assert resp["seq"] == self.seq, resp
        return resp

    def raw(self, body):
        """Sends body as one frame; returns the decoded response, or None when the server closed."""
        self.sock.sendall(LENGTH.pack(len(body)) + body)
        head = self.recv(LENGTH.size)
        if head is None:
            return None
        return msgpack_codec.decode(self.recv(LENGTH.unpack(head)[0]))

    def recv(self, n):
        buf = b""
        while len(buf) < n:
            b = self.sock.recv(n - len(buf))
            if not b:
                return None
            buf += b
        return buf

    def close(self):
        self.sock.close()
