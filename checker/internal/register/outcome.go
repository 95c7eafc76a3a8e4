package register

// Outcome is what Check concluded about one partition.
type Outcome struct {
	p        *regPartition
	ops      []regOp // after pruning
	stats    pruneStats
	decision Decision
	verdict  Verdict
	reason   string // why unknown
	// Violation evidence (invalid only): witness ops (indices into wops),
	// the ops themselves, and the explanation.
	wops        []regOp
	witness     []uint64
	explanation string
	last        uint64 // latest event index in the witness: orders violations
	steps       int64
	cuts        int64 // search steps refused as doomed (doom.go)
}

// Name names the partition: its memory, and its crash epoch when not the
// first.
func (o *Outcome) Name() string { return partitionName(o.p) }

// Decision is the path that decided the partition.
func (o *Outcome) Decision() Decision { return o.decision }

// Verdict is Valid, Invalid or Unknown once Check has returned.
func (o *Outcome) Verdict() Verdict { return o.verdict }

// Reason says why the verdict is Unknown.
func (o *Outcome) Reason() string { return o.reason }

// Ops is how many operations the register view built for the partition;
// Pruned how many were left to judge after pruning.
func (o *Outcome) Ops() int    { return o.p.nops }
func (o *Outcome) Pruned() int { return len(o.ops) }

// InfoDropped is what pruning did to operations of unknown outcome: info
// reads dropped, info writes dropped, info writes whose return was clamped.
func (o *Outcome) InfoDropped() (reads, writes, clamped int) {
	return o.stats.infoReadsDropped, o.stats.infoWritesDropped, o.stats.infoWritesClamped
}

// Steps is how many search steps deciding took; DoomedSteps how many of
// them the doom tracker refused (doom.go).
func (o *Outcome) Steps() int64       { return o.steps }
func (o *Outcome) DoomedSteps() int64 { return o.cuts }

// Witness is the history indices of the events of an invalid partition's
// witness, in history order; Last the latest of them (it orders violations).
func (o *Outcome) Witness() []uint64 { return o.witness }
func (o *Outcome) Last() uint64      { return o.last }

// Explanation is a plain-text account of why an invalid partition is not
// linearizable.
func (o *Outcome) Explanation() string { return o.explanation }
