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


class BadRequest(StoreError):
    code, definite = "bad-request", True


class Unsupported(StoreError):
    code, definite = "unsupported", True


class BadID(StoreError):
    code, definite = "bad-id", True


class BadEmbedding(StoreError):
    code, definite = "bad-embedding", True


class TooLarge(StoreError):
    code, definite = "too-large", True


class CompactionInProgress(StoreError):
    code, definite = "compaction-in-progress", True


class Closed(StoreError):
    code, definite = "closed", True


class NoSpace(StoreError):
    code, definite = "no-space", True


class Corrupt(StoreError):
    """The files on disk are not a store this code can open."""

    code = "corrupt"


class IOFailure(StoreError):
    code = "io"
