package bench

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
)

// FormatValue renders v in unit for people: times scaled to ns/us/ms/s,
// bytes to B/KiB/MiB/GiB, rates with thousands separators.
func FormatValue(v float64, unit string) string {
	switch unit {
	case UnitNanos:
		switch a := math.Abs(v); {
		case a >= 1e9:
			return fmt.Sprintf("%.3g s", v/1e9)
		case a >= 1e6:
			return fmt.Sprintf("%.3g ms", v/1e6)
		case a >= 1e3:
			return fmt.Sprintf("%.3g us", v/1e3)
		}
		return fmt.Sprintf("%.3g ns", v)
	case UnitBytes, UnitBytesPer, UnitBytesMem:
		suffix := unit[1:] // "", "/cycle", "/memory"
		switch a := math.Abs(v); {
		case a >= 1<<30:
			return fmt.Sprintf("%.3g GiB%s", v/(1<<30), suffix)
		case a >= 1<<20:
			return fmt.Sprintf("%.3g MiB%s", v/(1<<20), suffix)
		case a >= 1<<10:
			return fmt.Sprintf("%.3g KiB%s", v/(1<<10), suffix)
		}
		return fmt.Sprintf("%.3g B%s", v, suffix)
	case UnitOpsSec, UnitItemsSec:
		return fmt.Sprintf("%s %s", thousands(v), unit)
	case UnitRatio:
		return fmt.Sprintf("%.3g", v)
	}
	return fmt.Sprintf("%.4g %s", v, unit)
}

func thousands(v float64) string {
	if math.Abs(v) >= 1e15 || math.IsNaN(v) {
		return fmt.Sprintf("%.3g", v)
	}
	n := int64(math.Round(v))
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	}
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return sign + s
}

// formatEstimate renders "value [lo, hi]" when the interval exists, and
// else the value with the run count that would give one: an unbounded side
// is never printed as an infinity.
func formatEstimate(e Estimate, unit string) string {
	v := FormatValue(e.Value, unit)
	switch {
	case e.Bounded():
		return fmt.Sprintf("%s [%s, %s]", v, FormatValue(*e.Lo, unit), FormatValue(*e.Hi, unit))
	case e.NeedRuns > 0:
		return fmt.Sprintf("%s (no CI below %d runs)", v, e.NeedRuns)
	}
	return v + " (no CI at this run count)"
}

// WriteText prints a result: metrics with their intervals, targets, checks.
func (r *Result) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "profile %s: %d run(s), scale %g, full %v; %s x%d, %s, commit %.12s\n",
		r.Profile, r.Runs, r.Scale, r.Full, r.Machine.CPUModel, r.Machine.Cores, r.Machine.GoVersion, r.Machine.Commit)
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tmedian [95% CI]\tmean [95% CI]\tmax\tbetter")
	for _, name := range r.MetricNames() {
		m := r.Metrics[name]
		if m.Summary == nil {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, formatEstimate(m.Summary.Median, m.Unit),
			formatEstimate(m.Summary.Mean, m.Unit), FormatValue(m.Summary.Max, m.Unit), m.Direction)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, c := range r.Cliffs {
		switch {
		case c.Found:
			fmt.Fprintf(w, "cliff: %s breaks its trend at scale %g (%.2fx worse than predicted, factor %g)\n", c.Metric, c.Scale, c.Badness, c.Factor)
		default:
			fmt.Fprintf(w, "cliff: %s follows its trend at every scale (factor %g)\n", c.Metric, c.Factor)
		}
		if c.AbsoluteFound {
			fmt.Fprintf(w, "cliff: %s misses the review's absolute limit %g at scale %g\n", c.Metric, c.AbsoluteLimit, c.AbsoluteScale)
		}
	}
	if r.Leak != nil {
		for _, f := range []struct {
			name string
			fit  Fit
		}{{"VmRSS", r.Leak.VmRSS}, {"RssAnon", r.Leak.Anon}, {"RssFile", r.Leak.File}} {
			fmt.Fprintf(w, "leak: %s slope %s/cycle [%s, %s] (R^2 %.2f, %d points)\n", f.name,
				FormatValue(f.fit.Slope, UnitBytes), FormatValue(f.fit.SlopeLo, UnitBytes), FormatValue(f.fit.SlopeHi, UnitBytes), f.fit.R2, f.fit.N)
		}
	}
	for _, t := range r.Targets {
		obs := "-"
		if t.Unit != "" && t.Status != TargetNotEvaluated {
			obs = FormatValue(t.Observed, t.Unit)
		}
		reason := ""
		if t.Reason != "" {
			reason = " (" + t.Reason + ")"
		}
		fmt.Fprintf(w, "target %-13s [%s] %s: measured %s, want %s %s%s\n", t.Status, t.Source, t.Name, obs, t.Op, FormatValue(t.Threshold, t.Unit), reason)
	}
	writeChecks(w, r.Checks)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	_, err := fmt.Fprintf(w, "%s\n", r.Verdict())
	return err
}

// writeChecks prints one line per check name with how many runs passed,
// and every non-passing run on its own line with its detail.
func writeChecks(w io.Writer, checks []CheckOutcome) {
	var names []string
	pass, total := map[string]int{}, map[string]int{}
	for _, c := range checks {
		if total[c.Name] == 0 {
			names = append(names, c.Name)
		}
		total[c.Name]++
		if c.Status == CheckPass {
			pass[c.Name]++
		}
	}
	for _, n := range names {
		status := CheckPass
		for _, c := range checks {
			if c.Name == n && c.Status != CheckPass && status != CheckFail {
				status = c.Status // fail wins over unknown and not-evaluated
			}
		}
		fmt.Fprintf(w, "check  %-13s %s: passed in %d of %d run(s)\n", status, n, pass[n], total[n])
		for _, c := range checks {
			if c.Name == n && c.Status != CheckPass {
				fmt.Fprintf(w, "         run %d: %s: %s\n", c.Run, c.Status, c.Detail)
			}
		}
	}
}
