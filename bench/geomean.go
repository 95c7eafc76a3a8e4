package bench

import (
	"errors"
	"math"
	"sort"

	mstats "github.com/aclements/go-moremath/stats"
)

// Geomean is benchstat's summary row of a unit table: the geometric mean
// of each column's medians, and the geometric mean of the per-metric
// ratios new/base (not the ratio of the two geomeans, so that it stays
// the geomean of the changes when the metric sets differ).
type Geomean struct {
	Base, New       float64 // valid when HasBase, HasNew
	HasBase, HasNew bool
	Ratio           float64 // valid when HasRatio
	HasRatio        bool
	Notes           []string `json:"notes,omitempty"`
}

// Notes of a geomean row, worded as benchstat words them.
var (
	errGeomeanSets      = errors.New("benchmark set differs from baseline; geomeans may not be comparable")
	errGeomeanSummaries = errors.New("summaries must be >0 to compute geomean")
	errGeomeanRatios    = errors.New("ratios must be >0 to compute geomean")
)

// unitTables groups changes by unit (sorted), metrics sorted by name
// within each, with a geomean row where a table has more than one metric.
func unitTables(changes []MetricChange) []UnitTable {
	byUnit := map[string][]MetricChange{}
	for _, c := range changes {
		byUnit[c.Unit] = append(byUnit[c.Unit], c)
	}
	units := make([]string, 0, len(byUnit))
	for u := range byUnit {
		units = append(units, u)
	}
	sort.Strings(units)
	var out []UnitTable
	for _, u := range units {
		t := UnitTable{Unit: u, Changes: byUnit[u]}
		sort.Slice(t.Changes, func(i, j int) bool { return t.Changes[i].Metric < t.Changes[j].Metric })
		if len(t.Changes) > 1 {
			g := geomeanOf(t.Changes)
			t.Geomean = &g
		}
		out = append(out, t)
	}
	return out
}

// geomeanOf follows benchstat's summarizeCol: a 0/0 ratio counts as 1, a
// ratio over a zero base makes the ratio undefined ("?"), and a column
// with a median <= 0 has no geomean.
func geomeanOf(changes []MetricChange) Geomean {
	var g Geomean
	var bases, news, ratios []float64
	inBase, badRatio := 0, false
	for _, c := range changes {
		if c.Status != OnlyInNew {
			bases = append(bases, c.Base.Median)
			inBase++
		}
		if c.Status == OnlyInBase {
			continue
		}
		news = append(news, c.New.Median)
		if c.Status == OnlyInNew {
			continue
		}
		switch a, b := c.New.Median, c.Base.Median; {
		case a == b:
			ratios = append(ratios, 1)
		case b == 0:
			badRatio = true
			ratios = append(ratios, 0)
		default:
			ratios = append(ratios, a/b)
		}
	}
	var notes []error
	if inBase != len(ratios) || len(news) != len(ratios) {
		notes = append(notes, errGeomeanSets)
	}
	g.Base, g.HasBase = positiveGeomean(bases)
	g.New, g.HasNew = positiveGeomean(news)
	if (!g.HasBase && len(bases) > 0) || (!g.HasNew && len(news) > 0) {
		notes = append(notes, errGeomeanSummaries)
	}
	if !badRatio {
		if g.Ratio, g.HasRatio = positiveGeomean(ratios); !g.HasRatio {
			notes = append(notes, errGeomeanRatios)
		}
	}
	g.Notes = errorStrings(notes)
	return g
}

func positiveGeomean(xs []float64) (float64, bool) {
	gm := mstats.GeoMean(xs)
	return gm, !math.IsNaN(gm)
}
