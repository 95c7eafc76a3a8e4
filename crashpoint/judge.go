package crashpoint

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/warmcheck/warmcheck/store"
)

// Expectation is what the durability contract allows after a crash at one
// point, for every id of the workload: the value its synced prefix left
// (Required), and the values of every later operation on it invoked before
// the point. A nil entry in Allowed means "absent".
type Expectation struct {
	Point     int                 `json:"point"`
	LastSync  int                 `json:"last_sync"` // index of the last Sync acknowledged before the point; -1: none
	Allowed   map[string][]*Value `json:"allowed"`
	Required  map[string]*Value   `json:"required"` // value after the synced prefix; nil: absent
	Uncertain map[string]bool     `json:"uncertain,omitempty"`
}

// expect computes the expectation for a crash after step p. Op i was
// acknowledged before the crash iff it succeeded and its last step came
// before p (a later operation's step is p or earlier, so i had returned);
// it was invoked iff FirstStep <= p+1. An op that failed leaves its id
// uncertain: any value of that id's operations is accepted.
func expect(ops []Op, p int) *Expectation {
	ex := &Expectation{Point: p, LastSync: -1, Allowed: map[string][]*Value{}, Required: map[string]*Value{}, Uncertain: map[string]bool{}}
	for i := range ops {
		if ops[i].Kind == OpSync && ops[i].Acked && ops[i].EndStep <= p {
			ex.LastSync = i
		}
	}
	cur := map[string]*Value{}
	apply := func(op *Op) {
		switch op.Kind {
		case OpPut:
			cur[op.ID] = op.Value
		case OpRemove:
			cur[op.ID] = nil
		case OpUpdate:
			if v := cur[op.ID]; v != nil {
				nv := *v
				nv.Activation = op.Activation
				cur[op.ID] = &nv
			}
		}
	}
	for i := range ops {
		op := &ops[i]
		if op.ID == "" {
			continue
		}
		if _, ok := ex.Allowed[op.ID]; !ok {
			ex.Allowed[op.ID] = []*Value{nil}
		}
		if !op.Acked && op.EndStep <= p {
			ex.Uncertain[op.ID] = true
		}
		if op.FirstStep > p+1 {
			continue
		}
		apply(op)
		if i < ex.LastSync {
			ex.Allowed[op.ID] = []*Value{cur[op.ID]}
		} else {
			ex.Allowed[op.ID] = append(ex.Allowed[op.ID], cur[op.ID])
		}
	}
	for id, vs := range ex.Allowed {
		ex.Required[id] = vs[0]
	}
	return ex
}

// Finding is why one crash state is inconsistent.
type Finding struct {
	ID      string   `json:"id,omitempty"`
	Reason  string   `json:"reason"`
	Got     string   `json:"got,omitempty"`
	Allowed []string `json:"allowed,omitempty"`
}

func (f *Finding) String() string {
	s := f.Reason
	if f.ID != "" {
		s = fmt.Sprintf("%s: %s", f.ID, s)
	}
	if f.Got != "" {
		s += "; recovery returned " + f.Got
	}
	if len(f.Allowed) > 0 {
		s += "; allowed: " + strings.Join(f.Allowed, " | ")
	}
	return s
}

// Judge opens the store in dir (recovering it) and checks it against ex:
// every id holds an allowed value (the required one when nothing after the
// last sync touched it), no foreign id is visible, Iterate agrees with Get,
// placements are unique and non-overlapping, Stats equal a recount, and a
// short workload after recovery works. The store is closed on return; dir
// is modified by recovery and the workload.
func Judge(dir string, ex *Expectation, bugs []store.Bug) *Finding {
	s, err := store.Open(dir, store.Options{GroupCommit: -1, Bugs: bugs})
	if err != nil {
		return &Finding{Reason: "recovery failed: " + err.Error()}
	}
	defer s.Close()
	if f := judgeValues(s, ex); f != nil {
		return f
	}
	if f := judgeInvariants(s); f != nil {
		return f
	}
	return judgeAfterRecovery(s)
}

func describe(vs []*Value) []string {
	var out []string
	for _, v := range vs {
		if s := v.String(); !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func memString(m *store.Memory) string {
	v := Value{Embedding: m.Embedding, Content: m.Content, Confidence: m.Confidence, Activation: m.Activation, DecayRate: m.DecayRate, CreatedAt: m.CreatedAt}
	return v.String()
}

func judgeValues(s *store.Store, ex *Expectation) *Finding {
	ids := make([]string, 0, len(ex.Allowed))
	for id := range ex.Allowed {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	found := map[string]bool{}
	for _, id := range ids {
		m, l, err := s.Get(id)
		if err != nil {
			return &Finding{ID: id, Reason: "get failed after recovery: " + err.Error()}
		}
		if ex.Uncertain[id] {
			found[id] = l == store.Found
			continue
		}
		allowed := ex.Allowed[id]
		ok := false
		for _, v := range allowed {
			if (v == nil && l == store.Missing) || (v != nil && l == store.Found && v.equal(&m)) {
				ok = true
				break
			}
		}
		if !ok {
			f := &Finding{ID: id, Got: "absent", Allowed: describe(allowed)}
			if l == store.Found {
				f.Got = memString(&m)
			}
			switch {
			case l == store.Missing && len(allowed) == 1:
				f.Reason = "acknowledged and synced, lost after the crash"
			case l == store.Missing:
				f.Reason = "absent, but every allowed state holds a value"
			case len(allowed) == 1 && allowed[0] == nil:
				f.Reason = "removed (or never written) before the last successful Sync, present after the crash"
			default:
				f.Reason = "value matches no acknowledged or in-flight write since the last sync (torn or stale)"
			}
			return f
		}
		found[id] = l == store.Found
	}
	var seen []string
	var ferr *Finding
	err := s.Iterate(func(id string, m store.Memory) bool {
		seen = append(seen, id)
		if _, ok := ex.Allowed[id]; !ok {
			ferr = &Finding{ID: id, Reason: "foreign id returned by Iterate after recovery", Got: memString(&m)}
			return false
		}
		if !found[id] {
			ferr = &Finding{ID: id, Reason: "Iterate visits an id that Get reports missing"}
			return false
		}
		return true
	})
	if ferr != nil {
		return ferr
	}
	if err != nil {
		return &Finding{Reason: "iterate failed after recovery: " + err.Error()}
	}
	for id, f := range found {
		if f && !slices.Contains(seen, id) {
			return &Finding{ID: id, Reason: "Get finds it, Iterate does not visit it"}
		}
	}
	return nil
}

func judgeInvariants(s *store.Store) *Finding {
	layout, err := s.Layout()
	if err != nil {
		return &Finding{Reason: "layout failed after recovery: " + err.Error()}
	}
	slots := map[uint64]string{}
	type span struct {
		off, end uint64
		id       string
	}
	spans := map[uint64][]span{}
	var bytes uint64
	for _, e := range layout {
		p := e.Placement
		if other, ok := slots[p.Slot]; ok {
			return &Finding{ID: e.ID, Reason: fmt.Sprintf("shares slot %d with %s after recovery", p.Slot, other)}
		}
		slots[p.Slot] = e.ID
		if p.HasContent {
			bytes += uint64(p.Length)
			if p.Length > 0 {
				spans[p.Epoch] = append(spans[p.Epoch], span{p.Offset, p.Offset + uint64(p.Length), e.ID})
			}
		}
	}
	for ep, sp := range spans {
		slices.SortFunc(sp, func(a, b span) int { return compareU64(a.off, b.off) })
		for i := 1; i < len(sp); i++ {
			if sp[i].off < sp[i-1].end {
				return &Finding{ID: sp[i].id, Reason: fmt.Sprintf("content [%d,%d) of epoch %d overlaps %s's [%d,%d) after recovery", sp[i].off, sp[i].end, ep, sp[i-1].id, sp[i-1].off, sp[i-1].end)}
			}
		}
	}
	st := s.Stats()
	if st.Live != uint64(len(layout)) || st.ContentBytesLive != bytes {
		return &Finding{Reason: fmt.Sprintf("Stats after recovery say %d live, %d content bytes; a recount finds %d and %d", st.Live, st.ContentBytesLive, len(layout), bytes)}
	}
	return nil
}

func compareU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// judgeAfterRecovery runs a short workload on the recovered store: two puts
// read back, one removed, a sync, and the counts follow.
func judgeAfterRecovery(s *store.Store) *Finding {
	before := s.Stats().Live
	vals := []*Value{
		{Confidence: 0.5, CreatedAt: 42, Content: []byte("after recovery")},
		{Confidence: 0.25, CreatedAt: 43, Content: make([]byte, 1500), Embedding: make([]float32, store.EmbeddingDim)},
	}
	ids := []string{"post-recovery-0", "post-recovery-1"}
	for i, id := range ids {
		if _, err := s.Put(id, vals[i].memory()); err != nil {
			return &Finding{ID: id, Reason: "put after recovery failed: " + err.Error()}
		}
	}
	if _, err := s.Remove(ids[0]); err != nil {
		return &Finding{ID: ids[0], Reason: "remove after recovery failed: " + err.Error()}
	}
	if err := s.Sync(); err != nil {
		return &Finding{Reason: "sync after recovery failed: " + err.Error()}
	}
	if _, l, err := s.Get(ids[0]); err != nil || l != store.Missing {
		return &Finding{ID: ids[0], Reason: fmt.Sprintf("removed after recovery, get says %v (%v)", l, err)}
	}
	m, l, err := s.Get(ids[1])
	if err != nil || l != store.Found || !vals[1].equal(&m) {
		return &Finding{ID: ids[1], Reason: fmt.Sprintf("put after recovery, get says %v (%v)", l, err)}
	}
	if got := s.Stats().Live; got != before+1 {
		return &Finding{Reason: fmt.Sprintf("after recovery: %d live, two puts and a remove later %d", before, got)}
	}
	if err := s.Close(); err != nil && !errors.Is(err, store.ErrClosed) {
		return &Finding{Reason: "close after recovery failed: " + err.Error()}
	}
	return nil
}
