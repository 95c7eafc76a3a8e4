package store_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/warmcheck/warmcheck/store"
)

// modelIDs is the id pool of the state-machine test: small, so that
// replacement, remove-then-put and update of removed ids happen often; it
// includes a multi-byte UTF-8 id and a 100-byte id.
var modelIDs = []string{"a", "b", "mem-3", "ü-ид-ß", strings.Repeat("L", 100), "z"}

// modelMachine runs the store and an in-memory reference model side by side.
// Invariant checked after every step: the store's observable state (Get,
// Stats, Layout) equals the model's.
type modelMachine struct {
	dir  string
	opts store.Options
	s    *store.Store

	live map[string]store.Memory
	// placed is the Placement the last Put of each live id returned; it
	// must match Layout until a Compact moves the content.
	placed map[string]store.Placement
	// compactions and reclaimed are the Stats counters expected since the
	// last Open (Stats counters are compared relative to the value at Open).
	baseCompactions, baseReclaimed uint64
	compactions, reclaimed         uint64
}

func (m *modelMachine) open(t *rapid.T) {
	s, err := store.Open(m.dir, m.opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	m.s = s
	st := s.Stats()
	m.baseCompactions, m.baseReclaimed = st.Compactions, st.BytesReclaimed
	m.compactions, m.reclaimed = 0, 0
}

func drawContent(t *rapid.T, label string) []byte {
	switch k := rapid.IntRange(0, 9).Draw(t, label+"-kind"); {
	case k == 0:
		return nil
	case k == 1:
		return []byte{}
	case k == 9:
		return rapid.SliceOfN(rapid.Byte(), 3000, 9000).Draw(t, label+"-big")
	default:
		return rapid.SliceOfN(rapid.Byte(), 1, 80).Draw(t, label)
	}
}

func drawMemory(t *rapid.T) store.Memory {
	var emb []float32
	if rapid.Bool().Draw(t, "has-embedding") {
		emb = suiteEmbedding(rapid.Uint64().Draw(t, "embedding-seed"))
	}
	var created int64
	if rapid.Bool().Draw(t, "has-created") {
		created = rapid.Int64Range(1, 1<<62).Draw(t, "created")
	}
	return store.Memory{
		Embedding:  emb,
		Confidence: rapid.SampledFrom([]float32{0, 0.25, 0.5, 0.75, 1}).Draw(t, "confidence"),
		Activation: rapid.Float32Range(-10, 10).Draw(t, "activation"),
		DecayRate:  rapid.Float32Range(0, 1).Draw(t, "decay"),
		CreatedAt:  created,
		Content:    drawContent(t, "content"),
	}
}

func (m *modelMachine) Put(t *rapid.T) {
	id := rapid.SampledFrom(modelIDs).Draw(t, "id")
	mem := drawMemory(t)
	epochBefore := m.s.Stats().Epoch
	p, err := m.s.Put(id, mem)
	if err != nil {
		t.Fatalf("Put(%q): %v", id, err)
	}
	if p.HasContent != (mem.Content != nil) || int(p.Length) != len(mem.Content) {
		t.Fatalf("Put(%q) placement %+v for content nil=%v len=%d", id, p, mem.Content == nil, len(mem.Content))
	}
	if !p.HasContent && (p.Offset != 0 || p.Length != 0) {
		t.Fatalf("Put(%q) without content returned offset %d length %d", id, p.Offset, p.Length)
	}
	if p.HasContent && p.Epoch != epochBefore {
		t.Fatalf("Put(%q) placement epoch %d, store epoch %d", id, p.Epoch, epochBefore)
	}
	// The caller may reuse its buffers after Put returns: the model keeps
	// its own copy and scribbles on the caller's to catch aliasing.
	kept := mem
	if mem.Content != nil {
		kept.Content = bytes.Clone(mem.Content)
		for i := range mem.Content {
			mem.Content[i] ^= 0xff
		}
	}
	m.live[id] = kept
	m.placed[id] = p
}

func (m *modelMachine) Get(t *rapid.T) {
	id := rapid.SampledFrom(modelIDs).Draw(t, "id")
	got, l, err := m.s.Get(id)
	if err != nil {
		t.Fatalf("Get(%q): %v", id, err)
	}
	want, ok := m.live[id]
	if !ok {
		if l != store.Missing {
			t.Fatalf("Get(%q) = found, model says missing", id)
		}
		return
	}
	if l != store.Found {
		t.Fatalf("Get(%q) = missing, model has it", id)
	}
	if d := diffMemory(want, got); d != "" {
		t.Fatalf("Get(%q): %s", id, d)
	}
	if got.LastAccess == 0 || got.CreatedAt == 0 {
		t.Fatalf("Get(%q): CreatedAt %d / LastAccess %d not set by Put", id, got.CreatedAt, got.LastAccess)
	}
}

func (m *modelMachine) Remove(t *rapid.T) {
	id := rapid.SampledFrom(modelIDs).Draw(t, "id")
	l, err := m.s.Remove(id)
	if err != nil {
		t.Fatalf("Remove(%q): %v", id, err)
	}
	_, ok := m.live[id]
	if (l == store.Found) != ok {
		t.Fatalf("Remove(%q) = %v, model had it: %v", id, l, ok)
	}
	delete(m.live, id)
	delete(m.placed, id)
}

func (m *modelMachine) UpdateActivation(t *rapid.T) {
	id := rapid.SampledFrom(modelIDs).Draw(t, "id")
	v := rapid.Float32Range(-100, 100).Draw(t, "v")
	l, err := m.s.UpdateActivation(id, v)
	if err != nil {
		t.Fatalf("UpdateActivation(%q): %v", id, err)
	}
	mem, ok := m.live[id]
	if (l == store.Found) != ok {
		t.Fatalf("UpdateActivation(%q) = %v, model had it: %v", id, l, ok)
	}
	if ok {
		mem.Activation = v
		m.live[id] = mem
	}
}

func (m *modelMachine) Iterate(t *rapid.T) {
	seen := map[string]int{}
	err := m.s.Iterate(func(id string, got store.Memory) bool {
		seen[id]++
		want, ok := m.live[id]
		if !ok {
			t.Fatalf("Iterate visited %q, which is not live", id)
		}
		if d := diffMemory(want, got); d != "" {
			t.Fatalf("Iterate %q: %s", id, d)
		}
		return true
	})
	if err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	for id, n := range seen {
		if n != 1 {
			t.Fatalf("Iterate visited %q %d times", id, n)
		}
	}
	if len(seen) != len(m.live) {
		t.Fatalf("Iterate visited %d memories, %d live", len(seen), len(m.live))
	}
}

// IterateStop stops the iteration early: the callback returning false must
// end it at once.
func (m *modelMachine) IterateStop(t *rapid.T) {
	if len(m.live) == 0 {
		t.Skip("nothing to iterate")
	}
	stopAfter := rapid.IntRange(1, len(m.live)).Draw(t, "stop-after")
	calls := 0
	if err := m.s.Iterate(func(string, store.Memory) bool {
		calls++
		return calls < stopAfter
	}); err != nil {
		t.Fatalf("Iterate: %v", err)
	}
	if calls != stopAfter {
		t.Fatalf("Iterate called back %d times after being told to stop at %d", calls, stopAfter)
	}
}

func (m *modelMachine) Recall(t *rapid.T) {
	th := rapid.SampledFrom([]float32{-1, 0, 0.25, 0.3, 0.5, 0.75, 1, 2}).Draw(t, "threshold")
	hits, err := m.s.Recall(th)
	if err != nil {
		t.Fatalf("Recall(%v): %v", th, err)
	}
	want := map[string]store.Memory{}
	for id, mem := range m.live {
		if mem.Confidence >= th {
			want[id] = mem
		}
	}
	seen := map[string]bool{}
	for _, h := range hits {
		mem, ok := want[h.ID]
		if !ok {
			t.Fatalf("Recall(%v) returned %q (live=%v)", th, h.ID, m.live[h.ID].Content != nil)
		}
		if seen[h.ID] {
			t.Fatalf("Recall(%v) returned %q twice", th, h.ID)
		}
		seen[h.ID] = true
		if h.Confidence != mem.Confidence {
			t.Fatalf("Recall %q confidence %v, want %v", h.ID, h.Confidence, mem.Confidence)
		}
		if (h.Content == nil) != (mem.Content == nil) || !bytes.Equal(h.Content, mem.Content) {
			t.Fatalf("Recall %q content %q (nil=%v), want %q (nil=%v)", h.ID,
				clip(h.Content), h.Content == nil, clip(mem.Content), mem.Content == nil)
		}
	}
	if len(seen) != len(want) {
		t.Fatalf("Recall(%v) returned %d hits, want %d", th, len(seen), len(want))
	}
}

func (m *modelMachine) Compact(t *rapid.T) {
	before := m.s.Stats()
	cs, err := m.s.Compact()
	if err != nil {
		t.Fatalf("Compact: %v", err)
	}
	after := m.s.Stats()
	if cs.BytesBefore != before.ContentBytesTotal {
		t.Fatalf("Compact BytesBefore %d, Stats said %d", cs.BytesBefore, before.ContentBytesTotal)
	}
	if cs.BytesAfter != before.ContentBytesLive {
		t.Fatalf("Compact BytesAfter %d, live bytes were %d", cs.BytesAfter, before.ContentBytesLive)
	}
	if cs.BytesReclaimed != cs.BytesBefore-cs.BytesAfter {
		t.Fatalf("Compact reclaimed %d != %d - %d", cs.BytesReclaimed, cs.BytesBefore, cs.BytesAfter)
	}
	if cs.Epoch != after.Epoch || after.Epoch <= before.Epoch {
		t.Fatalf("Compact epoch %d, Stats epoch %d -> %d", cs.Epoch, before.Epoch, after.Epoch)
	}
	if after.ContentBytesTotal != after.ContentBytesLive || after.Fragmentation != 0 {
		t.Fatalf("after Compact with no concurrent writes: total %d live %d fragmentation %v",
			after.ContentBytesTotal, after.ContentBytesLive, after.Fragmentation)
	}
	m.compactions++
	m.reclaimed += cs.BytesReclaimed
	clear(m.placed)
}

func (m *modelMachine) Sync(t *rapid.T) {
	if err := m.s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

func (m *modelMachine) Reopen(t *rapid.T) {
	if err := m.s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, _, err := m.s.Get("a"); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Get after Close: err %v, want ErrClosed", err)
	}
	if _, err := m.s.Put("a", store.Memory{}); !errors.Is(err, store.ErrClosed) {
		t.Fatalf("Put after Close: err %v, want ErrClosed", err)
	}
	m.open(t)
	if st := m.s.Stats(); st.TornDiscarded != 0 {
		t.Fatalf("reopen after a clean Close discarded %d records", st.TornDiscarded)
	}
}

func (m *modelMachine) PutBadID(t *rapid.T) {
	id := rapid.SampledFrom([]string{"", strings.Repeat("x", 4096)}).Draw(t, "bad-id")
	if _, err := m.s.Put(id, store.Memory{Content: []byte("x")}); !errors.Is(err, store.ErrBadID) {
		t.Fatalf("Put(id of %d bytes): err %v, want ErrBadID", len(id), err)
	}
}

func (m *modelMachine) PutBadEmbedding(t *rapid.T) {
	id := rapid.SampledFrom(modelIDs).Draw(t, "id")
	n := rapid.SampledFrom([]int{1, store.EmbeddingDim - 1, store.EmbeddingDim + 1}).Draw(t, "dim")
	if _, err := m.s.Put(id, store.Memory{Embedding: make([]float32, n), Content: []byte("bad")}); !errors.Is(err, store.ErrBadEmbedding) {
		t.Fatalf("Put with %d-value embedding: err %v, want ErrBadEmbedding", n, err)
	}
}

// Check is the invariant run after every step.
func (m *modelMachine) Check(t *rapid.T) {
	st := m.s.Stats()
	var liveBytes uint64
	for _, mem := range m.live {
		liveBytes += uint64(len(mem.Content))
	}
	if st.Live != uint64(len(m.live)) {
		t.Fatalf("Stats.Live %d, model %d", st.Live, len(m.live))
	}
	if st.ContentBytesLive != liveBytes {
		t.Fatalf("Stats.ContentBytesLive %d, model %d", st.ContentBytesLive, liveBytes)
	}
	if st.ContentBytesTotal < st.ContentBytesLive {
		t.Fatalf("Stats.ContentBytesTotal %d < live %d", st.ContentBytesTotal, st.ContentBytesLive)
	}
	if st.SlotsInUse < st.Live || st.SlotsInUse > st.SlotsTotal {
		t.Fatalf("Stats slots in use %d, live %d, total %d", st.SlotsInUse, st.Live, st.SlotsTotal)
	}
	wantFrag := 0.0
	if st.ContentBytesTotal > 0 {
		wantFrag = float64(st.ContentBytesTotal-st.ContentBytesLive) / float64(st.ContentBytesTotal)
	}
	if diff := st.Fragmentation - wantFrag; diff > 1e-9 || diff < -1e-9 {
		t.Fatalf("Stats.Fragmentation %v, (total-live)/total = %v", st.Fragmentation, wantFrag)
	}
	if st.Compactions != m.baseCompactions+m.compactions || st.BytesReclaimed != m.baseReclaimed+m.reclaimed {
		t.Fatalf("Stats compactions %d reclaimed %d, want %d and %d", st.Compactions, st.BytesReclaimed,
			m.baseCompactions+m.compactions, m.baseReclaimed+m.reclaimed)
	}
	if st.FileBytes == 0 {
		t.Fatalf("Stats.FileBytes is 0 for an open store")
	}
	layout, err := m.s.Layout()
	if err != nil {
		t.Fatalf("Layout: %v", err)
	}
	if err := checkLayout(layout, m.live); err != nil {
		t.Fatalf("Layout: %v", err)
	}
	for _, e := range layout {
		if p, ok := m.placed[e.ID]; ok && p != e.Placement {
			t.Fatalf("%q: Layout placement %+v, Put returned %+v", e.ID, e.Placement, p)
		}
	}
}

// setRapidChecks lowers rapid's default number of checks for this package
// unless the caller chose one (flag or RAPID_CHECKS): the default 100 runs
// of a file-backed store are too slow for `go test -race` on a busy machine.
func setRapidChecks(n int) {
	if _, ok := os.LookupEnv("RAPID_CHECKS"); ok {
		return
	}
	set := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "rapid.checks" {
			set = true
		}
	})
	if !set {
		_ = flag.Set("rapid.checks", fmt.Sprint(n))
	}
}

func runModel(t *testing.T, opts store.Options) {
	base := t.TempDir()
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		dir, err := os.MkdirTemp(base, "model")
		if err != nil {
			rt.Fatal(err)
		}
		m := &modelMachine{dir: dir, opts: opts, live: map[string]store.Memory{}, placed: map[string]store.Placement{}}
		m.open(rt)
		defer func() {
			_ = m.s.Close()
			_ = os.RemoveAll(dir)
		}()
		rt.Repeat(rapid.StateMachineActions(m))
	})
}

func TestModel(t *testing.T) {
	checks := 20
	if longRuns() {
		checks = 1000
	}
	setRapidChecks(checks)
	runModel(t, store.Options{GroupCommit: -1})
}

// TestModelGroupCommitSyncEveryOp runs the same model with the background
// group commit and with SyncEveryOp: the durability machinery must not
// change what the store returns.
func TestModelGroupCommitSyncEveryOp(t *testing.T) {
	setRapidChecks(5)
	t.Run("group-commit", func(t *testing.T) { runModel(t, store.Options{}) })
	t.Run("sync-every-op", func(t *testing.T) { runModel(t, store.Options{SyncEveryOp: true}) })
}

// TestModelExample is a fixed walk through the interesting transitions,
// so that a regression has a readable failure before rapid's shrinker runs.
func TestModelExample(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, store.Options{GroupCommit: -1})
	puts := []struct {
		id      string
		content []byte
	}{{"x", nil}, {"y", []byte{}}, {"z", []byte("zzz")}, {"x", []byte("x2")}, {"y", nil}}
	want := map[string]store.Memory{}
	for i, p := range puts {
		m := store.Memory{Embedding: suiteEmbedding(uint64(i)), Confidence: 0.5, Content: p.content}
		if _, err := s.Put(p.id, m); err != nil {
			t.Fatal(err)
		}
		want[p.id] = m
	}
	if l, _ := s.Remove("z"); l != store.Found {
		t.Fatalf("Remove(z) = %v", l)
	}
	delete(want, "z")
	if l, _ := s.Remove("z"); l != store.Missing {
		t.Fatalf("second Remove(z) = %v", l)
	}
	check := func(stage string) {
		t.Helper()
		for id, w := range want {
			got, l, err := s.Get(id)
			if err != nil || l != store.Found {
				t.Fatalf("%s: Get(%q) = %v, %v", stage, id, l, err)
			}
			if d := diffMemory(w, got); d != "" {
				t.Fatalf("%s: Get(%q): %s", stage, id, d)
			}
		}
		if _, l, _ := s.Get("z"); l != store.Missing {
			t.Fatalf("%s: removed z is back", stage)
		}
		layout, err := s.Layout()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkLayout(layout, want); err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		ids := make([]string, 0, len(layout))
		for _, e := range layout {
			ids = append(ids, e.ID)
		}
		sort.Strings(ids)
		if strings.Join(ids, ",") != "x,y" {
			t.Fatalf("%s: Layout ids %v", stage, ids)
		}
	}
	check("before compact")
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	check("after compact")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir, store.Options{GroupCommit: -1})
	check("after reopen")
}
