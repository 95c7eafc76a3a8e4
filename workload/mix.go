package workload

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/warmcheck/warmcheck/history"
)

// Mix weighs the operations a worker draws. Weights are relative; zero
// means never.
type Mix struct {
	Put, Get, Remove, UpdateActivation, Iterate, Recall, Compact, Sync int
}

func (m Mix) total() int {
	return m.Put + m.Get + m.Remove + m.UpdateActivation + m.Iterate + m.Recall + m.Compact + m.Sync
}

func (m Mix) weights() [8]struct {
	op history.Op
	w  int
} {
	return [8]struct {
		op history.Op
		w  int
	}{
		{history.OpPut, m.Put}, {history.OpGet, m.Get}, {history.OpRemove, m.Remove},
		{history.OpUpdateActivation, m.UpdateActivation}, {history.OpIterate, m.Iterate},
		{history.OpRecall, m.Recall}, {history.OpCompact, m.Compact}, {history.OpSync, m.Sync},
	}
}

// draw picks an operation with probability proportional to its weight.
func (m Mix) draw(r *rand.Rand) history.Op {
	n := r.IntN(m.total())
	for _, e := range m.weights() {
		if n < e.w {
			return e.op
		}
		n -= e.w
	}
	panic("workload: mix weights changed during draw") // unreachable: total() > 0 checked by Validate
}

// String lists the non-zero weights as percentages, e.g. "put 40% get 40%".
func (m Mix) String() string {
	t := m.total()
	if t == 0 {
		return "empty"
	}
	names := [8]string{"put", "get", "remove", "update-activation", "iterate", "recall", "compact", "sync"}
	var parts []string
	for i, e := range m.weights() {
		if e.w > 0 {
			parts = append(parts, fmt.Sprintf("%s %.3g%%", names[i], 100*float64(e.w)/float64(t)))
		}
	}
	return strings.Join(parts, " ")
}

// Content sizes of the review's Zipf-like mix.
const (
	SmallSize  = 100
	MediumSize = 1024
	LargeSize  = 5 * 1024
)

// SizeMix weighs content sizes: Small (100 B), Medium (1 KB), Large (5 KB),
// Nil (no content at all) and Empty (present but zero bytes). Nil and empty
// stay distinct through the store, so both are exercised.
type SizeMix struct {
	Small, Medium, Large, Nil, Empty int
}

// DefaultSizes is the review's 90% 100 B, 9% 1 KB, 1% 5 KB, with a sliver
// of nil and empty content carved out of the small share.
var DefaultSizes = SizeMix{Small: 880, Medium: 90, Large: 10, Nil: 10, Empty: 10}

func (s SizeMix) total() int { return s.Small + s.Medium + s.Large + s.Nil + s.Empty }

// sizeNil is the draw for "no content" (distinct from an empty slice).
const sizeNil = -1

// draw returns a content length, or sizeNil.
func (s SizeMix) draw(r *rand.Rand) int {
	n := r.IntN(s.total())
	switch {
	case n < s.Small:
		return SmallSize
	case n < s.Small+s.Medium:
		return MediumSize
	case n < s.Small+s.Medium+s.Large:
		return LargeSize
	case n < s.Small+s.Medium+s.Large+s.Nil:
		return sizeNil
	}
	return 0
}

// String lists the non-zero size weights as percentages.
func (s SizeMix) String() string {
	t := s.total()
	if t == 0 {
		return "empty"
	}
	var parts []string
	for _, e := range []struct {
		name string
		w    int
	}{{"100B", s.Small}, {"1KB", s.Medium}, {"5KB", s.Large}, {"nil", s.Nil}, {"empty", s.Empty}} {
		if e.w > 0 {
			parts = append(parts, fmt.Sprintf("%s %.3g%%", e.name, 100*float64(e.w)/float64(t)))
		}
	}
	return strings.Join(parts, " ")
}

// Issued lists the operations the workers issue under p: every operation of
// the mix with a non-zero weight, and get when the workers read back.
func (p Params) Issued() []history.Op {
	var out []history.Op
	for _, e := range p.Mix.weights() {
		if e.w > 0 || (e.op == history.OpGet && p.ReadBack) {
			out = append(out, e.op)
		}
	}
	return out
}

// WritesContent reports whether the store holds content bytes under p: the
// preload or the workers put, and some puts carry content (not only nil or
// empty). Compactions move content only then.
func (p Params) WritesContent() bool {
	return (p.Mix.Put > 0 || p.Preload > 0) && p.Sizes.Small+p.Sizes.Medium+p.Sizes.Large > 0
}
