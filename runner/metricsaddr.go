package runner

import (
	"fmt"
	"net"

	"github.com/hashicorp/go-hclog"

	"github.com/warmcheck/warmcheck/store/storemetrics"
)

// checkMetricsAddr validates --metrics-addr (host:port) without listening.
func checkMetricsAddr(addr string) error {
	if addr == "" {
		return nil
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("%w: --metrics-addr %q: %v", ErrConfig, addr, err)
	}
	return nil
}

// serveMetrics serves the target's store metrics at addr/metrics while the
// run lasts: every metric of a store in this process; for a store in a
// child process, what a Stats call returns (storemetrics.FromStats). nil
// when addr is "".
func serveMetrics(addr string, t *target, log hclog.Logger) (*storemetrics.Server, error) {
	if addr == "" {
		return nil, nil
	}
	c := storemetrics.New(storemetrics.FromStats(t.client.Stats), false)
	if t.store != nil {
		c = storemetrics.New(storemetrics.FromStore(t.store), true)
	}
	srv, err := storemetrics.Serve(addr, c)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	log.Info("store metrics served", "url", "http://"+srv.Addr()+"/metrics", "mode", t.mode)
	return srv, nil
}
