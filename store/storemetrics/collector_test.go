package storemetrics_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/store/storemetrics"
)

// scrape serves c on a free local port and returns the /metrics text.
func scrape(t *testing.T, c prometheus.Collector) string {
	t.Helper()
	srv, err := storemetrics.Serve("127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	body, err := storemetrics.Scrape(context.Background(), srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// sample returns the value text of the first sample line that starts with
// name (with its labels), or "".
func sample(body, name string) string {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			return rest
		}
	}
	return ""
}

func TestServeExportsStoreMetrics(t *testing.T) {
	s, err := store.Open(t.TempDir(), store.Options{CheckPlacements: true, GroupCommit: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, id := range []string{"a", "b", "c", "d"} {
		if _, err := s.Put(id, store.Memory{Content: []byte("0123456789")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Remove("a"); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Compact(); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, storemetrics.New(storemetrics.FromStore(s), true))
	want := map[string]string{
		"warmcheck_store_up":                                      "1",
		"warmcheck_store_live_memories":                           "3",
		"warmcheck_store_content_live_bytes":                      "30",
		"warmcheck_store_content_total_bytes":                     "30",
		"warmcheck_store_fragmentation_ratio":                     "0",
		"warmcheck_store_compactions_total":                       "1",
		"warmcheck_store_compaction_reclaimed_bytes_total":        "10",
		"warmcheck_store_torn_records_discarded":                  "0",
		"warmcheck_store_compaction_duration_seconds_count":       "1",
		"warmcheck_store_compaction_failures_total":               "0",
		"warmcheck_store_auto_compactions_total":                  "0",
		"warmcheck_store_auto_compaction_failures_total":          "0",
		"warmcheck_store_fragmentation_alerts_total":              "0",
		"warmcheck_store_sync_failures_total":                     "0",
		`warmcheck_store_offset_collisions_total{kind="slot"}`:    "0",
		`warmcheck_store_offset_collisions_total{kind="content"}`: "0",
	}
	for name, v := range want {
		if got := sample(body, name); got != v {
			t.Errorf("%s = %q, want %q", name, got, v)
		}
	}
	// One explicit Sync and the compaction's two: at least 3 observations.
	if got, err := strconv.ParseFloat(sample(body, "warmcheck_store_sync_duration_seconds_count"), 64); err != nil || got < 3 {
		t.Errorf("sync_duration_seconds_count = %v (%v), want >= 3", got, err)
	}
	if !strings.Contains(body, `warmcheck_store_sync_duration_seconds_bucket{le="+Inf"}`) {
		t.Error("no +Inf bucket in the sync histogram")
	}
}

func TestStatsSourceExportsStatsOnly(t *testing.T) {
	st := store.Stats{Live: 7, ContentBytesLive: 70, ContentBytesTotal: 100, Fragmentation: 0.3, TornDiscarded: 2}
	c := storemetrics.New(storemetrics.FromStats(func(context.Context) (store.Stats, error) { return st, nil }), false)
	body := scrape(t, c)
	if sample(body, "warmcheck_store_live_memories") != "7" || sample(body, "warmcheck_store_torn_records_discarded") != "2" ||
		sample(body, "warmcheck_store_fragmentation_ratio") != "0.3" {
		t.Fatalf("stats metrics missing or wrong:\n%s", body)
	}
	if strings.Contains(body, "sync_duration") || strings.Contains(body, "offset_collisions") {
		t.Fatalf("a Stats source exported metrics it does not have:\n%s", body)
	}
}

func TestUnreachableStoreIsDown(t *testing.T) {
	c := storemetrics.New(storemetrics.FromStats(func(context.Context) (store.Stats, error) {
		return store.Stats{}, errors.New("store process paused")
	}), false)
	body := scrape(t, c)
	if sample(body, "warmcheck_store_up") != "0" || strings.Contains(body, "live_memories") {
		t.Fatalf("an unreachable store must export up 0 and nothing else:\n%s", body)
	}
}

func TestServeBadAddress(t *testing.T) {
	c := storemetrics.New(storemetrics.FromStats(func(context.Context) (store.Stats, error) { return store.Stats{}, nil }), false)
	_, err := storemetrics.Serve("127.0.0.1:notaport", c)
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:notaport") {
		t.Fatalf("Serve on a bad address: %v, want an error naming it", err)
	}
}
