package history

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
}
