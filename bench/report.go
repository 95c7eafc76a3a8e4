package bench

import (
	"fmt"
	"html/template"
	"os"
	"time"
)

// reportTemplate is report.html: verdict first, then targets next to the
// measured values, correctness checks, every metric with its intervals,
// cliffs, the leak fit and the plots.
var reportTemplate = template.Must(template.New("report").Funcs(template.FuncMap{
	"fmtv":  FormatValue,
	"fmte":  formatEstimate,
	"when":  func(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339) },
	"secs":  func(ns int64) string { return time.Duration(ns).Round(time.Millisecond).String() },
	"pct":   func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"gb":    func(b uint64) string { return FormatValue(float64(b), UnitBytes) },
	"class": func(s any) string { return fmt.Sprint(s) },
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>warmcheck bench {{.R.Profile}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:.25em .6em;text-align:left;font-variant-numeric:tabular-nums}
.pass{background:#dfd}.fail{background:#fdd}.not-evaluated,.unknown{background:#eee}
.verdict{font-size:1.6em;font-weight:bold}
img{max-width:100%;border:1px solid #ddd;margin:.5em 0}
</style></head><body>
<h1>warmcheck bench: {{.R.Profile}}</h1>
<p class="verdict {{if eq .Verdict "PASS"}}pass{{else if eq .Verdict "FAIL"}}fail{{else}}unknown{{end}}">{{.Verdict}}</p>
<p>{{.R.Runs}} run(s) at scale {{.R.Scale}}{{if .R.Full}} (full){{end}}, seed {{.R.Seed}}, started {{when .R.StartedUnixNanos}}, took {{secs .R.ElapsedNanos}}.<br>
Machine: {{.R.Machine.CPUModel}} x{{.R.Machine.Cores}}, {{gb .R.Machine.MemoryBytes}} memory, {{.R.Machine.OS}}/{{.R.Machine.Arch}}, {{.R.Machine.GoVersion}}; commit <code>{{.R.Machine.Commit}}</code> ({{.R.Machine.CommitSource}}).</p>
<p>Medians are of the per-run values; intervals are 95%: order-statistic (binomial) for quantiles, Student's t for the mean, shown only where the run count gives one ("no CI below N runs" otherwise) and cut at zero for quantities that cannot be negative. A target is judged on the median; "confident" means the whole interval of the median is on the same side.</p>

<h2>Targets</h2>
<table><tr><th>status</th><th>source</th><th>target</th><th>measured (median)</th><th>bound</th><th>confident</th><th>note</th></tr>
{{range .R.Targets}}<tr class="{{class .Status}}"><td>{{.Status}}</td><td>{{.Source}}</td><td>{{.Name}}</td><td>{{if .Unit}}{{fmtv .Observed .Unit}}{{end}}</td><td>{{.Op}} {{fmtv .Threshold .Unit}}</td><td>{{.Confident}}</td><td>{{.Reason}}</td></tr>
{{else}}<tr><td colspan="7">no targets for this profile</td></tr>{{end}}</table>

<h2>Correctness checks</h2>
<table><tr><th>status</th><th>check</th><th>passed</th><th>failures (run: detail)</th></tr>
{{range .Checks}}<tr class="{{class .Status}}"><td>{{.Status}}</td><td>{{.Name}}</td><td>{{.Pass}} of {{.Total}} run(s)</td><td>{{range .Failures}}{{.Run}}: {{.Status}}: {{.Detail}}<br>{{end}}</td></tr>
{{else}}<tr><td colspan="4">none</td></tr>{{end}}</table>

<h2>Metrics</h2>
<table><tr><th>metric</th><th>median [95% CI]</th><th>mean [95% CI]</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th><th>n</th><th>better</th><th>what</th></tr>
{{range .Metrics}}<tr><td>{{.Name}}</td>{{$u := .M.Unit}}{{with .M.Summary}}<td>{{fmte .Median $u}}</td><td>{{fmte .Mean $u}}</td><td>{{fmte .P95 $u}}</td><td>{{fmte .P99 $u}}</td><td>{{fmte .P999 $u}}</td><td>{{fmtv .Max $u}}</td><td>{{.N}}</td>{{end}}<td>{{.M.Direction}}</td><td>{{.M.Doc}}</td></tr>
{{end}}</table>

{{if .R.Cliffs}}<h2>Cliffs</h2>
<p>Each value is normalized by its healthy power law (rates and latencies flat, iteration time and RSS linear in the scale); the trend is the median normalized value of the smaller scales, and a scale worse than the trend by more than the factor is a cliff.</p>
<table><tr><th>metric</th><th>cliff</th><th>points (scale: value, predicted, badness)</th></tr>
{{range .R.Cliffs}}<tr class="{{if .Found}}fail{{else}}pass{{end}}"><td>{{.Metric}}</td><td>{{if .Found}}at {{.Scale}} ({{printf "%.2f" .Badness}}x){{else}}none (factor {{.Factor}}){{end}}{{if .AbsoluteFound}}; misses absolute limit at {{.AbsoluteScale}}{{end}}</td>
<td>{{range .Points}}{{.Scale}}: {{printf "%.4g" .Value}}{{if .Predicted}} (pred {{printf "%.4g" .Predicted}}, {{printf "%.2f" .Badness}}x){{end}}; {{end}}</td></tr>
{{end}}</table>{{end}}

{{with .R.Leak}}<h2>Leak</h2>
<p>Least-squares slope of RSS per cycle over {{len .Points}} samples ({{.Cycles}} cycles per run, runs pooled):
VmRSS {{fmtv .VmRSS.Slope "B"}}/cycle [{{fmtv .VmRSS.SlopeLo "B"}}, {{fmtv .VmRSS.SlopeHi "B"}}];
RssAnon {{fmtv .Anon.Slope "B"}}/cycle [{{fmtv .Anon.SlopeLo "B"}}, {{fmtv .Anon.SlopeHi "B"}}];
RssFile {{fmtv .File.Slope "B"}}/cycle [{{fmtv .File.SlopeLo "B"}}, {{fmtv .File.SlopeHi "B"}}].</p>{{end}}

{{if .R.Plots}}<h2>Plots</h2>
{{range .R.Plots}}<p><a href="{{.}}"><img src="{{.}}" alt="{{.}}"></a></p>
{{end}}{{end}}

{{if .R.Notes}}<h2>Notes</h2><ul>{{range .R.Notes}}<li>{{.}}</li>{{end}}</ul>{{end}}
<p>Raw data: <a href="bench.json">bench.json</a>.</p>
</body></html>
`))

type reportMetric struct {
	Name string
	M    *Metric
}

// reportCheck is one check name over all runs.
type reportCheck struct {
	Name        string
	Status      CheckStatus
	Pass, Total int
	Failures    []CheckOutcome
}

func aggregateChecks(checks []CheckOutcome) []reportCheck {
	var out []reportCheck
	at := map[string]int{}
	for _, c := range checks {
		i, ok := at[c.Name]
		if !ok {
			i = len(out)
			at[c.Name] = i
			out = append(out, reportCheck{Name: c.Name, Status: CheckPass})
		}
		out[i].Total++
		if c.Status == CheckPass {
			out[i].Pass++
		} else {
			if out[i].Status != CheckFail {
				out[i].Status = c.Status // fail wins over unknown and not-evaluated
			}
			out[i].Failures = append(out[i].Failures, c)
		}
	}
	return out
}

// writeReport renders report.html for r.
func writeReport(r *Result, path string) error {
	var ms []reportMetric
	for _, n := range r.MetricNames() {
		ms = append(ms, reportMetric{n, r.Metrics[n]})
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: report: %w", err)
	}
	data := struct {
		R       *Result
		Verdict string
		Metrics []reportMetric
		Checks  []reportCheck
	}{r, string(r.Verdict()), ms, aggregateChecks(r.Checks)}
	if err := reportTemplate.Execute(f, data); err != nil {
		f.Close()
		return fmt.Errorf("bench: report %s: %w", path, err)
	}
	return f.Close()
}
