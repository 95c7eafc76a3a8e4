package history

// Header is the self-description at the start of every history file: the
// run's configuration, so that a history can be re-judged on its own.
// TEMPORARY field list: issue 3 (history/FORMAT.md) may extend it.
type Header struct {
	Schema           uint32
	Seed             int64
	Workload         string
	Workers          int
	Ops              int
	Faults           []string // nemesis names asked for
	Bug              string   // seeded bug switched on, "" for none
	Mode             string   // "inprocess" or "process"
	FaultModel       string
	WarmcheckVersion string
	GoVersion        string
	PorcupineVersion string
	StartedUnixNanos int64
}
