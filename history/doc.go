// Package history is warmcheck's record of a run: the event types (Jepsen's
// invoke/ok/fail/info semantics, plus nemesis and snapshot events), the
// crash-safe msgpack history file (FORMAT.md is its byte-level spec) with a
// streaming reader that survives truncated and corrupt tails, the JSON Lines
// and Jepsen EDN forms, and a well-formedness validator.
//
// history is a leaf: it imports only the standard library, the msgpack
// library (github.com/vmihailenco/msgpack/v5, for the header) and xxhash
// (github.com/cespare/xxhash/v2, for Digest). It never imports store,
// client, checker or any other warmcheck package.
//
// Files: event.go, value.go (the one comparison of values), header.go,
// digest.go (the data); names.go (enum
// spellings); codec.go and msgpack.go (event encoding), header_codec.go;
// file.go, writer.go, reader.go, completeness.go (complete, torn or
// corrupt), errors.go (the file); jsonl.go,
// jsonevent.go (its fast event decoder) and jsonfloat.go (JSON Lines), edn.go (Jepsen EDN); validate.go.
package history
