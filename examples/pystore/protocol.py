"""Requests and responses of the warmcheck store protocol, version 1
(PROTOCOL.md sections 3-6), mapped onto a Store. Framing lives in server.py.
"""

import os

import failpoints
import record_format as rf
import store as store_mod
from msgpack_codec import Float32
from store_errors import BadRequest, StoreError

PROTOCOL_VERSION = 1
NAME = "pystore"
VERSION = "0.1"
CAPABILITIES = ["placements", "layout", "stats", "compact", "failpoints", "durable-images"]
DATA_FILES = ["blocks.dat", "content.*.dat"]


def hello_response():
    return {
        "protocol": PROTOCOL_VERSION, "name": NAME, "version": VERSION, "pid": os.getpid(),
        "capabilities": CAPABILITIES, "embedding_dim": rf.EMBEDDING_DIM, "max_id_len": rf.MAX_ID_LEN,
        "max_content_len": store_mod.MAX_CONTENT_LEN, "data_files": DATA_FILES,
        "failpoints": list(failpoints.POINTS),
    }


# --- reading request keys ----------------------------------------------------

def is_uint(v):
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_float(v):
    return isinstance(v, float) or is_int(v)


def is_bin_or_nil(v):
    return v is None or isinstance(v, (bytes, str))


_KINDS = {"uint": is_uint, "int": is_int, "float": is_float, "str": lambda v: isinstance(v, str),
          "bin?": is_bin_or_nil, "map": lambda v: isinstance(v, dict)}


def field(m, key, kind, where="request"):
    """Returns m[key], checked against kind; a missing or mistyped key is bad-request."""
    if key not in m or (m[key] is None and kind != "bin?"):
        raise BadRequest("%s: missing key %r" % (where, key))
    v = m[key]
    if not _KINDS[kind](v):
        raise BadRequest("%s: key %r must be %s, got %s" % (where, key, kind, type(v).__name__))
    if kind == "bin?" and isinstance(v, str):
        return v.encode("utf-8")  # receivers SHOULD accept str for bin (section 3)
    if kind == "float":
        return float(v)
    return v


def memory_from(m):
    if not isinstance(m, dict):
        raise BadRequest("request: key 'memory' must be a map")
    return store_mod.Memory(
        embedding=field(m, "embedding", "bin?", "memory"), confidence=field(m, "confidence", "float", "memory"),
        activation=field(m, "activation", "float", "memory"), decay_rate=field(m, "decay_rate", "float", "memory"),
        created_at=field(m, "created_at", "int", "memory"), last_access=field(m, "last_access", "int", "memory"),
        content=field(m, "content", "bin?", "memory"))


# --- writing responses -------------------------------------------------------

def memory_map(m):
    return {"embedding": m.embedding, "confidence": Float32(m.confidence), "activation": Float32(m.activation),
            "decay_rate": Float32(m.decay_rate), "created_at": m.created_at, "last_access": m.last_access,
            "content": m.content}


def placement_map(p):
    return {"slot": p.slot, "has_content": p.has_content, "offset": p.offset, "length": p.length, "epoch": p.epoch}


def entry_map(e, with_placement):
    out = memory_map(e.memory)
    out["id"] = e.id
    if with_placement:
        out["placement"] = placement_map(e.placement)
    return out


# --- operations ----------------------------------------------------------------

def op_put(s, req):
    p = s.put(field(req, "id", "str"), memory_from(field(req, "memory", "map")))
    return {"placement": placement_map(p)}


def op_get(s, req):
    m = s.get(field(req, "id", "str"))
    return {"found": False} if m is None else {"found": True, "memory": memory_map(m)}


def op_remove(s, req):
    return {"found": s.remove(field(req, "id", "str"))}


def op_update_activation(s, req):
    return {"found": s.update_activation(field(req, "id", "str"), field(req, "activation", "float"))}


def op_iterate(s, req):
    return {"entries": [entry_map(e, False) for e in s.listing()]}


def op_recall(s, req):
    hits = s.recall(field(req, "threshold", "float"))
    return {"entries": [{"id": e.id, "confidence": Float32(e.memory.confidence), "content": e.memory.content} for e in hits]}


def op_layout(s, req):
    return {"entries": [entry_map(e, True) for e in s.listing()]}


def op_compact(s, req):
    return {"compaction": s.compact()}


def op_sync(s, req):
    s.sync()
    return {}


def op_stats(s, req):
    return {"stats": s.stats()}


def op_hello(s, req):
    field(req, "protocol", "uint")
    return hello_response()


def op_failpoint_arm(s, req):
    action = field(req, "action", "map")
    delay = action.get("delay_ns") or 0
    times = action.get("times") or 0
    if not (is_int(delay) and is_uint(times)):
        raise BadRequest("request: action needs delay_ns: int and times: uint")
    s.failpoints.arm(field(req, "failpoint", "str"), field(action, "kind", "str", "action"), delay, times)
    return {}


def op_failpoint_disarm(s, req):
    s.failpoints.disarm(field(req, "failpoint", "str"))
    return {}


def op_failpoint_release(s, req):
    s.failpoints.release(field(req, "failpoint", "str"))
    return {}


def op_failpoint_hits(s, req):
    return {"hits": s.failpoints.hits()}


OPERATIONS = {
    "hello": op_hello, "put": op_put, "get": op_get, "remove": op_remove,
    "update-activation": op_update_activation, "iterate": op_iterate, "recall": op_recall,
    "compact": op_compact, "sync": op_sync, "stats": op_stats, "layout": op_layout,
    "failpoint-arm": op_failpoint_arm, "failpoint-disarm": op_failpoint_disarm,
    "failpoint-release": op_failpoint_release, "failpoint-hits": op_failpoint_hits,
}


def handle(s, req, log):
    """Returns the response map for request map req."""
    seq = req.get("seq")
    if not is_uint(seq):
        return error_response(0, BadRequest("request: key 'seq' must be a uint"))
    op = req.get("op")
    run = OPERATIONS.get(op) if isinstance(op, str) else None
    if run is None:
        return error_response(seq, BadRequest("unknown op %r" % (op,)))
    try:
        out = run(s, req)
    except StoreError as e:
        return error_response(seq, e)
    except Exception as e:  # an indeterminate failure: the client records info for writes
        log("pystore: %s (seq %d): %s: %s" % (op, seq, type(e).__name__, e))
        return error_response(seq, StoreError("%s: %s" % (type(e).__name__, e)))
    out["seq"] = seq
    return out


def error_response(seq, e):
    return {"seq": seq, "error": {"code": e.code, "message": e.message}}
