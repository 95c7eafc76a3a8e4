"""Errors of the store, one class per protocol error code (PROTOCOL.md section 6).

Definite codes promise the operation had no effect; the others do not.
"""


class StoreError(Exception):
    """An operation failed; code is the protocol's error code."""

    code = "internal"
    definite = False

    def __init__(self, message):
        super().__init__(message)
        self.message = message


def _error(name, code, definite, doc):
    return type(name, (StoreError,), {"code": code, "definite": definite, "__doc__": doc})


BadRequest = _error("BadRequest", "bad-request", True, "A malformed request (missing or mistyped key, unknown op).")
Unsupported = _error("Unsupported", "unsupported", True, "An op or capability pystore does not implement.")
BadID = _error("BadID", "bad-id", True, "An id empty or longer than max_id_len.")
BadEmbedding = _error("BadEmbedding", "bad-embedding", True, "An embedding neither nil nor 4 * 768 bytes.")
TooLarge = _error("TooLarge", "too-large", True, "Content longer than max_content_len.")
CompactionInProgress = _error("CompactionInProgress", "compaction-in-progress", True, "A compact while another runs.")
Closed = _error("Closed", "closed", True, "The store is closed; nothing was done.")
NoSpace = _error("NoSpace", "no-space", True, "A file could not grow; nothing of the put stays behind.")
Corrupt = _error("Corrupt", "corrupt", False, "The files on disk are not a store this code can open.")
IOFailure = _error("IOFailure", "io", False, "A read, write or sync of a data file failed.")
UnknownFailpoint = _error("UnknownFailpoint", "unknown-failpoint", True, "A failpoint name pystore does not know.")
Injected = _error("Injected", "injected", False, "An armed failpoint made the operation fail.")
