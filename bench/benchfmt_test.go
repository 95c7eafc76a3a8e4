package bench

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/perf/benchfmt"
)

func benchstatResult(getScale, rateScale float64) *Result {
	r := resultWith("perf-100k", map[string]*Metric{
		"get.p99":      {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 1e3*getScale)},
		"iterate.time": {Unit: UnitNanos, Direction: LowerIsBetter, Samples: scaled(runsOf8, 1e7)},
		"put.rate":     {Unit: UnitOpsSec, Direction: HigherIsBetter, Samples: scaled(runsOf8, 50*rateScale)},
		"raw.put.rate": {Unit: UnitOpsSec, Direction: Informational, Samples: scaled(runsOf8, 90)},
		"rss.growth":   {Unit: UnitBytes, Direction: LowerIsBetter, Samples: scaled(runsOf8, 1<<20)},
	})
	r.Machine = Machine{OS: "linux", Arch: "amd64", CPUModel: "Test CPU @ 2.0GHz", GoVersion: "go1.26.8", Commit: "abc123"}
	r.Seed = 7
	return r
}

// benchstat's own reader (benchfmt.Reader) reads every line back: the
// file configuration, the unit metadata, and one result per run per
// metric with its value and unit.
func TestWriteBenchstatReadsBack(t *testing.T) {
	r := benchstatResult(1, 1)
	var buf bytes.Buffer
	if err := r.WriteBenchstat(&buf); err != nil {
		t.Fatal(err)
	}
	rd := benchfmt.NewReader(bytes.NewReader(buf.Bytes()), "bench.txt")
	got := map[string][]float64{}
	units := map[string]string{}
	better := map[string]string{}
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.Result:
			if rec.GetConfig("profile") != "perf-100k" || rec.GetConfig("cpu") != "Test CPU @ 2.0GHz" || rec.GetConfig("scale") != "1" || rec.Iters != 1 {
				t.Fatalf("config %v, iters %d", rec.Config, rec.Iters)
			}
			name := rec.Name.String()
			got[name] = append(got[name], rec.Values[0].OrigValue)
			units[name] = rec.Values[0].OrigUnit
			if rec.Values[0].OrigUnit == "" {
				got[name][len(got[name])-1] = rec.Values[0].Value
				units[name] = rec.Values[0].Unit
			}
		case *benchfmt.UnitMetadata:
			better[rec.OrigUnit] = rec.Value
		case *benchfmt.SyntaxError:
			t.Fatalf("benchstat cannot read our line: %v\n%s", rec, buf.String())
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	for name, m := range r.Metrics {
		key := "Perf-100k/" + name
		if !slices.Equal(got[key], m.Samples) || units[key] != m.Unit {
			t.Errorf("%s: read %v %s, wrote %v %s", key, got[key], units[key], m.Samples, m.Unit)
		}
	}
	// ops/s mixes a higher-is-better and an informational metric: still
	// higher; ns and B are lower.
	if better["ops/s"] != "higher" || better["ns"] != "lower" || better["B"] != "lower" {
		t.Errorf("unit metadata %v", better)
	}
}

// The real benchstat (golang.org/x/perf/cmd/benchstat at the version in
// go.mod, built from the module cache) reads two of our outputs and
// prints, metric by metric, the same delta as our compare: "~" where p >
// alpha, the same +/-x.xx% elsewhere, and a geomean row.
func TestRealBenchstatAgreesWithCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("builds benchstat")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build benchstat")
	}
	dir := t.TempDir()
	tool := filepath.Join(dir, "benchstat")
	if out, err := exec.Command(goBin, "build", "-o", tool, "golang.org/x/perf/cmd/benchstat").CombinedOutput(); err != nil {
		t.Fatalf("building benchstat: %v\n%s", err, out)
	}
	base, newer := benchstatResult(1, 1), benchstatResult(1.2, 0.999)
	files := []string{filepath.Join(dir, "base.txt"), filepath.Join(dir, "new.txt")}
	for i, r := range []*Result{base, newer} {
		if err := r.saveBenchstat(files[i]); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(tool, files...).CombinedOutput()
	if err != nil {
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	text := string(out)
	c, err := Compare(base, newer, CompareOptions{Threshold: 0.05, Alpha: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range c.Changes() {
		row := regexp.MustCompile(`(?m)^Perf-100k/` + regexp.QuoteMeta(m.Metric) + `\s.*$`).FindString(text)
		want := regexp.QuoteMeta(m.Delta) + `\s+\(` + regexp.QuoteMeta(m.Test) + `\)`
		if !regexp.MustCompile(want).MatchString(row) {
			t.Errorf("%s: benchstat row %q lacks our %q (%s)", m.Metric, row, m.Delta, m.Test)
		}
	}
	for _, tb := range c.Tables {
		if g := tb.Geomean; g != nil && !strings.Contains(text, fmt.Sprintf("%+.2f%%", (g.Ratio-1)*100)) {
			t.Errorf("%s: benchstat's geomean differs from our %+.2f%%:\n%s", tb.Unit, (g.Ratio-1)*100, text)
		}
	}
	if !strings.Contains(text, "+20.00%") || !strings.Contains(text, "geomean") || !strings.Contains(text, "profile: perf-100k") {
		t.Errorf("benchstat output lacks the 20%% change, the geomean or the profile:\n%s", text)
	}
	if os.Getenv("WARMCHECK_KEEP_PLOTS") != "" {
		t.Logf("benchstat %s %s:\n%s", files[0], files[1], text)
	}
}
