package bench

import (
	"bytes"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/warmcheck/warmcheck/history"
)

// syntheticHistory is 4 workers doing puts and gets for 2 s, with a pause
// fault from 0.8 s to 1.2 s during which latencies jump to ~50 ms, and a
// compaction from 1.5 s to 1.6 s.
func syntheticHistory() []history.Event {
	rng := rand.New(rand.NewSource(1))
	var evs []history.Event
	add := func(e history.Event) {
		e.Index = uint64(len(evs))
		evs = append(evs, e)
	}
	clock := int64(0)
	add(history.Event{Kind: history.KindNemesis, Type: history.Info, Time: 800e6, Nemesis: &history.Nemesis{Fault: "pause", Phase: history.NemesisStart, Target: "store"}})
	for clock < 2e9 {
		for w := int64(0); w < 4; w++ {
			op := history.OpPut
			if rng.Intn(2) == 0 {
				op = history.OpGet
			}
			lat := int64(20e3 + rng.Int63n(200e3))
			if clock > 800e6 && clock < 1200e6 {
				lat = 50e6
			}
			add(history.Event{Kind: history.KindOp, Type: history.Invoke, Process: w, Op: op, Time: clock})
			add(history.Event{Kind: history.KindOp, Type: history.OK, Process: w, Op: op, Time: clock + lat})
		}
		clock += 2e6
	}
	add(history.Event{Kind: history.KindNemesis, Type: history.Info, Time: 1200e6, Nemesis: &history.Nemesis{Fault: "pause", Phase: history.NemesisEnd, Target: "store"}})
	add(history.Event{Kind: history.KindNemesis, Type: history.Info, Time: 1500e6, Nemesis: &history.Nemesis{Fault: "compact", Phase: history.NemesisStart, Target: "store"}})
	add(history.Event{Kind: history.KindNemesis, Type: history.Info, Time: 1600e6, Nemesis: &history.Nemesis{Fault: "compact", Phase: history.NemesisEnd, Target: "store"}})
	return evs
}

func isPNG(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b, []byte("\x89PNG")) || len(b) < 2000 {
		t.Errorf("%s: not a plausible PNG (%d bytes)", path, len(b))
	}
}

func TestPlotLatency(t *testing.T) {
	evs := syntheticHistory()
	points, windows := latencyPoints(evs)
	if len(points) != (len(evs)-4)/2 {
		t.Errorf("%d points from %d op events", len(points), len(evs)-4)
	}
	if len(windows) != 2 || windows[0].From != 0.8 || windows[0].To != 1.2 || windows[0].Kind != "pause" || windows[1].Kind != "compact" {
		t.Errorf("windows = %+v, want pause 0.8..1.2 s and compact", windows)
	}
	shades := faultShades(windows)
	if len(shades) != 2 || shades["pause"] == shades["compact"] {
		t.Errorf("fault colours %v: want one distinct colour per kind", shades)
	}
	lat, _, err := latencyPlots(points, windows)
	if err != nil || !strings.Contains(lat.Title.Text, "fault") {
		t.Errorf("with faults: title %q, err %v", lat.Title.Text, err)
	}
	// No faults: no shading, and the title does not mention any.
	lat, _, err = latencyPlots(points, nil)
	if err != nil || strings.Contains(lat.Title.Text, "shaded") || strings.Contains(lat.Title.Text, "fault") {
		t.Errorf("without faults: title %q, err %v", lat.Title.Text, err)
	}
	dir := plotDir(t)
	path := filepath.Join(dir, "latency.png")
	if err := PlotLatency(evs, path); err != nil {
		t.Fatal(err)
	}
	isPNG(t, path)
	var noFaults []history.Event
	for _, e := range evs {
		if e.Kind != history.KindNemesis {
			noFaults = append(noFaults, e)
		}
	}
	if err := PlotLatency(noFaults, filepath.Join(dir, "latency-no-faults.png")); err != nil {
		t.Error(err)
	}
	if err := PlotLatency(evs, filepath.Join(dir, "latency.svg")); err != nil {
		t.Errorf("svg: %v", err)
	}
	if err := PlotLatency(evs, filepath.Join(dir, "latency.txt")); !errors.Is(err, ErrBadParameter) {
		t.Errorf("txt: err %v, want ErrBadParameter", err)
	}
	if err := PlotLatency(nil, filepath.Join(dir, "empty.png")); !errors.Is(err, ErrEmptySample) {
		t.Errorf("no events: err %v, want ErrEmptySample", err)
	}
}

func TestPlotQuantilesCliffLeak(t *testing.T) {
	dir := plotDir(t)
	var lat []float64
	for i := 1; i <= 5000; i++ {
		lat = append(lat, float64(i*100))
	}
	q := filepath.Join(dir, "q.png")
	if err := PlotQuantiles([]QuantileSeries{{"store put", lat}, {"raw put", lat[:100]}}, "put latency", q); err != nil {
		t.Fatal(err)
	}
	isPNG(t, q)
	c, err := DetectCliff("iterate.time", []float64{1e3, 1e4, 5e4, 1e5, 2e5}, []float64{1e6, 1e7, 5e7, 4e8, 8e8}, LowerIsBetter, 1, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(dir, "cliff.png")
	if err := PlotCliff(c, UnitNanos, cp); err != nil {
		t.Fatal(err)
	}
	isPNG(t, cp)
	l := &LeakFit{Cycles: 3}
	var xs, ys []float64
	for c := 1; c <= 3; c++ {
		r := RSS{VmRSS: uint64(100*mib + c*mib), RssAnon: uint64(60 * mib), RssFile: uint64(40*mib + c*mib)}
		l.Points = append(l.Points, LeakSample{Run: 0, Cycle: c, RSS: r})
		xs, ys = append(xs, float64(c)), append(ys, float64(r.VmRSS))
	}
	if l.VmRSS, err = FitLine(xs, ys, 0.95); err != nil {
		t.Fatal(err)
	}
	lp := filepath.Join(dir, "leak.png")
	if err := PlotLeak(l, lp); err != nil {
		t.Fatal(err)
	}
	isPNG(t, lp)
}

// plotDir is where test plots go: WARMCHECK_KEEP_PLOTS, to look at them,
// else a temporary directory.
func plotDir(t *testing.T) string {
	if d := os.Getenv("WARMCHECK_KEEP_PLOTS"); d != "" {
		return d
	}
	return t.TempDir()
}
