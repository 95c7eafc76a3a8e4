package checker

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/warmcheck/warmcheck/history"
)

// corpusCase is one hand-built history of histories/: its file name, the
// verdict it must get, the check that decides it, and why.
type corpusCase struct {
	file    string
	verdict Verdict
	check   string
	why     string
	build   func() *wsb
}

// finish appends a consistent final snapshot of layout with total content
// bytes in the current epoch.
func finish(b *wsb, total, epoch uint64, layout ...history.Entry) *wsb {
	b.snapshot("final", statsFor(total, epoch, layout...), layout...)
	return b
}

var corpusCases = []corpusCase{
	{"valid-all-checks.jsonl", Valid, "", "every check exercised: concurrent puts, get, remove, iterate, sync, compaction, a panic and a power loss whose recovery brings back an unsynced removal (allowed)", validRun},
	{"valid-simulated-concurrent.jsonl", Valid, "", "a correct reference store under 6 workers on 3 memories, with info and fail outcomes, syncs, compactions, iterates, panics and power losses", func() *wsb { return simulate(7, 6, 300, 3) }},
	{"valid-simulated-hot-key.jsonl", Valid, "", "a correct reference store, 8 workers on one memory: heavy slot reuse and overwrites", func() *wsb { return simulate(11, 8, 400, 1) }},
	{"invalid-offset-overlap.jsonl", Invalid, "offset-overlap", "two concurrent puts in epoch 0 were handed bytes [0,100) and [50,150) (content-offset-race)", func() *wsb {
		b := newWSB()
		b.putInv(1, "a", wval(1))
		b.putInv(2, "b", wval(2))
		b.putOK(1, wpl(0, 0, 100, 0))
		b.putOK(2, wpl(1, 50, 100, 0))
		return finish(b, 200, 0, wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 50, 100, 0)))
	}},
	{"invalid-offset-monotonic.jsonl", Invalid, "offset-monotonic", "put b was invoked after put a returned but got a lower content offset in the same epoch", func() *wsb {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 500, 100, 0))
		b.put(2, "b", wval(2), wpl(1, 100, 100, 0))
		return finish(b, 200, 0, wentry("a", wval(1), wpl(0, 500, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)))
	}},
	{"invalid-unique-slots.jsonl", Invalid, "unique-slots", "two concurrent puts of different memories both got slot 7 and both stay live (slot-race)", func() *wsb {
		b := newWSB()
		b.putInv(1, "a", wval(1))
		b.putInv(2, "b", wval(2))
		b.putOK(1, wpl(7, 0, 100, 0))
		b.putOK(2, wpl(7, 100, 100, 0))
		b.get(1, "a", true, wval(1))
		return finish(b, 200, 0, wentry("a", wval(1), wpl(7, 0, 100, 0)), wentry("b", wval(2), wpl(8, 100, 100, 0)))
	}},
	{"invalid-content-length.jsonl", Invalid, "content-length", "a failed put is still counted: the final stats say 2 live memories and 200 live bytes, the layout and the history say 1 and 100 (count-on-failed-store)", func() *wsb {
		b, layout := clValid()
		st := statsFor(500, 0, layout...)
		st.Live++
		st.ContentBytesLive += 100
		st.Fragmentation = float64(st.ContentBytesTotal-st.ContentBytesLive) / float64(st.ContentBytesTotal)
		b.snapshot("final", st, layout...)
		return b
	}},
	{"invalid-iteration.jsonl", Invalid, "iteration", "an iterate invoked after both puts returned visits a but misses b, which nothing removed", func() *wsb {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.put(1, "b", wval(2), wpl(1, 100, 100, 0))
		b.iterate(2, history.Entry{ID: "a", Value: wval(1)})
		return finish(b, 200, 0, wentry("a", wval(1), wpl(0, 0, 100, 0)), wentry("b", wval(2), wpl(1, 100, 100, 0)))
	}},
	{"invalid-durability.jsonl", Invalid, "durability", "a was acknowledged and covered by a successful sync, then lost in a power cut (sync-skips-content)", func() *wsb {
		b := newWSB()
		b.h.Faults = []string{"power-loss"}
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.sync(1)
		b.put(1, "b", wval(2), wpl(1, 100, 100, 0))
		b.crash("power-loss")
		return finish(b, 0, 0)
	}},
	{"invalid-recovery.jsonl", Invalid, "recovery", "after a panic, worker 1's next put blocks for 30 s until the runner gives up (panic-holds-lock); worker 2 keeps being served", func() *wsb {
		b := newWSB()
		b.h.Faults = []string{"panic"}
		b.put(2, "x", wval(9), wpl(0, 0, 100, 0))
		panicWindow(b)
		b.putInv(1, "a", wval(2))
		for i := 0; i < 5; i++ {
			b.get(2, "x", true, wval(9))
			b.sleep(int64(6 * time.Second))
		}
		b.done(1, history.Info, nil)
		return finish(b, 100, 0, wentry("x", wval(9), wpl(0, 0, 100, 0)))
	}},
	{"invalid-progress.jsonl", Invalid, "progress", "no fault injected, yet from 1 s on every call of worker 1 times out (info after the 2 s operation timeout) for 12 s while worker 2 is served: a deadlock on what worker 1 asks for", func() *wsb {
		b := newWSB()
		b.h.OpTimeoutNanos = int64(2 * time.Second)
		b.put(2, "x", wval(9), wpl(0, 0, 100, 0))
		b.sleep(int64(time.Second))
		for i := 0; i < 6; i++ {
			b.inv(1, history.OpGet, "x", nil)
			b.get(2, "x", true, wval(9))
			b.sleep(int64(2 * time.Second))
			b.done(1, history.Info, nil)
		}
		return finish(b, 100, 0, wentry("x", wval(9), wpl(0, 0, 100, 0)))
	}},
	{"invalid-linearizable.jsonl", Invalid, "linearizable", "a get invoked after put a=2 returned reads a=1 (stale read)", func() *wsb {
		b := newWSB()
		b.put(1, "a", wval(1), wpl(0, 0, 100, 0))
		b.put(1, "a", wval(2), wpl(1, 100, 100, 0))
		b.get(2, "a", true, wval(1))
		return finish(b, 200, 0, wentry("a", wval(2), wpl(1, 100, 100, 0)))
	}},
	{"invalid-fields.jsonl", Invalid, "fields", "after an update-activation of a, a get returns its new activation with the put's 2020 last_access: the update-activation's time is lost on the get path only (the final layout has it)", func() *wsb {
		b := newWSB()
		b.h.StartedUnixNanos = origin
		v := vrec(1)
		b.put(1, "a", v, wpl(0, 0, 100, 0))
		b.inv(1, history.OpUpdateActivation, "a", &history.Input{Activation: 0.75})
		b.done(1, history.OK, &history.Output{Found: true})
		updated := v
		updated.Activation, updated.LastAccess = 0.75, origin+b.t
		stale := v
		stale.Activation = 0.75
		b.get(2, "a", true, stale)
		return finish(b, 100, 0, wentry("a", updated, wpl(0, 0, 100, 0)))
	}},
	{"invalid-integrity.jsonl", Invalid, "integrity", "no read returns a wrong value, but a get of a fails and an update-activation of a ends info with the store's own \"store: corrupt file: content epoch 0 is gone\" error (unlocked-activation, compaction-lost-store)", unlockedActivationRun},
	{"unknown-fault-never-fired.jsonl", Unknown, "anti-vacuity", "the run asked for a kill that never happened: nothing about crashes was tested", func() *wsb {
		b := validRun()
		b.h.Faults = append(b.h.Faults, "kill")
		return b
	}},
	{"unknown-malformed.jsonl", Unknown, "anti-vacuity", "an event's time goes backwards: the recording cannot be trusted, every other check is not evaluated", func() *wsb {
		b := validRun()
		b.events[5].Time = b.events[4].Time - 1
		return b
	}},
}

// alsoFails are the checks other than a case's own that rightly reject it:
// the call that panic-holds-lock leaves blocked for 30 s is also a stall.
var alsoFails = map[string]map[string]bool{"invalid-recovery.jsonl": {"progress": true}}

func TestCorpusCases(t *testing.T) {
	for _, c := range corpusCases {
		t.Run(c.file, func(t *testing.T) {
			b := c.build()
			rep := Run(context.Background(), b.input(), Options{})
			if rep.Verdict != c.verdict {
				for _, r := range rep.Checks {
					t.Logf("%s %s %s", r.Name, r.Verdict, r.Summary)
				}
				t.Fatalf("verdict %s, want %s", rep.Verdict, c.verdict)
			}
			for _, r := range rep.Checks {
				switch {
				case r.Name == c.check && r.Verdict != c.verdict:
					t.Fatalf("%s: %s, want %s", r.Name, r.Verdict, c.verdict)
				case alsoFails[c.file][r.Name] && r.Verdict != c.verdict:
					t.Fatalf("%s: %s, want %s", r.Name, r.Verdict, c.verdict)
				case r.Name != c.check && !alsoFails[c.file][r.Name] && r.Verdict != Valid && r.Verdict != NotEvaluated:
					t.Fatalf("%s: %s (%s): only %q should fail", r.Name, r.Verdict, r.Summary, c.check)
				}
			}
		})
	}
}

// corpusEntry is one line of histories/manifest.json.
type corpusEntry struct {
	File    string `json:"file"`
	Verdict string `json:"verdict"`
	Check   string `json:"check,omitempty"`
	Source  string `json:"source"`
	Why     string `json:"why"`
}

type corpusManifest struct {
	About     string        `json:"about"`
	Histories []corpusEntry `json:"histories"`
}

// TestGenerateCorpus rewrites the hand-built histories in ../histories and
// their manifest entries (keeping everyone else's entries). It runs only
// with WARMCHECK_UPDATE_CORPUS=1.
func TestGenerateCorpus(t *testing.T) {
	if os.Getenv("WARMCHECK_UPDATE_CORPUS") != "1" {
		t.Skip("set WARMCHECK_UPDATE_CORPUS=1 to rewrite histories/")
	}
	dir := filepath.Join("..", "histories")
	mpath := filepath.Join(dir, "manifest.json")
	var m corpusManifest
	if b, err := os.ReadFile(mpath); err == nil {
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", mpath, err)
		}
	}
	m.About = "Histories with known verdicts. `go test ./cmd/warmcheck -run Corpus` and .ci/run re-check every entry with warmcheck analyze: " +
		"the run's verdict must be `verdict`, and `check` (when set) must be the check that decides it. See README.md."
	mine := map[string]bool{}
	for _, c := range corpusCases {
		mine[c.file] = true
	}
	kept := m.Histories[:0]
	for _, e := range m.Histories {
		if !mine[e.File] {
			kept = append(kept, e)
		}
	}
	m.Histories = kept
	for _, c := range corpusCases {
		b := c.build()
		h := b.h
		h.Workload = "hand-built"
		if c.check == "" && c.verdict == Valid && c.file != "valid-all-checks.jsonl" {
			h.Workload = "simulated"
		}
		if err := writeJSONL(filepath.Join(dir, c.file), h, b.events); err != nil {
			t.Fatal(err)
		}
		m.Histories = append(m.Histories, corpusEntry{File: c.file, Verdict: string(c.verdict), Check: c.check, Source: "hand-built (checker/corpus_cases_test.go)", Why: c.why})
	}
	sort.SliceStable(m.Histories, func(i, j int) bool { return m.Histories[i].File < m.Histories[j].File })
	out, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(mpath, append(out, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeJSONL(path string, h history.Header, events []history.Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w, err := history.NewJSONLWriter(f, h)
	if err != nil {
		f.Close()
		return err
	}
	for i := range events {
		if err := w.Write(&events[i]); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Close(); err != nil { // the end line: the file reads complete
		f.Close()
		return err
	}
	return f.Close()
}
