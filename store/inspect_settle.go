package store

import (
	"bytes"
	"time"
)

// slotJudgement is what one read of a slot shows.
type slotJudgement struct {
	written bool // part of the slot was ever written (counts for slots_used)
	live    bool
	rec     inspectedRecord // live with a valid header
	problem *Problem        // a failure of the slot alone
}

func (j *slotJudgement) failed() bool { return j.problem != nil || j.rec.fault != "" }

// pendingSlot is a slot that failed a check, waiting to be read again.
type pendingSlot struct {
	slot    uint64
	bytes   []byte
	j       slotJudgement
	changed time.Time // when its bytes were last seen to change
}

// judgeSlot judges one read of slot b; a failing slot waits for
// settlePending.
func (in *inspection) judgeSlot(slot uint64, b []byte) {
	j := in.judgeBytes(slot, b)
	if j.failed() {
		in.pending = append(in.pending, pendingSlot{slot: slot, bytes: append([]byte(nil), b...), j: j, changed: time.Now()})
		in.stats.SlotsUsed = slot + 1
		return
	}
	in.accept(slot, j)
}

// accept records the settled judgement of slot.
func (in *inspection) accept(slot uint64, j slotJudgement) {
	if j.written {
		in.stats.SlotsUsed = max(in.stats.SlotsUsed, slot+1)
	}
	switch {
	case j.problem != nil:
		in.add(*j.problem)
		if j.problem.Kind == ProblemHeaderChecksum {
			in.stats.Torn++
		}
	case j.live:
		in.records = append(in.records, j.rec)
	}
}

// settlePending re-reads the failing slots in rounds, the pause doubling
// each round up to SettleWindow. A slot that passes is accepted; one whose
// bytes stayed the same for SettleWindow is judged as it failed (a write in
// flight, a pwrite of the slot or an in-place header rewrite, ends within
// microseconds of CPU time); one still changing after the last round is
// unsettled and not judged.
func (in *inspection) settlePending() {
	delay := in.opts.RereadDelay
	next := make([]byte, slotSize)
	for round := 0; len(in.pending) > 0; round++ {
		if round == in.opts.Rereads {
			in.stats.Unsettled += uint64(len(in.pending))
			in.pending = nil
			return
		}
		time.Sleep(delay)
		delay = min(2*delay, in.opts.SettleWindow)
		still := in.pending[:0]
		for _, p := range in.pending {
			if n, _ := in.blocks.ReadAt(next, int64(slotOffset(p.slot))); n < slotSize {
				in.stats.Unsettled++ // cut back by a failed growth: gone
				continue
			}
			j := in.judgeBytes(p.slot, next)
			switch {
			case !j.failed():
				in.accept(p.slot, j)
				continue
			case !bytes.Equal(p.bytes, next) || !sameJudgement(p.j, j):
				copy(p.bytes, next)
				p.j, p.changed = j, time.Now()
			case time.Since(p.changed) >= in.opts.SettleWindow:
				in.accept(p.slot, j)
				continue
			}
			still = append(still, p)
		}
		in.pending = still
	}
}

func sameJudgement(a, b slotJudgement) bool {
	if (a.problem == nil) != (b.problem == nil) {
		return false
	}
	if a.problem != nil {
		return a.problem.Kind == b.problem.Kind
	}
	return a.rec.fault == b.rec.fault
}
