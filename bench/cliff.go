package bench

import (
	"fmt"
	"math"
)

// DefaultCliffFactor is how far (as a ratio, in the bad direction) a value
// must miss the trend of the smaller scales to count as a cliff.
const DefaultCliffFactor = 2.0

// CliffMinFit is the fewest smaller scales a trend is fitted on.
const CliffMinFit = 2

// Cliff says whether a metric measured over increasing scales breaks the
// trend of its smaller scales.
//
// Method: for each scale j >= CliffMinFit, fit log(value) = a + b*log(scale)
// by least squares on scales 0..j-1 and predict scale j. The badness at j is
// actual/predicted for a lower-is-better metric and predicted/actual for a
// higher-is-better one. The first j whose badness exceeds Factor is the
// cliff. Power laws (a flat rate, a linear iteration time) are straight
// lines in log-log, so a healthy store never trips this however steep its
// trend is; a store that falls off a cache or starts to thrash does.
// Absolute is the first scale that misses the review's absolute threshold
// (if the metric has one), independently of the trend.
type Cliff struct {
	Metric    string      `json:"metric"`
	Factor    float64     `json:"factor"`
	Found     bool        `json:"found"`
	Scale     float64     `json:"scale,omitempty"`     // first scale that breaks the trend
	Badness   float64     `json:"badness,omitempty"`   // its actual/predicted ratio, in the bad direction
	Predicted float64     `json:"predicted,omitempty"` // what the trend predicted there
	Points    []CliffStep `json:"points"`
	// AbsoluteLimit is the review's threshold, 0 when there is none.
	AbsoluteLimit float64 `json:"absolute_limit,omitempty"`
	AbsoluteFound bool    `json:"absolute_found"`
	AbsoluteScale float64 `json:"absolute_scale,omitempty"`
}

// CliffStep is one scale's value and, from the third scale on, what the
// trend of the smaller scales predicted for it.
type CliffStep struct {
	Scale     float64 `json:"scale"`
	Value     float64 `json:"value"`
	Predicted float64 `json:"predicted,omitempty"`
	Badness   float64 `json:"badness,omitempty"`
}

// DetectCliff looks for a break in values (one per scale, scales strictly
// increasing, all values > 0). absoluteLimit is the review's threshold in
// the metric's unit (0 for none): exceeded for lower-is-better metrics,
// undershot for higher-is-better ones.
func DetectCliff(metric string, scales, values []float64, dir Direction, factor, absoluteLimit float64) (Cliff, error) {
	if len(scales) != len(values) {
		return Cliff{}, fmt.Errorf("%w: %s: %d scales, %d values", ErrBadSample, metric, len(scales), len(values))
	}
	if factor <= 1 {
		return Cliff{}, fmt.Errorf("%w: cliff factor %v must exceed 1", ErrBadParameter, factor)
	}
	c := Cliff{Metric: metric, Factor: factor, AbsoluteLimit: absoluteLimit}
	for i := range scales {
		if i > 0 && scales[i] <= scales[i-1] {
			return Cliff{}, fmt.Errorf("%w: %s: scales not increasing at %v", ErrBadSample, metric, scales[i])
		}
		if !(values[i] > 0) || math.IsInf(values[i], 0) {
			return Cliff{}, fmt.Errorf("%w: %s: value %v at scale %v is not positive and finite", ErrBadSample, metric, values[i], scales[i])
		}
		c.Points = append(c.Points, CliffStep{Scale: scales[i], Value: values[i]})
	}
	for j := CliffMinFit; j < len(scales); j++ {
		a, b := logLogLine(scales[:j], values[:j])
		pred := math.Exp(a + b*math.Log(scales[j]))
		bad := values[j] / pred
		if dir == HigherIsBetter {
			bad = pred / values[j]
		}
		c.Points[j].Predicted, c.Points[j].Badness = pred, bad
		if !c.Found && bad > factor {
			c.Found, c.Scale, c.Badness, c.Predicted = true, scales[j], bad, pred
		}
	}
	if absoluteLimit > 0 {
		for i, v := range values {
			if (dir == LowerIsBetter && v > absoluteLimit) || (dir == HigherIsBetter && v < absoluteLimit) {
				c.AbsoluteFound, c.AbsoluteScale = true, scales[i]
				break
			}
		}
	}
	return c, nil
}

// logLogLine is the least-squares line through (log x, log y); with one
// point it is flat.
func logLogLine(x, y []float64) (a, b float64) {
	n := float64(len(x))
	var sx, sy, sxx, sxy float64
	for i := range x {
		lx, ly := math.Log(x[i]), math.Log(y[i])
		sx += lx
		sy += ly
		sxx += lx * lx
		sxy += lx * ly
	}
	den := n*sxx - sx*sx
	if len(x) < 2 || den == 0 {
		return sy / n, 0
	}
	b = (n*sxy - sx*sy) / den
	return (sy - b*sx) / n, b
}
