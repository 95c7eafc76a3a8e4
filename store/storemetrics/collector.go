package storemetrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/warmcheck/warmcheck/store"
)

// Source returns a store's metrics at this moment; an error means the store
// could not be reached (closed, or its process paused or dead).
type Source func(ctx context.Context) (store.Metrics, error)

// FromStore reads an open store in this process: every metric.
func FromStore(s *store.Store) Source {
	return func(context.Context) (store.Metrics, error) { return s.Metrics(), nil }
}

// FromStats reads a store through a Stats call (a store in a child
// process): only what Stats holds (live memories, content bytes,
// fragmentation, compactions, bytes reclaimed, torn records discarded);
// the histograms, failure counts and collision counters stay in the child
// and are not exported.
func FromStats(stats func(ctx context.Context) (store.Stats, error)) Source {
	return func(ctx context.Context) (store.Metrics, error) {
		st, err := stats(ctx)
		return store.Metrics{Stats: st}, err
	}
}

// scrapeTimeout bounds one Source call: a paused store must not hang a
// scrape.
const scrapeTimeout = 2 * time.Second

const namespace = "warmcheck_store"

// Collector is a prometheus.Collector over a Source; it reads the source
// once per scrape.
type Collector struct {
	source Source
	full   bool // the source has every metric (FromStore), not only Stats

	up, live, liveBytes, totalBytes, frag, compactions, reclaimed, torn  *prometheus.Desc
	compactionSeconds, compactionFailures, autoCompactions, autoFailures *prometheus.Desc
	alerts, syncSeconds, syncFailures, collisions                        *prometheus.Desc
}

// New returns a collector over src; full says whether src has every metric
// (FromStore) or only the Stats ones (FromStats).
func New(src Source, full bool) *Collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
	}
	return &Collector{
		source: src, full: full,
		up:                 d("up", "1 if the store answered this scrape, else 0 (and no other metric is exported)"),
		live:               d("live_memories", "memories reachable through Get"),
		liveBytes:          d("content_live_bytes", "sum of the content lengths of live memories"),
		totalBytes:         d("content_total_bytes", "content bytes appended to the open content epochs"),
		frag:               d("fragmentation_ratio", "(total-live)/total content bytes"),
		compactions:        d("compactions_total", "completed compactions, called or automatic"),
		reclaimed:          d("compaction_reclaimed_bytes_total", "content bytes reclaimed by compactions"),
		torn:               d("torn_records_discarded", "records discarded as torn at the last recovery"),
		compactionSeconds:  d("compaction_duration_seconds", "duration of completed compactions"),
		compactionFailures: d("compaction_failures_total", "compactions that failed"),
		autoCompactions:    d("auto_compactions_total", "background compactions started by the fragmentation threshold"),
		autoFailures:       d("auto_compaction_failures_total", "background compactions that failed (each is logged)"),
		alerts:             d("fragmentation_alerts_total", "times fragmentation crossed the threshold (each is logged)"),
		syncSeconds:        d("sync_duration_seconds", "duration of Syncs (explicit, group commit, compaction)"),
		syncFailures:       d("sync_failures_total", "Syncs that failed"),
		collisions:         d("offset_collisions_total", "Puts refused by the online invariant check, by what collided (slot or content); should be zero", "kind"),
	}
}

// Describe sends every descriptor the collector may export.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.up, c.live, c.liveBytes, c.totalBytes, c.frag, c.compactions, c.reclaimed, c.torn,
		c.compactionSeconds, c.compactionFailures, c.autoCompactions, c.autoFailures, c.alerts, c.syncSeconds, c.syncFailures, c.collisions} {
		ch <- d
	}
}

// Collect reads the source once and sends its metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	m, err := c.source(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.up, 1)
	gauge(c.live, float64(m.Live))
	gauge(c.liveBytes, float64(m.ContentBytesLive))
	gauge(c.totalBytes, float64(m.ContentBytesTotal))
	gauge(c.frag, m.Fragmentation)
	counter(c.compactions, m.Compactions)
	counter(c.reclaimed, m.BytesReclaimed)
	gauge(c.torn, float64(m.TornDiscarded))
	if !c.full {
		return
	}
	ch <- histogram(c.compactionSeconds, m.CompactionSeconds)
	counter(c.compactionFailures, m.CompactionFailures)
	counter(c.autoCompactions, m.AutoCompactions)
	counter(c.autoFailures, m.AutoCompactionFailures)
	counter(c.alerts, m.FragmentationAlerts)
	ch <- histogram(c.syncSeconds, m.SyncSeconds)
	counter(c.syncFailures, m.SyncFailures)
	if m.OnlineCheck {
		counter(c.collisions, m.SlotCollisions, "slot")
		counter(c.collisions, m.ContentCollisions, "content")
	}
}

func histogram(d *prometheus.Desc, h store.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.UpperBounds))
	for i, b := range h.UpperBounds {
		buckets[b] = h.Counts[i]
	}
	return prometheus.MustNewConstHistogram(d, h.Count, h.SumSeconds, buckets)
}
