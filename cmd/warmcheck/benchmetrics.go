package main

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/warmcheck/warmcheck/store"
	"github.com/warmcheck/warmcheck/store/storemetrics"
)

// errNoStoreYet is a scrape before the profile opened its first store.
var errNoStoreYet = errors.New("no store opened yet")

// benchMetrics serves, at --metrics-addr, the metrics of the store the
// bench profile opened last (the raw baseline has none). opened is the
// bench.Config.StoreOpened hook; stop closes the server.
func benchMetrics(addr string) (opened func(*store.Store), stop func(), err error) {
	if addr == "" {
		return nil, func() {}, nil
	}
	var latest atomic.Pointer[store.Store]
	src := func(context.Context) (store.Metrics, error) {
		s := latest.Load()
		if s == nil {
			return store.Metrics{}, errNoStoreYet
		}
		return s.Metrics(), nil
	}
	srv, err := storemetrics.Serve(addr, storemetrics.New(src, true))
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("bench: --metrics-addr: %w", err)}
	}
	return latest.Store, func() { _ = srv.Close() }, nil
}
