// Package storemetrics exports a store's Metrics (live memories, content
// bytes, fragmentation, compactions and syncs with their latency, torn
// records discarded at recovery, collisions found by the online invariant
// check) as a Prometheus collector, and serves them over HTTP, so that the
// store itself has no Prometheus dependency.
//
// Imports: the standard library, store and
// github.com/prometheus/client_golang only.
package storemetrics
