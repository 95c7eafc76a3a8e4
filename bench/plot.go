package bench

import (
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/warmcheck/warmcheck/history"
)

// opPoint is one completed operation on the latency-over-time plot.
type opPoint struct {
	Start   float64 // seconds since run start (the invoke)
	Latency float64 // seconds
	Series  string  // e.g. "put ok"
}

// faultWindow is a shaded interval, in seconds since run start. Kind is
// the fault (pause, panic, ...): one colour per kind; Label adds the
// target.
type faultWindow struct {
	From, To float64
	Kind     string
	Label    string
}

// rateBucket is the width, in seconds, of one bar of the rate plot; chosen
// per plot so that a run has about 100 buckets.
func rateBucket(span float64) float64 {
	if span <= 0 {
		return 1
	}
	b := math.Pow(10, math.Floor(math.Log10(span/100)))
	if span/b > 250 {
		b *= 5
	} else if span/b > 100 {
		b *= 2
	}
	return b
}

// PlotLatency draws, as Jepsen's perf checker does, two panels into path
// (.png or .svg): every completed operation's latency over time (log
// scale, one colour per operation and outcome) and completions per second
// over time per operation, both with fault windows (nemesis start to end)
// shaded in one colour per fault kind, with a key. Without faults there is
// no shading and no mention of it. Legends sit right of the data.
// Operations that never completed are not drawn.
func PlotLatency(events []history.Event, path string) error {
	points, windows := latencyPoints(events)
	return plotLatencyPoints(points, windows, path)
}

// latencyPoints pairs every invoke with its process's completion, and every
// nemesis start with the next end of the same fault and target. A fault
// that never ends is shaded to the last event.
func latencyPoints(events []history.Event) ([]opPoint, []faultWindow) {
	const sec = 1e9
	open := map[int64]history.Event{}
	openFault := map[string]float64{}
	var points []opPoint
	var windows []faultWindow
	last := 0.0
	for _, e := range events {
		last = math.Max(last, float64(e.Time)/sec)
		switch e.Kind {
		case history.KindOp:
			if e.Type == history.Invoke {
				open[e.Process] = e
				continue
			}
			inv, ok := open[e.Process]
			if !ok {
				continue
			}
			delete(open, e.Process)
			points = append(points, opPoint{
				Start:   float64(inv.Time) / sec,
				Latency: float64(e.Time-inv.Time) / sec,
				Series:  inv.Op.String() + " " + e.Type.String(),
			})
		case history.KindNemesis:
			if e.Nemesis == nil {
				continue
			}
			key := e.Nemesis.Fault + "/" + e.Nemesis.Target
			switch e.Nemesis.Phase {
			case history.NemesisStart:
				openFault[key] = float64(e.Time) / sec
			case history.NemesisEnd:
				if from, ok := openFault[key]; ok {
					windows = append(windows, faultWindow{From: from, To: float64(e.Time) / sec, Kind: e.Nemesis.Fault, Label: key})
					delete(openFault, key)
				}
			}
		}
	}
	for key, from := range openFault {
		kind, _, _ := strings.Cut(key, "/")
		windows = append(windows, faultWindow{From: from, To: last, Kind: kind, Label: key})
	}
	sort.Slice(windows, func(i, j int) bool { return windows[i].From < windows[j].From })
	return points, windows
}

func plotLatencyPoints(points []opPoint, windows []faultWindow, path string) error {
	if len(points) == 0 {
		return fmt.Errorf("%w: no completed operations to plot for %s", ErrEmptySample, path)
	}
	lat, rate, err := latencyPlots(points, windows)
	if err != nil {
		return fmt.Errorf("bench: plot %s: %w", path, err)
	}
	return saveStacked(path, 22*vg.Centimeter, 10*vg.Centimeter, lat, rate)
}

// latencyPlots builds the two panels of PlotLatency; points is not empty.
func latencyPlots(points []opPoint, windows []faultWindow) (lat, rate *plot.Plot, err error) {
	span := 0.0
	for _, p := range points {
		span = math.Max(span, p.Start+p.Latency)
	}
	for _, w := range windows {
		span = math.Max(span, w.To)
	}
	shades := faultShades(windows)
	if lat, err = latencyPanel(points, windows, shades, span); err != nil {
		return nil, nil, err
	}
	if rate, err = ratePanel(points, windows, shades, span); err != nil {
		return nil, nil, err
	}
	return lat, rate, nil
}

// latencyPanel is every completed operation's latency over time, log
// scale, one colour per operation and outcome.
func latencyPanel(points []opPoint, windows []faultWindow, shades map[string]color.NRGBA, span float64) (*plot.Plot, error) {
	series := map[string]plotter.XYs{}
	minLat, maxLat := math.Inf(1), 0.0
	for _, p := range points {
		ms := math.Max(p.Latency, 1e-9) * 1e3 // a log axis cannot show 0
		series[p.Series] = append(series[p.Series], plotter.XY{X: p.Start, Y: ms})
		minLat, maxLat = math.Min(minLat, ms), math.Max(maxLat, ms)
	}
	lat := plot.New()
	lat.Title.Text = "Latency over time"
	if len(windows) > 0 {
		lat.Title.Text += " (shaded: fault windows, by kind)"
	}
	lat.X.Label.Text = "time since start (s)"
	lat.Y.Label.Text = "latency (ms)"
	lat.Y.Scale, lat.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	lat.Y.Min, lat.Y.Max = minLat/1.5, maxLat*1.5
	lat.X.Min, lat.X.Max = 0, span
	key, err := shade(lat, windows, shades, lat.Y.Min, lat.Y.Max)
	if err != nil {
		return nil, err
	}
	for i, name := range sortedKeys(series) {
		s, err := plotter.NewScatter(series[name])
		if err != nil {
			return nil, err
		}
		s.GlyphStyle.Color = plotutil.Color(i)
		s.GlyphStyle.Shape = plotutil.Shape(i)
		s.GlyphStyle.Radius = vg.Points(1.2)
		lat.Add(s)
		lat.Legend.Add(name, s)
	}
	addFaultKey(lat, key)
	return lat, nil
}

// ratePanel is completions per second over time per operation.
func ratePanel(points []opPoint, windows []faultWindow, shades map[string]color.NRGBA, span float64) (*plot.Plot, error) {
	rate := plot.New()
	rate.Title.Text = "Throughput over time"
	rate.X.Label.Text = "time since start (s)"
	rate.Y.Label.Text = "completions/s"
	rate.X.Min, rate.X.Max = 0, span
	bucket := rateBucket(span)
	nb := int(math.Ceil(span/bucket)) + 1
	byOp := map[string][]float64{}
	maxRate := 0.0
	for _, p := range points {
		op, _, _ := strings.Cut(p.Series, " ")
		if byOp[op] == nil {
			byOp[op] = make([]float64, nb)
		}
		i := int((p.Start + p.Latency) / bucket)
		byOp[op][i] += 1 / bucket
		maxRate = math.Max(maxRate, byOp[op][i])
	}
	rate.Y.Min, rate.Y.Max = 0, maxRate*1.1+1
	key, err := shade(rate, windows, shades, 0, rate.Y.Max)
	if err != nil {
		return nil, err
	}
	for i, op := range sortedKeys(byOp) {
		xys := make(plotter.XYs, nb)
		for b, v := range byOp[op] {
			xys[b] = plotter.XY{X: float64(b) * bucket, Y: v}
		}
		l, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		l.StepStyle = plotter.PostStep
		l.LineStyle.Color = plotutil.Color(i)
		rate.Add(l)
		rate.Legend.Add(op, l)
	}
	addFaultKey(rate, key)
	return rate, nil
}

// faultPalette holds translucent colours, light enough for the points to
// show through and apart from plotutil's series colours; kinds beyond it
// reuse it in order.
var faultPalette = []color.NRGBA{
	{R: 0xf0, G: 0xa0, B: 0x40, A: 0x60}, // orange
	{R: 0x90, G: 0x60, B: 0xd0, A: 0x50}, // violet
	{R: 0x40, G: 0xb0, B: 0x90, A: 0x50}, // teal
	{R: 0xe0, G: 0x50, B: 0x80, A: 0x50}, // pink
	{R: 0x80, G: 0x80, B: 0x80, A: 0x50}, // grey
	{R: 0xc0, G: 0xb0, B: 0x20, A: 0x60}, // olive
}

// faultShades gives each fault kind in windows its colour, in sorted kind
// order so that a kind keeps its colour across the panels of a plot.
func faultShades(windows []faultWindow) map[string]color.NRGBA {
	kinds := map[string]color.NRGBA{}
	for _, w := range windows {
		kinds[w.Kind] = color.NRGBA{}
	}
	for i, k := range sortedKeys(kinds) {
		kinds[k] = faultPalette[i%len(faultPalette)]
	}
	return kinds
}

// faultKey is one legend entry per fault kind: its name and a swatch.
type faultKey struct {
	kind   string
	swatch plot.Thumbnailer
}

// shade adds one translucent band per fault window spanning [ylo, yhi],
// coloured by kind, and returns the key of the kinds drawn.
func shade(p *plot.Plot, windows []faultWindow, shades map[string]color.NRGBA, ylo, yhi float64) ([]faultKey, error) {
	swatches := map[string]plot.Thumbnailer{}
	for _, w := range windows {
		to := math.Max(w.To, w.From+1e-6)
		poly, err := plotter.NewPolygon(plotter.XYs{{X: w.From, Y: ylo}, {X: to, Y: ylo}, {X: to, Y: yhi}, {X: w.From, Y: yhi}})
		if err != nil {
			return nil, fmt.Errorf("bench: shade %s: %w", w.Label, err)
		}
		poly.Color = shades[w.Kind]
		poly.LineStyle.Width = 0
		poly.LineStyle.Color = color.Transparent
		p.Add(poly)
		swatches[w.Kind] = poly
	}
	var key []faultKey
	for _, k := range sortedKeys(swatches) {
		key = append(key, faultKey{k, swatches[k]})
	}
	return key, nil
}

// addFaultKey appends the fault kinds to p's legend, after its series.
func addFaultKey(p *plot.Plot, key []faultKey) {
	for _, k := range key {
		p.Legend.Add("fault: "+k.kind, k.swatch)
	}
}

// QuantileSeries is one latency distribution for PlotQuantiles.
type QuantileSeries struct {
	Name  string
	Nanos []float64 // any order
}

// plotQuantileLevels are the quantiles drawn, in "nines": q = 1 - 10^-x.
var plotQuantileLevels = []float64{0, 0.5, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9999}

// PlotQuantiles draws each series' latency quantiles (p0 .. p99.99 and the
// max) against the number of nines, log-scale latency, into path.
func PlotQuantiles(series []QuantileSeries, title, path string) error {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "quantile (nines: 1 = p90, 2 = p99, 3 = p99.9; last point = max)"
	p.Y.Label.Text = "latency (us)"
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	drawn := 0
	for i, s := range series {
		if len(s.Nanos) == 0 {
			continue
		}
		sorted := append([]float64(nil), s.Nanos...)
		sort.Float64s(sorted)
		var xys plotter.XYs
		for _, q := range plotQuantileLevels {
			if q > 0 && 1/(1-q) > float64(len(sorted)) {
				break // the sample cannot resolve this quantile
			}
			xys = append(xys, plotter.XY{X: -math.Log10(1 - q), Y: math.Max(Quantile(sorted, q), 1) / 1e3})
		}
		last := 0.0
		if len(xys) > 0 {
			last = xys[len(xys)-1].X
		}
		xys = append(xys, plotter.XY{X: last + 0.5, Y: math.Max(sorted[len(sorted)-1], 1) / 1e3})
		l, pts, err := plotter.NewLinePoints(xys)
		if err != nil {
			return fmt.Errorf("bench: plot %s: %w", path, err)
		}
		l.Color, pts.Color, pts.Shape = plotutil.Color(i), plotutil.Color(i), plotutil.Shape(i)
		p.Add(l, pts)
		p.Legend.Add(s.Name, l, pts)
		drawn++
	}
	if drawn == 0 {
		return fmt.Errorf("%w: no latencies to plot for %s", ErrEmptySample, path)
	}
	return saveStacked(path, 16*vg.Centimeter, 10*vg.Centimeter, p)
}

// PlotCliff draws a metric over the scales (log-log) with what the trend of
// the smaller scales predicted at each larger one, marking the cliff.
func PlotCliff(c Cliff, unit, path string) error {
	if len(c.Points) == 0 {
		return fmt.Errorf("%w: cliff %s has no points", ErrEmptySample, c.Metric)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("%s over scale", c.Metric)
	if c.Found {
		p.Title.Text += fmt.Sprintf(": cliff at %g (%.2fx off trend)", c.Scale, c.Badness)
	}
	p.X.Label.Text = "memories (log)"
	p.Y.Label.Text = c.Metric + " (" + unit + ", log)"
	p.X.Scale, p.X.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
	var actual, predicted plotter.XYs
	for _, s := range c.Points {
		actual = append(actual, plotter.XY{X: s.Scale, Y: s.Value})
		if s.Predicted > 0 {
			predicted = append(predicted, plotter.XY{X: s.Scale, Y: s.Predicted})
		}
	}
	l, pts, err := plotter.NewLinePoints(actual)
	if err != nil {
		return fmt.Errorf("bench: plot %s: %w", path, err)
	}
	p.Add(l, pts)
	p.Legend.Add("measured (median of runs)", l, pts)
	if len(predicted) > 0 {
		pp, err := plotter.NewScatter(predicted)
		if err != nil {
			return fmt.Errorf("bench: plot %s: %w", path, err)
		}
		pp.Color, pp.Shape = plotutil.Color(1), plotutil.Shape(3)
		p.Add(pp)
		p.Legend.Add("predicted from smaller scales", pp)
	}
	return saveStacked(path, 16*vg.Centimeter, 10*vg.Centimeter, p)
}

// PlotLeak draws RSS (MiB) after every cycle of every run with the fitted
// line of each RSS figure.
func PlotLeak(l *LeakFit, path string) error {
	if l == nil || len(l.Points) == 0 {
		return fmt.Errorf("%w: no leak samples for %s", ErrEmptySample, path)
	}
	p := plot.New()
	p.Title.Text = fmt.Sprintf("RSS per cycle: VmRSS slope %s/cycle [%s, %s]",
		FormatValue(l.VmRSS.Slope, UnitBytes), FormatValue(l.VmRSS.SlopeLo, UnitBytes), FormatValue(l.VmRSS.SlopeHi, UnitBytes))
	p.X.Label.Text = "cycle"
	p.Y.Label.Text = "MiB"
	figures := []struct {
		name string
		get  func(LeakSample) uint64
		fit  Fit
	}{
		{"VmRSS", func(s LeakSample) uint64 { return s.VmRSS }, l.VmRSS},
		{"RssAnon", func(s LeakSample) uint64 { return s.RssAnon }, l.Anon},
		{"RssFile", func(s LeakSample) uint64 { return s.RssFile }, l.File},
	}
	for i, f := range figures {
		var xys plotter.XYs
		for _, s := range l.Points {
			xys = append(xys, plotter.XY{X: float64(s.Cycle), Y: float64(f.get(s)) / mib})
		}
		sc, err := plotter.NewScatter(xys)
		if err != nil {
			return fmt.Errorf("bench: plot %s: %w", path, err)
		}
		sc.Color, sc.Shape = plotutil.Color(i), plotutil.Shape(i)
		fit := f.fit
		line := plotter.NewFunction(func(x float64) float64 { return (fit.Intercept + fit.Slope*x) / mib })
		line.Color = plotutil.Color(i)
		p.Add(sc, line)
		p.Legend.Add(f.name, sc, line)
	}
	return saveStacked(path, 16*vg.Centimeter, 10*vg.Centimeter, p)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
