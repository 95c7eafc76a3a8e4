package store

import (
	"cmp"
	"fmt"
	"path/filepath"
	"slices"
)

// resolve picks the current record of every id as recovery does (the
// valid record with the highest sequence number), then checks what holds
// across records: failing records that would be current, sequence numbers,
// content ranges, and after a clean close the counts it recorded.
func (in *inspection) resolve() {
	slices.SortFunc(in.records, func(a, b inspectedRecord) int { return cmp.Compare(a.slot, b.slot) })
	winner := map[string]int{} // id -> index into records
	for i := range in.records {
		r := &in.records[i]
		if r.fault != "" {
			continue
		}
		if w, ok := winner[r.id]; !ok || r.h.seq > in.records[w].h.seq {
			winner[r.id] = i
		}
	}
	for _, i := range winner {
		in.records[i].current = true
	}
	for i := range in.records {
		in.judgeRecord(&in.records[i], winner)
	}
	in.checkSeqs()
	in.checkOverlaps()
	in.measure()
	if in.clean != nil {
		in.checkCleanClose()
	}
}

// judgeRecord reports a failing record that recovery would count as torn
// (no valid record of its id, or only older ones); a record that a newer
// valid one supersedes is stale, as recovery treats it.
func (in *inspection) judgeRecord(r *inspectedRecord, winner map[string]int) {
	if r.current {
		return
	}
	w, ok := winner[r.id]
	superseded := ok && in.records[w].h.seq > r.h.seq
	if superseded {
		in.stats.Superseded++
		if in.clean != nil {
			in.add(slotProblem(ProblemStaleRecord, SeverityDamage, r.slot, fmt.Sprintf("record of %q seq %d is still live beside its newer record (slot %d, seq %d) after a clean close", r.id, r.h.seq, in.records[w].slot, in.records[w].h.seq)))
		}
		return
	}
	if r.fault == "" {
		return // same seq as the winner: checkSeqs reports it
	}
	in.stats.Torn++
	detail := fmt.Sprintf("record of %q seq %d: %s", r.id, r.h.seq, r.detail)
	switch {
	case r.via != nil && r.fault != ProblemEmbeddingChecksum:
		// A table is written only after the copies it names are durable.
		in.add(r.relocatedProblem(r.fault, detail))
	case r.fault == ProblemContentMissing || r.fault == ProblemContentRef:
		// Content files are created durably before a record can refer to
		// them, and deleted only once no durable record does.
		in.add(slotProblem(r.fault, SeverityDamage, r.slot, detail))
	default:
		in.add(slotProblem(r.fault, SeverityTorn, r.slot, detail))
	}
}

// relocatedProblem is damage of r's content reference, located at the
// relocation table entry it comes from (r.via).
func (r *inspectedRecord) relocatedProblem(kind ProblemKind, detail string) Problem {
	p := slotProblem(kind, SeverityDamage, r.slot, detail+fmt.Sprintf(" (content reference from %s, entry at offset %d)", r.via.file, r.via.off))
	p.File, p.Offset = r.via.file, r.via.off
	return p
}

// checkSeqs: every Put takes a new sequence number, so no two live records
// share one.
func (in *inspection) checkSeqs() {
	first := make(map[uint64]int, len(in.records))
	for i := range in.records {
		r := &in.records[i]
		j, ok := first[r.h.seq]
		if !ok {
			first[r.h.seq] = i
			continue
		}
		o := &in.records[j]
		if o.id == r.id {
			in.add(slotProblem(ProblemDuplicateID, SeverityDamage, r.slot, fmt.Sprintf("%q seq %d is also in slot %d: recovery cannot tell which is current", r.id, r.h.seq, o.slot)))
		} else {
			in.add(slotProblem(ProblemDuplicateSeq, SeverityDamage, r.slot, fmt.Sprintf("%q has seq %d, as %q in slot %d", r.id, r.h.seq, o.id, o.slot)))
		}
	}
}

// checkOverlaps: content ranges are reserved by appends and by compaction's
// copies, each once, so the non-empty ranges of live records (current or
// not) never overlap within an epoch.
func (in *inspection) checkOverlaps() {
	var ranged []*inspectedRecord
	for i := range in.records {
		r := &in.records[i]
		if r.h.hasContent() && r.h.contentLen > 0 && r.h.contentOff+uint64(r.h.contentLen) > r.h.contentOff {
			ranged = append(ranged, r)
		}
	}
	slices.SortFunc(ranged, func(a, b *inspectedRecord) int {
		return cmp.Or(cmp.Compare(a.h.contentEpoch, b.h.contentEpoch), cmp.Compare(a.h.contentOff, b.h.contentOff), cmp.Compare(a.slot, b.slot))
	})
	var reach *inspectedRecord // the record reaching furthest in this epoch so far
	for _, r := range ranged {
		if reach != nil && reach.h.contentEpoch == r.h.contentEpoch && r.h.contentOff < contentEnd(reach) {
			detail := fmt.Sprintf("content [%d,%d) of %q overlaps [%d,%d) of %q (slot %d) in %s",
				r.h.contentOff, contentEnd(r), r.id, reach.h.contentOff, contentEnd(reach), reach.id, reach.slot, filepath.Base(contentFileName(in.dir, r.h.contentEpoch)))
			switch {
			case r.via != nil:
				in.add(r.relocatedProblem(ProblemContentOverlap, detail))
			case reach.via != nil:
				in.add(reach.relocatedProblem(ProblemContentOverlap, detail))
			default:
				in.add(slotProblem(ProblemContentOverlap, SeverityDamage, r.slot, detail))
			}
		}
		if reach == nil || reach.h.contentEpoch != r.h.contentEpoch || contentEnd(r) > contentEnd(reach) {
			reach = r
		}
	}
}

func contentEnd(r *inspectedRecord) uint64 { return r.h.contentOff + uint64(r.h.contentLen) }

// measure fills the stats: current records, content per epoch (tails as
// recovery sets them), fragmentation.
func (in *inspection) measure() {
	st := &in.stats
	tails := map[uint64]uint64{}
	perEpoch := map[uint64]*EpochStats{}
	for i := range in.records {
		r := &in.records[i]
		if r.h.hasContent() && contentEnd(r) >= r.h.contentOff {
			tails[r.h.contentEpoch] = max(tails[r.h.contentEpoch], contentEnd(r))
		}
		if !r.current {
			continue
		}
		st.Live++
		if r.h.hasContent() {
			st.ContentBytesLive += uint64(r.h.contentLen)
			es := perEpoch[r.h.contentEpoch]
			if es == nil {
				es = &EpochStats{Epoch: r.h.contentEpoch}
				perEpoch[r.h.contentEpoch] = es
			}
			es.Records++
			es.LiveBytes += uint64(r.h.contentLen)
		}
	}
	liveState := uint64(len(in.records))
	for _, p := range in.problems {
		if p.Kind == ProblemHeaderChecksum {
			liveState++
		}
	}
	st.Free = st.SlotsUsed - min(st.SlotsUsed, liveState)
	eps := in.sortedEpochs()
	for _, ep := range eps {
		es := perEpoch[ep]
		if es == nil {
			es = &EpochStats{Epoch: ep}
		}
		e := in.epochs[ep]
		es.File, es.FileBytes = e.name, e.size()
		es.Tail = min(max(fileHeaderSize, tails[ep]), max(es.FileBytes, fileHeaderSize))
		st.Epochs = append(st.Epochs, *es)
		// Recovery keeps the newest epoch and those a current record uses.
		if ep == eps[len(eps)-1] || es.Records > 0 {
			st.ContentBytesTotal += es.Tail - fileHeaderSize
		}
	}
	if st.ContentBytesTotal > 0 {
		st.Fragmentation = float64(st.ContentBytesTotal-min(st.ContentBytesLive, st.ContentBytesTotal)) / float64(st.ContentBytesTotal)
	}
}

// checkCleanClose compares the clean-close record with a recount: Close
// wrote it after a Sync with nothing in flight.
func (in *inspection) checkCleanClose() {
	c := in.clean
	at := func(detail string) Problem {
		return Problem{Kind: ProblemCount, Severity: SeverityDamage, File: blocksFileName, Offset: cleanRecordOff, Detail: detail}
	}
	// Torn records were current at close (their damage came later) and
	// are reported already: a recount without them would differ too.
	if c.live != in.stats.Live && in.stats.Torn == 0 {
		in.add(at(fmt.Sprintf("closed with %d live memories, recount finds %d", c.live, in.stats.Live)))
	}
	if c.liveBytes != in.stats.ContentBytesLive && in.stats.Torn == 0 {
		in.add(at(fmt.Sprintf("closed with %d live content bytes, recount finds %d", c.liveBytes, in.stats.ContentBytesLive)))
	}
	for i := range in.records {
		if r := &in.records[i]; r.h.seq > c.seq {
			in.add(slotProblem(ProblemCount, SeverityDamage, r.slot, fmt.Sprintf("record of %q has seq %d, above the %d the store had issued at close", r.id, r.h.seq, c.seq)))
		}
	}
	if e := in.epoch(c.epoch); e.f == nil {
		in.add(Problem{Kind: ProblemContentMissing, Severity: SeverityDamage, File: e.name, Detail: fmt.Sprintf("closed with current epoch %d, but its content file is missing", c.epoch)})
	}
}

// problemOrder sorts whole-file problems (no slot) before slot problems.
func problemOrder(p Problem) uint64 {
	if p.Slot == nil {
		return 0
	}
	return *p.Slot + 1
}

// report caps the problem list and decides the verdict. A torn record of a
// cleanly closed store was synced: damage.
func (in *inspection) report() InspectReport {
	rep := InspectReport{Dir: in.dir, CleanClose: in.clean != nil, Stats: in.stats, Problems: []Problem{}}
	// Whole-file problems first, then by slot.
	slices.SortStableFunc(in.problems, func(a, b Problem) int {
		return cmp.Compare(problemOrder(a), problemOrder(b))
	})
	verdict := Consistent
	if in.stats.Unsettled > 0 {
		verdict = InspectUnknown
	}
	for _, p := range in.problems {
		if p.Severity == SeverityTorn && in.clean != nil {
			p.Severity = SeverityDamage
			p.Detail += " (the store was closed cleanly: this write had been synced)"
		}
		if p.Severity == SeverityDamage {
			verdict = Inconsistent
		} else if verdict == Consistent {
			verdict = InspectUnknown
		}
		if len(rep.Problems) < in.opts.MaxProblems {
			rep.Problems = append(rep.Problems, p)
		} else {
			rep.MoreProblems++
		}
	}
	rep.Verdict = verdict
	return rep
}
