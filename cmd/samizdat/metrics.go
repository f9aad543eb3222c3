package main

import (
	"net/http"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/samizdat/samizdat/node"
)

// serveMetrics is what `serve --metrics` exports: the node's totals, never
// anything per reader, per article or per publisher.
type serveMetrics struct {
	syncFailures atomic.Uint64
}

// handler returns the Prometheus endpoint for n, on its own registry.
func (m *serveMetrics) handler(n *node.Node, followed int) http.Handler {
	reg := prometheus.NewRegistry()
	gauge := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "samizdat", Name: name, Help: help}, f))
	}
	counter := func(name, help string, f func() float64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "samizdat", Name: name, Help: help}, f))
	}
	gauge("bundles_held", "Bundles the repo holds.", func() float64 { return float64(len(n.HeldBundles())) })
	gauge("bundle_bytes", "Bytes of the bundle files the repo holds.", func() float64 { return float64(n.BundleBytes()) })
	gauge("quota_bytes", "The storage quota for bundle files (0: none).", func() float64 { return float64(n.Quota()) })
	gauge("peers", "Connected libp2p peers.", func() float64 { return float64(len(n.Host.Network().Peers())) })
	gauge("publishers_followed", "Publishers this node mirrors.", func() float64 { return float64(followed) })
	counter("sent_bytes_total", "Bytes of bundles and blocks sent to peers and HTTP clients, all protocols and the gateway.", func() float64 { return float64(n.Sent()) })
	counter("received_bytes_total", "Bytes of bundles and blocks received from peers.", func() float64 { return float64(n.Received().Bytes) })
	counter("received_blocks_total", "Verified blocks received from peers.", func() float64 { return float64(n.Received().Blocks) })
	counter("announcements_accepted_total", "Head announcements accepted and relayed.", func() float64 { a, _ := n.Announced(); return float64(a) })
	counter("announcements_refused_total", "Head announcements refused: invalid, expired, not newer, or not past the relay gate.", func() float64 { _, r := n.Announced(); return float64(r) })
	counter("sync_failures_total", "Syncs of a followed publisher that failed.", func() float64 { return float64(m.syncFailures.Load()) })
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}
