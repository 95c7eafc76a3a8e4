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
	// Target describes the store under test when it is not the built-in
	// store in this process: the built-in store or an exec target in a
	// child process (PROTOCOL.md), or a user's Go store (package
	// warmtest). Absent for the built-in store in process and in older
	// histories, which report everything.
	Target *Target `msgpack:"target,omitempty" json:"target,omitempty"`
}

// Target is a store under test and what it reports. Checks that need data
// it does not report are not evaluated (Header.Reports).
type Target struct {
	Kind    string `msgpack:"kind" json:"kind"`                           // TargetBuiltin, TargetExec or TargetGo
	Command string `msgpack:"command,omitempty" json:"command,omitempty"` // exec: the command line
	Name    string `msgpack:"name" json:"name"`                           // the store's own name (a target's hello)
	Version string `msgpack:"version,omitempty" json:"version,omitempty"` // the hello's version
	// Protocol is the PROTOCOL.md version a child process spoke (0: none).
	Protocol uint32 `msgpack:"protocol,omitempty" json:"protocol,omitempty"`
	// Capabilities lists what the store reports beyond its operations'
	// values, by PROTOCOL.md's capability names: ReportsPlacements,
	// ReportsLayout, ReportsStats (and the protocol's others: compact,
	// failpoints, durable-images). Empty: none of them.
	Capabilities []string `msgpack:"capabilities" json:"capabilities"`
}

// Target kinds and what a target may report.
const (
	// TargetBuiltin: warmcheck's own store in a child process.
	TargetBuiltin = "builtin"
	// TargetExec: a user's store server started by warmcheck (--target exec).
	TargetExec = "exec"
	// TargetGo: a Go store driven in process through package warmtest.
	TargetGo = "go"
	// ReportsPlacements: each ok put's output carries where the memory
	// landed (slot, content offset, length, epoch), with the built-in
	// store's rules (one live memory per slot, append-only content within
	// an epoch); layout entries carry placements too.
	ReportsPlacements = "placements"
	// ReportsLayout: snapshots list every live memory with its value (an
	// exec target without the layout op is listed with iterate, and is
	// recorded with it).
	ReportsLayout = "layout"
	// ReportsStats: snapshots carry the store's statistics (PROTOCOL.md's
	// stats, with the built-in store's meanings).
	ReportsStats = "stats"
)

// Reports says whether the store under test reports what (ReportsPlacements,
// ReportsLayout, ReportsStats): always for the built-in store (no Target).
func (h Header) Reports(what string) bool {
	return h.Target == nil || slices.Contains(h.Target.Capabilities, what)
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
