package history

import (
	"fmt"
	"slices"
)

// Header is the self-description at the start of every history file: the
// run's configuration, so that a history can be re-judged on its own.
//
// It is stored as a msgpack map (and a JSON object in JSON Lines) keyed by
// the tag names below. To extend it, add a field with both tags; never
// rename a tag or change a field's type (FORMAT.md, "Header").
type Header struct {
	Schema           uint32   `msgpack:"schema" json:"schema"`
	Seed             int64    `msgpack:"seed" json:"seed"`
	Workload         string   `msgpack:"workload" json:"workload"`
	Workers          int      `msgpack:"workers" json:"workers"`
	Ops              int      `msgpack:"ops" json:"ops"`
	Faults           []string `msgpack:"faults" json:"faults"` // nemesis names asked for
	Bug              string   `msgpack:"bug" json:"bug"`       // seeded bug switched on, "" for none
	Mode             string   `msgpack:"mode" json:"mode"`     // "inprocess" or "process"
	FaultModel       string   `msgpack:"fault_model" json:"fault_model"`
	WarmcheckVersion string   `msgpack:"warmcheck_version" json:"warmcheck_version"`
	GoVersion        string   `msgpack:"go_version" json:"go_version"`
	PorcupineVersion string   `msgpack:"porcupine_version" json:"porcupine_version"`
	StartedUnixNanos int64    `msgpack:"started_unix_nanos" json:"started_unix_nanos"`
	// Digest names the algorithm of every digest in the history's events
	// (DigestXXH64 or DigestFNV1a64). Required from schema 2 on; absent
	// (and read back as DigestFNV1a64) in schema 1.
	Digest string `msgpack:"digest,omitempty" json:"digest,omitempty"`
	// Sync is the store's sync policy during the run (what the durability
	// check's "acknowledged before a successful Sync" rests on), e.g.
	// "group commit every 5ms". Empty in histories written before it.
	Sync string `msgpack:"sync,omitempty" json:"sync,omitempty"`
	// EndRecord announces that a clean Close ends the file with an end
	// record (msgpack) or end line (JSON Lines), so that a file without it
	// is known torn. Every writer of this package sets it; files written
	// before it lack it and are read as before (FORMAT.md).
	EndRecord bool `msgpack:"end_record,omitempty" json:"end_record,omitempty"`
	// Preload is how many puts the run made before its workers started
	// (worker 0, one at a time), on top of Ops: a run that carried out its
	// plan invoked at least Ops+Preload operations. 0 in histories written
	// before it.
	Preload int `msgpack:"preload,omitempty" json:"preload,omitempty"`
	// DurationNanos is how long a duration-bounded run (Ops 0) meant its
	// workers to run; 0 for a run bounded by Ops and in older histories.
	DurationNanos int64 `msgpack:"duration_ns,omitempty" json:"duration_ns,omitempty"`
	// OpTimeoutNanos bounds every recorded operation: one that takes longer
	// ends info. 0 in histories written before it (then the checks assume
	// the client's default of 5 s).
	OpTimeoutNanos int64 `msgpack:"op_timeout_ns,omitempty" json:"op_timeout_ns,omitempty"`
	// Schedule is how the run's goroutines were interleaved: absent for a
	// free run (the Go runtime's scheduler), set for a controlled one, where
	// it and the seed reproduce the interleaving.
	Schedule *Schedule `msgpack:"schedule,omitempty" json:"schedule,omitempty"`
	// Target is the store under test as a child process speaking
	// PROTOCOL.md: how it was started and what its hello declared. Absent
	// for the built-in store in process and in older histories: every
	// capability.
	Target *Target `msgpack:"target,omitempty" json:"target,omitempty"`
}

// Target describes a store driven through PROTOCOL.md.
type Target struct {
	Kind         string   `msgpack:"kind" json:"kind"`                           // "builtin" or "exec"
	Command      string   `msgpack:"command,omitempty" json:"command,omitempty"` // exec: the command line
	Name         string   `msgpack:"name" json:"name"`                           // the hello's name
	Version      string   `msgpack:"version,omitempty" json:"version,omitempty"` // the hello's version
	Protocol     uint32   `msgpack:"protocol" json:"protocol"`
	Capabilities []string `msgpack:"capabilities" json:"capabilities"`
}

// Lacks reports whether the history's target declared no capability c
// (PROTOCOL.md, section 5): false when there is no Target.
func (h Header) Lacks(c string) bool {
	return h.Target != nil && !slices.Contains(h.Target.Capabilities, c)
}

// Schedule describes a controlled interleaving (package sched).
type Schedule struct {
	Mode  string `msgpack:"mode" json:"mode"`                       // "pct" or "random"
	Seed  int64  `msgpack:"seed" json:"seed"`                       // the schedule's own seed
	Index int    `msgpack:"index" json:"index"`                     // which of the run's --schedules (0-based)
	Depth int    `msgpack:"depth,omitempty" json:"depth,omitempty"` // pct: bug depth d
	Steps int    `msgpack:"steps,omitempty" json:"steps,omitempty"` // pct: the step estimate k the change points were drawn over
	Tick  int64  `msgpack:"tick_ns" json:"tick_ns"`                 // virtual ns per scheduling step
}

// DigestAlgorithm is the algorithm of the history's digests: Digest, or
// DigestFNV1a64 for a schema 1 header (or a zero one built in memory with
// Schema 1) that leaves it implicit, or DigestXXH64 for a new header not
// yet written.
func (h Header) DigestAlgorithm() string {
	switch {
	case h.Digest != "":
		return h.Digest
	case h.Schema == 1:
		return DigestFNV1a64
	}
	return DigestXXH64
}

// knownDigests are the digest algorithms a header may name.
var knownDigests = [...]string{DigestXXH64, DigestFNV1a64}

func knownDigest(name string) bool {
	for _, d := range knownDigests {
		if d == name {
			return true
		}
	}
	return false
}

// checkHeader validates the schema and digest of a header read from a file
// and fills in the digest a schema 1 header leaves implicit. Its error wraps
// ErrSchemaVersion or ErrBadHeader and names the field.
func checkHeader(h *Header) error {
	switch h.Schema {
	case 1:
		if h.Digest != "" && h.Digest != DigestFNV1a64 {
			return fmt.Errorf("schema 1 header names digest %q; schema 1 digests are %s: %w", h.Digest, DigestFNV1a64, ErrBadHeader)
		}
		h.Digest = DigestFNV1a64
	case 2:
		if h.Digest == "" {
			return fmt.Errorf(`schema 2 header has no "digest" field: %w`, ErrBadHeader)
		}
		if !knownDigest(h.Digest) {
			return fmt.Errorf(`header field "digest" is %q, this reader knows %q: %w`, h.Digest, knownDigests, ErrBadHeader)
		}
	default:
		return schemaErr(h.Schema)
	}
	return nil
}

func schemaErr(schema uint32) error {
	return fmt.Errorf("schema %d, this reader knows %d to %d: %w", schema, MinSchemaVersion, SchemaVersion, ErrSchemaVersion)
}

// normalizeHeader prepares a header for writing: the current schema, and
// the digest algorithm of the events that will follow. A header with no
// schema (a new run) gets this package's digest (DigestXXH64); one read
// from a schema 1 history keeps that history's FNV-1a digests, now named
// (DigestFNV1a64), so a copy or export of an old history stays truthful.
func normalizeHeader(h *Header) error {
	switch h.Schema {
	case 0, SchemaVersion:
		if h.Digest == "" {
			h.Digest = DigestXXH64
		}
	case 1:
		if h.Digest == "" {
			h.Digest = DigestFNV1a64
		}
		if h.Digest != DigestFNV1a64 {
			return fmt.Errorf("header: schema 1 with digest %q (schema 1 digests are %s)", h.Digest, DigestFNV1a64)
		}
	default:
		return fmt.Errorf("header: schema %d, this writer knows %d to %d: %w", h.Schema, MinSchemaVersion, SchemaVersion, ErrSchemaVersion)
	}
	if !knownDigest(h.Digest) {
		return fmt.Errorf("header: digest %q, want one of %q", h.Digest, knownDigests)
	}
	h.Schema = SchemaVersion
	h.EndRecord = true
	return nil
}
