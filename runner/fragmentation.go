package runner

import (
	"context"
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/warmcheck/warmcheck/client"
	"github.com/warmcheck/warmcheck/store"
)

// FragSample is the store's content accounting at one moment of a run.
type FragSample struct {
	AtNanos           int64   `json:"t_ns"` // since the run started (the history's clock)
	Fragmentation     float64 `json:"fragmentation"`
	ContentBytesTotal uint64  `json:"content_bytes_total"`
	ContentBytesLive  uint64  `json:"content_bytes_live"`
	Epoch             uint64  `json:"epoch"`
}

// Fragmentation is the series metrics.json keeps and report.html plots:
// the store's fragmentation sampled through unrecorded Stats calls while
// the workers ran (a paused or restarting store leaves a gap).
type Fragmentation struct {
	EveryNanos int64 `json:"every_ns"` // the sampling period at the end (it doubles as the series is thinned)
	// Threshold is the fragmentation at which the store warns (and, with
	// auto-compaction on, compacts).
	Threshold   float64      `json:"threshold"`
	AutoCompact bool         `json:"auto_compact"`
	Samples     []FragSample `json:"samples"`
}

// Sampling: every fragSampleEvery, at most maxFragSamples kept (past that,
// every other sample is dropped and the period doubles), each Stats call
// bounded by fragStatsTimeout.
const (
	fragSampleEvery  = 20 * time.Millisecond
	maxFragSamples   = 2000
	fragStatsTimeout = time.Second
)

// sampleFragmentation samples c until ctx ends; now is the history's clock.
func sampleFragmentation(ctx context.Context, c client.Client, now func() int64, ac store.AutoCompact) *Fragmentation {
	f := &Fragmentation{EveryNanos: int64(fragSampleEvery), Threshold: ac.Threshold, AutoCompact: ac.Enabled}
	if f.Threshold == 0 {
		f.Threshold = store.DefaultFragmentationThreshold
	}
	t := time.NewTicker(fragSampleEvery)
	defer t.Stop()
	for {
		sctx, cancel := context.WithTimeout(ctx, fragStatsTimeout)
		st, err := c.Stats(sctx)
		cancel()
		if err == nil {
			f.Samples = append(f.Samples, FragSample{AtNanos: now(), Fragmentation: st.Fragmentation,
				ContentBytesTotal: st.ContentBytesTotal, ContentBytesLive: st.ContentBytesLive, Epoch: st.Epoch})
		}
		if len(f.Samples) > maxFragSamples {
			f.thin()
			t.Reset(time.Duration(f.EveryNanos))
		}
		select {
		case <-ctx.Done():
			return f
		case <-t.C:
		}
	}
}

// thin drops every other sample and doubles the period.
func (f *Fragmentation) thin() {
	kept := f.Samples[:0]
	for i := 0; i < len(f.Samples); i += 2 {
		kept = append(kept, f.Samples[i])
	}
	f.Samples = kept
	f.EveryNanos *= 2
}

// Plot dimensions of the report's fragmentation chart, in SVG units.
const (
	plotW, plotH = 800.0, 160.0
)

// SVG draws the series as an inline chart: fragmentation (0 to 1) over run
// time, the threshold dashed. Empty when there are fewer than two samples.
func (f *Fragmentation) SVG() template.HTML {
	if f == nil || len(f.Samples) < 2 {
		return ""
	}
	t0, t1 := f.Samples[0].AtNanos, f.Samples[len(f.Samples)-1].AtNanos
	span := float64(max(t1-t0, 1))
	var pts strings.Builder
	for _, s := range f.Samples {
		fmt.Fprintf(&pts, "%.1f,%.1f ", plotW*float64(s.AtNanos-t0)/span, plotH*(1-min(max(s.Fragmentation, 0), 1)))
	}
	y := plotH * (1 - f.Threshold)
	// Numbers only come from the series: nothing to escape.
	return template.HTML(fmt.Sprintf(`<svg viewBox="-40 -10 %g %g" width="100%%" style="max-width:%gpx" role="img" aria-label="fragmentation over time">`+
		`<rect x="0" y="0" width="%g" height="%g" fill="none" stroke="#999"/>`+
		`<line x1="0" y1="%.1f" x2="%g" y2="%.1f" stroke="#c33" stroke-dasharray="6 4"/>`+
		`<text x="-36" y="%.1f" font-size="11" fill="#c33">%.2f</text><text x="-36" y="10" font-size="11">1</text><text x="-36" y="%g" font-size="11">0</text>`+
		`<polyline fill="none" stroke="#36c" stroke-width="1.5" points="%s"/>`+
		`<text x="0" y="%g" font-size="11">%s</text><text x="%g" y="%g" font-size="11" text-anchor="end">%s</text></svg>`,
		plotW+50, plotH+30, plotW+50, plotW, plotH, y, plotW, y, y+4, f.Threshold, plotH,
		strings.TrimSpace(pts.String()), plotH+16, fmtDur(time.Duration(t0)), plotW, plotH+16, fmtDur(time.Duration(t1))))
}
