package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// footnotes numbers distinct notes in order of first use, as benchstat's
// superscripts do.
type footnotes struct {
	list []string
	at   map[string]int
}

// mark returns the superscript marks of notes (" ¹ ²"), numbering new ones.
func (f *footnotes) mark(notes ...[]string) string {
	if f.at == nil {
		f.at = map[string]int{}
	}
	var b strings.Builder
	for _, ns := range notes {
		for _, n := range ns {
			i, ok := f.at[n]
			if !ok {
				f.list = append(f.list, n)
				i = len(f.list)
				f.at[n] = i
			}
			b.WriteString(" " + superscript(i))
		}
	}
	return b.String()
}

func (f *footnotes) write(w io.Writer) error {
	for i, n := range f.list {
		if _, err := fmt.Fprintf(w, "%s %s\n", superscript(i+1), n); err != nil {
			return err
		}
	}
	return nil
}

func superscript(i int) string {
	const digits = "⁰¹²³⁴⁵⁶⁷⁸⁹"
	d := []rune(digits)
	s := fmt.Sprint(i)
	var b strings.Builder
	for _, c := range s {
		b.WriteRune(d[c-'0'])
	}
	return b.String()
}

// WriteText prints a comparison as benchstat does: one table per unit,
// each metric's median ± the relative 95% interval per side, the delta
// ("~" when p > alpha) with "(p=... n=...)", a geomean row, footnotes;
// then the gate's column and verdict.
func (c *Comparison) WriteText(w io.Writer) error {
	directional := 0
	for _, m := range c.Changes() {
		if m.Direction != Informational && m.Status != OnlyInBase && m.Status != OnlyInNew {
			directional++
		}
	}
	fmt.Fprintf(w, "profile %s: medians ± 95%% interval; Mann-Whitney U, two-sided; \"~\" means p > alpha %g (no significant difference)\n", c.Profile, c.Alpha)
	gate := "p"
	if c.Correction == "holm" {
		gate = fmt.Sprintf("p adjusted by Holm-Bonferroni over %d directional metrics", directional)
	}
	fmt.Fprintf(w, "gate: regressed = %s <= %g and worse by more than %.3g%%\n", gate, c.Alpha, c.Threshold*100)
	for _, warn := range c.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
	var notes footnotes
	for _, t := range c.Tables {
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintf(tw, "\n%s\tbase\tnew\tvs base\t\tgate\n", t.Unit)
		for _, m := range t.Changes {
			writeChangeRow(tw, m, &notes)
		}
		if g := t.Geomean; g != nil {
			writeGeomeanRow(tw, *g, t.Unit, &notes)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if err := notes.write(w); err != nil {
		return err
	}
	return c.writeVerdict(w)
}

func sideCell(s SampleSummary, unit string, notes *footnotes) string {
	return fmt.Sprintf("%s ± %s%s", FormatValue(s.Median, unit), s.Range, notes.mark(s.Notes))
}

func writeChangeRow(w io.Writer, m MetricChange, notes *footnotes) {
	switch m.Status {
	case OnlyInBase:
		fmt.Fprintf(w, "%s\t%s\t\t\t\t%s\n", m.Metric, sideCell(m.Base, m.Unit, notes), m.Status)
		return
	case OnlyInNew:
		fmt.Fprintf(w, "%s\t\t%s\t\t\t%s\n", m.Metric, sideCell(m.New, m.Unit, notes), m.Status)
		return
	}
	gate := string(m.Status)
	switch {
	case m.Direction == Informational:
		gate = "info: " + gate
	case m.AdjustedP != m.P:
		gate += fmt.Sprintf(" (adj. p=%.3f)", m.AdjustedP)
	}
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\t(%s)%s\t%s\n", m.Metric, sideCell(m.Base, m.Unit, notes), sideCell(m.New, m.Unit, notes),
		m.Delta, m.Test, notes.mark(m.Notes), gate)
}

func writeGeomeanRow(w io.Writer, g Geomean, unit string, notes *footnotes) {
	cell := func(v float64, ok bool) string {
		if !ok {
			return "?"
		}
		return FormatValue(v, unit)
	}
	ratio := "?"
	if g.HasRatio {
		ratio = fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)
	}
	fmt.Fprintf(w, "geomean\t%s\t%s\t%s\t%s\t\n", cell(g.Base, g.HasBase), cell(g.New, g.HasNew), ratio, notes.mark(g.Notes))
}

func (c *Comparison) writeVerdict(w io.Writer) error {
	var regressed, tooFew []string
	for _, m := range c.Changes() {
		switch {
		case m.Status == Regressed:
			regressed = append(regressed, m.Metric)
		case m.Status == TooFewRuns && m.Direction != Informational:
			tooFew = append(tooFew, m.Metric)
		}
	}
	var err error
	switch c.Verdict() {
	case Regression:
		_, err = fmt.Fprintf(w, "REGRESSION: %d metric(s) regressed: %s\n", len(regressed), strings.Join(regressed, ", "))
	case CompareUnknown:
		why := "no directional metric in both results"
		if len(tooFew) > 0 {
			why = fmt.Sprintf("too few runs to detect a change in %d metric(s) (%s); use more --runs on both", len(tooFew), strings.Join(tooFew, ", "))
		}
		_, err = fmt.Fprintf(w, "UNKNOWN: no regression found, but %s\n", why)
	default:
		_, err = fmt.Fprintln(w, "no regression")
	}
	return err
}
