package nemesis

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// ScheduleOptions configure a Scheduler. Zero durations take the defaults.
type ScheduleOptions struct {
	Seed    int64
	Nemeses []string // registry names; at least one
	MinGap  time.Duration
	MaxGap  time.Duration
	MinHold time.Duration
	MaxHold time.Duration
	// Reach is where the load goes: failpoint faults are aimed there. The
	// zero value aims anywhere.
	Reach Reach
}

// Schedule defaults: a fault every 100-400 ms, each lasting 20-200 ms.
const (
	DefaultMinGap  = 100 * time.Millisecond
	DefaultMaxGap  = 400 * time.Millisecond
	DefaultMinHold = 20 * time.Millisecond
	DefaultMaxHold = 200 * time.Millisecond
)

// Scheduler derives the fault schedule from a seed. Faults come in rounds:
// each round is a seeded permutation of the requested nemeses, so every one
// fires in the first round and all fire equally often. For each fault the
// draws are, in order: its gap, its hold, then the nemesis' Plan. The same
// seed and options give the same sequence of Faults.
type Scheduler struct {
	opts  ScheduleOptions
	rng   *rand.Rand
	seq   int
	round []Nemesis
}

// NewScheduler checks opts and returns a scheduler at the first fault.
func NewScheduler(opts ScheduleOptions) (*Scheduler, error) {
	if len(opts.Nemeses) == 0 {
		return nil, ErrNoNemeses
	}
	for _, name := range opts.Nemeses {
		n, err := ByName(name)
		if err != nil {
			return nil, err
		}
		if a, ok := n.(aimedNemesis); ok && len(a.candidates(opts.Reach)) == 0 {
			return nil, fmt.Errorf("%w: %s acts at failpoints the load never reaches (the load passes %s)", ErrBadSchedule, name, opts.Reach)
		}
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.MinGap, DefaultMinGap)
	def(&opts.MaxGap, DefaultMaxGap)
	def(&opts.MinHold, DefaultMinHold)
	def(&opts.MaxHold, DefaultMaxHold)
	if opts.MinGap < 0 || opts.MaxGap < opts.MinGap || opts.MinHold < 0 || opts.MaxHold < opts.MinHold {
		return nil, fmt.Errorf("%w: gap [%v, %v], hold [%v, %v]", ErrBadSchedule, opts.MinGap, opts.MaxGap, opts.MinHold, opts.MaxHold)
	}
	opts.Nemeses = append([]string(nil), opts.Nemeses...)
	return &Scheduler{opts: opts, rng: rand.New(rand.NewPCG(uint64(opts.Seed), 0x6e656d65736973))}, nil
}

func (s *Scheduler) between(lo, hi time.Duration) time.Duration {
	if hi == lo {
		return lo
	}
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))
}

// Next returns the next fault of the schedule.
func (s *Scheduler) Next() Fault {
	if len(s.round) == 0 {
		for _, i := range s.rng.Perm(len(s.opts.Nemeses)) {
			n, _ := ByName(s.opts.Nemeses[i]) // checked in NewScheduler
			s.round = append(s.round, n)
		}
	}
	n := s.round[0]
	s.round = s.round[1:]
	f := Fault{Seq: s.seq, Nemesis: n.Name()}
	s.seq++
	f.Gap = s.between(s.opts.MinGap, s.opts.MaxGap)
	f.Hold = s.between(s.opts.MinHold, s.opts.MaxHold)
	n.Plan(s.rng, &f, s.opts.Reach)
	return f
}

// Preview returns the first n faults a scheduler with these options would
// give, without consuming this one.
func Preview(opts ScheduleOptions, n int) ([]Fault, error) {
	s, err := NewScheduler(opts)
	if err != nil {
		return nil, err
	}
	out := make([]Fault, n)
	for i := range out {
		out[i] = s.Next()
	}
	return out, nil
}

// String describes a fault in one line (the start event's detail).
func (f Fault) String() string {
	s := fmt.Sprintf("#%d %s after %v for %v", f.Seq, f.Nemesis, f.Gap, f.Hold)
	if f.Failpoint != "" {
		s += " at " + string(f.Failpoint)
	}
	if f.Delay > 0 {
		s += fmt.Sprintf(" delay %v", f.Delay)
	}
	if f.Seed != 0 {
		s += fmt.Sprintf(" seed %d", f.Seed)
	}
	return s
}
