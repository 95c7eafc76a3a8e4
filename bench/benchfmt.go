package bench

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/perf/benchfmt"
)

// BenchstatFile is the Go benchmark format copy of bench.json that Run
// writes beside it, for `benchstat old.txt new.txt`.
const BenchstatFile = "benchstat.txt"

// WriteBenchstat writes r in the Go benchmark format (golang.org/x/perf's
// benchfmt.Writer, the format benchstat reads): configuration lines for
// the machine and the invocation, a "Unit U better=higher|lower" line for
// each unit whose metrics all improve the same way, then one line per
// run per metric, "Benchmark<Profile>/<metric> 1 <value> <unit>", in run
// order. Units are bench.json's ("ns", "ops/s", "B", ...): benchstat
// rescales "ns" to seconds itself.
func (r *Result) WriteBenchstat(w io.Writer) error {
	bw := benchfmt.NewWriter(w)
	for _, md := range r.unitBetter() {
		if err := bw.Write(md); err != nil {
			return fmt.Errorf("bench: benchstat format: %w", err)
		}
	}
	config := []benchfmt.Config{
		fileConfig("goos", r.Machine.OS), fileConfig("goarch", r.Machine.Arch), fileConfig("cpu", r.Machine.CPUModel),
		fileConfig("go", r.Machine.GoVersion), fileConfig("commit", r.Machine.Commit),
		fileConfig("profile", r.Profile), fileConfig("scale", strconv.FormatFloat(r.Scale, 'g', -1, 64)),
		fileConfig("full", strconv.FormatBool(r.Full)), fileConfig("seed", strconv.FormatInt(r.Seed, 10)),
	}
	config = dropEmptyConfig(config)
	prefix := benchmarkName(r.Profile)
	names := r.MetricNames()
	for run := 0; ; run++ {
		wrote := false
		for _, name := range names {
			m := r.Metrics[name]
			if run >= len(m.Samples) {
				continue
			}
			res := &benchfmt.Result{Config: config, Name: benchfmt.Name(prefix + "/" + fieldSafe(name)), Iters: 1,
				Values: []benchfmt.Value{{Value: m.Samples[run], Unit: fieldSafe(m.Unit)}}}
			if err := bw.Write(res); err != nil {
				return fmt.Errorf("bench: benchstat format: %w", err)
			}
			wrote = true
		}
		if !wrote {
			return nil
		}
	}
}

// saveBenchstat writes WriteBenchstat's output to path.
func (r *Result) saveBenchstat(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	if err := r.WriteBenchstat(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}

// unitBetter is the "better" unit metadata of every unit whose metrics
// share one direction (informational metrics say nothing either way).
func (r *Result) unitBetter() []*benchfmt.UnitMetadata {
	dirs := map[string]Direction{}
	var units []string
	for _, name := range r.MetricNames() {
		m := r.Metrics[name]
		if m.Direction == Informational {
			continue
		}
		d, seen := dirs[m.Unit]
		switch {
		case !seen:
			units = append(units, m.Unit)
			dirs[m.Unit] = m.Direction
		case d != m.Direction:
			dirs[m.Unit] = Informational // mixed: no metadata
		}
	}
	var out []*benchfmt.UnitMetadata
	for _, u := range units {
		var better string
		switch dirs[u] {
		case HigherIsBetter:
			better = "higher"
		case LowerIsBetter:
			better = "lower"
		default:
			continue
		}
		out = append(out, &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: fieldSafe(u), Key: "better"},
			OrigUnit: fieldSafe(u), Value: better})
	}
	return out
}

func fileConfig(key, value string) benchfmt.Config {
	return benchfmt.Config{Key: key, Value: []byte(strings.Join(strings.Fields(value), " ")), File: true}
}

// dropEmptyConfig leaves out keys without a value: "key:" alone would
// delete the key in the format, not set it empty.
func dropEmptyConfig(cs []benchfmt.Config) []benchfmt.Config {
	var out []benchfmt.Config
	for _, c := range cs {
		if len(c.Value) > 0 {
			out = append(out, c)
		}
	}
	return out
}

// benchmarkName is the profile as a Go benchmark name: upper-case first
// letter, no spaces.
func benchmarkName(profile string) string {
	r, n := utf8.DecodeRuneInString(profile)
	return fieldSafe(string(unicode.ToUpper(r)) + profile[n:])
}

// fieldSafe replaces white space, which ends a field in the format, by "_".
func fieldSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '_'
		}
		return r
	}, s)
}
