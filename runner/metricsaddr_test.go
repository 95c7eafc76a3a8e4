package runner

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/store/storemetrics"
)

// TestMetricsEndpointServesStoreMetrics opens the store of a run in each
// mode and scrapes --metrics-addr: in process every metric, with a child
// process the Stats ones.
func TestMetricsEndpointServesStoreMetrics(t *testing.T) {
	for _, c := range []struct {
		mode    string
		want    []string
		notWant []string
	}{
		{"inprocess", []string{"warmcheck_store_up 1", "warmcheck_store_fragmentation_ratio", "warmcheck_store_live_memories",
			"warmcheck_store_compaction_duration_seconds_bucket", "warmcheck_store_sync_duration_seconds_count", "warmcheck_store_torn_records_discarded"}, nil},
		{"process", []string{"warmcheck_store_up 1", "warmcheck_store_fragmentation_ratio", "warmcheck_store_live_memories",
			"warmcheck_store_compactions_total"}, []string{"sync_duration"}},
	} {
		t.Run(c.mode, func(t *testing.T) {
			r, err := Resolve(Config{Workload: "auto-compaction", Seed: 1, SeedSet: true, Mode: c.mode, MetricsAddr: "127.0.0.1:0",
				StoreCommand: []string{os.Args[0], "serve-store"}, StoreEnv: []string{childEnv + "=serve"}})
			if err != nil {
				t.Fatal(err)
			}
			log := hclog.NewNullLogger()
			tg, err := openTarget(r, t.TempDir(), log)
			if err != nil {
				t.Fatal(err)
			}
			defer tg.close(log)
			srv, err := serveMetrics(r.MetricsAddr, tg, log)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			body, err := storemetrics.Scrape(context.Background(), srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("/metrics lacks %q", w)
				}
			}
			for _, w := range c.notWant {
				if strings.Contains(body, w) {
					t.Errorf("/metrics of a child store has %q, which only the child knows", w)
				}
			}
		})
	}
}

func TestMetricsAddrRejected(t *testing.T) {
	for _, c := range []Config{
		{Workload: "mixed", MetricsAddr: "no-port"},
		{Workload: "mixed", MetricsAddr: "127.0.0.1:0", Schedule: "pct"},
	} {
		if _, err := Resolve(c); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: %v, want ErrConfig", c, err)
		}
	}
}

func TestFragmentationThinning(t *testing.T) {
	f := &Fragmentation{EveryNanos: 10}
	for i := range 5 {
		f.Samples = append(f.Samples, FragSample{AtNanos: int64(i)})
	}
	f.thin()
	if len(f.Samples) != 3 || f.Samples[1].AtNanos != 2 || f.EveryNanos != 20 {
		t.Fatalf("after thinning: %+v", f)
	}
	if f.SVG() == "" || (&Fragmentation{Samples: f.Samples[:1]}).SVG() != "" {
		t.Fatal("SVG drawn for fewer than two samples, or not for three")
	}
}
