package bench

import (
	"fmt"
	"math"
)

// DefaultCliffFactor is how far (as a ratio, in the bad direction) a value
// must miss the trend of the smaller scales to count as a cliff.
const DefaultCliffFactor = 2.0

// Cliff says whether a metric measured over increasing scales breaks the
// trend of its smaller scales.
//
// Method: a healthy store's metrics follow known power laws of the scale
// N: a rate or a latency is flat (exponent 0), an iteration time or an RSS
// growth is linear (exponent 1). Each value is normalized to a per-N^k
// figure (k the metric's exponent): per-memory iteration time, per-memory
// RSS, the rate itself. The trend of the smaller scales is the median of
// their normalized values, and the badness at scale j is normalized(j) /
// trend for a lower-is-better metric (trend / normalized(j) for a
// higher-is-better one). The first scale whose badness exceeds Factor is
// the cliff. (A free log-log fit was tried first: with two or three small,
// noisy scales its slope is unstable and it extrapolates phantom cliffs.)
// Absolute is the first scale that misses the review's absolute threshold
// (if the metric has one), independently of the trend.
type Cliff struct {
	Metric    string      `json:"metric"`
	Exponent  float64     `json:"exponent"`
	Factor    float64     `json:"factor"`
	Found     bool        `json:"found"`
	Scale     float64     `json:"scale,omitempty"`     // first scale that breaks the trend
	Badness   float64     `json:"badness,omitempty"`   // its ratio to the trend, in the bad direction
	Predicted float64     `json:"predicted,omitempty"` // what the trend predicted there
	Points    []CliffStep `json:"points"`
	// AbsoluteLimit is the review's threshold, 0 when there is none.
	AbsoluteLimit float64 `json:"absolute_limit,omitempty"`
	AbsoluteFound bool    `json:"absolute_found"`
	AbsoluteScale float64 `json:"absolute_scale,omitempty"`
}

// CliffStep is one scale's value and, from the second scale on, what the
// trend of the smaller scales predicted for it.
type CliffStep struct {
	Scale     float64 `json:"scale"`
	Value     float64 `json:"value"`
	Predicted float64 `json:"predicted,omitempty"`
	Badness   float64 `json:"badness,omitempty"`
}

// DetectCliff looks for a break in values (one per scale, scales strictly
// increasing, all values > 0). exponent is the metric's healthy power law
// (0 flat, 1 linear); absoluteLimit is the review's threshold in the
// metric's unit (0 for none): exceeded for lower-is-better metrics,
// undershot for higher-is-better ones.
func DetectCliff(metric string, scales, values []float64, dir Direction, exponent, factor, absoluteLimit float64) (Cliff, error) {
	if len(scales) != len(values) {
		return Cliff{}, fmt.Errorf("%w: %s: %d scales, %d values", ErrBadSample, metric, len(scales), len(values))
	}
	if factor <= 1 {
		return Cliff{}, fmt.Errorf("%w: cliff factor %v must exceed 1", ErrBadParameter, factor)
	}
	c := Cliff{Metric: metric, Exponent: exponent, Factor: factor, AbsoluteLimit: absoluteLimit}
	norm := make([]float64, len(scales))
	for i := range scales {
		if i > 0 && scales[i] <= scales[i-1] {
			return Cliff{}, fmt.Errorf("%w: %s: scales not increasing at %v", ErrBadSample, metric, scales[i])
		}
		if !(values[i] > 0) || math.IsInf(values[i], 0) || !(scales[i] > 0) {
			return Cliff{}, fmt.Errorf("%w: %s: value %v at scale %v is not positive and finite", ErrBadSample, metric, values[i], scales[i])
		}
		norm[i] = values[i] / math.Pow(scales[i], exponent)
		c.Points = append(c.Points, CliffStep{Scale: scales[i], Value: values[i]})
	}
	for j := 1; j < len(scales); j++ {
		trend := Quantile(sortedCopy(norm[:j]), 0.5)
		pred := trend * math.Pow(scales[j], exponent)
		bad := norm[j] / trend
		if dir == HigherIsBetter {
			bad = trend / norm[j]
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
