// Package metrics exposes a live session's operational metrics to Prometheus, on a registry
// of its own (never the global one), and serves them with pprof on a loopback-only debug
// listener.
//
// Counters the engine produces one by one (orders, fills, rejects, faults, equity, events
// seen, feed lag) are updated as they happen, through Record (an record.Recorder) and Observe
// (the event batches); counters other components already keep (the feed client's frames,
// reconnects, gaps and checksum mismatches, the workers' backlogs, the journal's queue) are
// read from their providers at scrape time, so they cost nothing between scrapes.
//
// Metric names start with papertrade_; instance labels are strategy instance names.
package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Feed is the feed's state as a provider reports it at scrape time.
type Feed struct {
	Connected          bool
	Frames             uint64
	Connections        uint64 // established by the client
	Reconnects         uint64 // connections lost
	Malformed          uint64
	TradeGaps          uint64
	MissingTrades      uint64
	StaleBooks         uint64 // books reported stale (checksum mismatch or disconnect)
	ChecksumMismatches uint64
	QueuedFrames       int
	RecordedFrames     uint64
	RecordErrors       uint64
}

// Journal is the journal's state at scrape time.
type Journal struct {
	Queued                             int
	Committed, Batches, Waits, Dropped uint64
}

// Metrics is the session's metric set. Record and Observe are safe for concurrent use.
type Metrics struct {
	reg *prometheus.Registry

	orders, rejects, faults *prometheus.CounterVec
	fills                   *prometheus.CounterVec
	equity                  *prometheus.GaugeVec
	events                  prometheus.Counter
	lag                     prometheus.Histogram

	mu      sync.Mutex
	feed    func() Feed
	journal func() Journal
	probe   BacklogReader
	now     func() time.Time
}

// New returns a metric set registered on a new registry, with the Go runtime and process
// collectors.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry(), now: time.Now}
	m.orders = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "papertrade_orders_total", Help: "Orders accepted by the simulated exchange, per instance."}, []string{"instance"})
	m.rejects = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "papertrade_order_rejects_total", Help: "Orders rejected (Kraken's validation and funds), per instance."}, []string{"instance"})
	m.faults = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "papertrade_strategy_faults_total", Help: "Strategy faults and lag reports, per instance and kind."}, []string{"instance", "kind"})
	m.fills = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "papertrade_fills_total", Help: "Simulated fills, per instance, pair and liquidity."}, []string{"instance", "pair", "liquidity"})
	m.equity = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "papertrade_equity", Help: "Last equity sample, in the instance's account currency."}, []string{"instance"})
	m.events = prometheus.NewCounter(prometheus.CounterOpts{Name: "papertrade_events_total", Help: "Market events handed to the engine."})
	m.lag = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "papertrade_feed_lag_seconds",
		Help:    "Receive time minus exchange time of trades (clock offset included).",
		Buckets: []float64{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}})
	m.reg.MustRegister(m.orders, m.rejects, m.faults, m.fills, m.equity, m.events, m.lag, (*polled)(m),
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry returns the registry the metrics are on.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// SetFeed sets the feed provider read at scrape time.
func (m *Metrics) SetFeed(f func() Feed) {
	m.mu.Lock()
	m.feed = f
	m.mu.Unlock()
}

// SetJournal sets the journal provider read at scrape time.
func (m *Metrics) SetJournal(f func() Journal) {
	m.mu.Lock()
	m.journal = f
	m.mu.Unlock()
}

// BacklogReader reads a running engine's per-instance backlog from another goroutine
// (*engine.Probe). It is an interface so that metrics does not link the engine.
type BacklogReader interface {
	Backlog() []record.Backlog
}

// SetProbe sets the engine probe whose per-instance backlog is read at scrape time.
func (m *Metrics) SetProbe(p BacklogReader) {
	m.mu.Lock()
	m.probe = p
	m.mu.Unlock()
}

// Record implements record.Recorder.
func (m *Metrics) Record(r *record.Record) {
	switch r.Kind {
	case record.KindOrder:
		switch {
		case r.Order.Status == strategy.StatusRejected:
			m.rejects.WithLabelValues(r.Instance).Inc()
		case r.Order.Status == strategy.StatusPending && r.Order.Reason == "":
			m.orders.WithLabelValues(r.Instance).Inc()
		}
	case record.KindFill:
		m.fills.WithLabelValues(r.Instance, string(r.Fill.Pair), r.Fill.Liquidity.String()).Inc()
	case record.KindEquity:
		v, _ := r.Equity.Float64()
		m.equity.WithLabelValues(r.Instance).Set(v)
	case record.KindFault, record.KindLag:
		m.faults.WithLabelValues(r.Instance, r.Kind.String()).Inc()
	}
}

// Observe counts a batch of events and the lag of its trades.
func (m *Metrics) Observe(batch []feed.Event) {
	m.events.Add(float64(len(batch)))
	for i := range batch {
		e := &batch[i]
		if e.Kind == feed.KindTrade && !e.Time.IsZero() && !e.Recv.IsZero() {
			m.lag.Observe(e.Recv.Sub(e.Time).Seconds())
		}
	}
}

// polled collects the provider-backed metrics at scrape time.
type polled Metrics

var (
	descConnected  = prometheus.NewDesc("papertrade_feed_connected", "1 while the feed client holds a connection.", nil, nil)
	descFrames     = prometheus.NewDesc("papertrade_feed_frames_total", "Frames received from the feed.", nil, nil)
	descConnects   = prometheus.NewDesc("papertrade_feed_connections_total", "Feed connections established.", nil, nil)
	descReconnects = prometheus.NewDesc("papertrade_feed_reconnects_total", "Feed connections lost (each followed by a reconnect).", nil, nil)
	descMalformed  = prometheus.NewDesc("papertrade_feed_malformed_frames_total", "Frames that did not decode.", nil, nil)
	descGaps       = prometheus.NewDesc("papertrade_feed_gaps_total", "Gaps reported: trade (ids skipped, v1 reconnect windows) and book (stale books).", []string{"channel"}, nil)
	descMissing    = prometheus.NewDesc("papertrade_feed_missing_trades_total", "Trade ids known to be missing.", nil, nil)
	descChecksum   = prometheus.NewDesc("papertrade_feed_checksum_mismatches_total", "Book checksums that did not verify.", nil, nil)
	descQueued     = prometheus.NewDesc("papertrade_feed_queued_frames", "Frames waiting to be processed.", nil, nil)
	descRecorded   = prometheus.NewDesc("papertrade_recording_frames_total", "Frames written to the session's recording.", nil, nil)
	descRecordErrs = prometheus.NewDesc("papertrade_recording_errors_total", "Frames that could not be recorded.", nil, nil)
	descBacklog    = prometheus.NewDesc("papertrade_worker_backlog_events", "Events queued for a strategy worker.", []string{"instance"}, nil)
	descStopped    = prometheus.NewDesc("papertrade_worker_stopped", "1 when a strategy instance has stopped (fault or lag).", []string{"instance"}, nil)
	descJQueued    = prometheus.NewDesc("papertrade_journal_queued_records", "Records waiting for the journal writer.", nil, nil)
	descJCommitted = prometheus.NewDesc("papertrade_journal_committed_records_total", "Records committed to the journal.", nil, nil)
	descJBatches   = prometheus.NewDesc("papertrade_journal_transactions_total", "Journal transactions committed.", nil, nil)
	descJWaits     = prometheus.NewDesc("papertrade_journal_waits_total", "Times a worker waited for room in the journal queue.", nil, nil)
	descJDropped   = prometheus.NewDesc("papertrade_journal_dropped_records_total", "Records the journal refused (it had failed or closed).", nil, nil)
	polledDescs    = []*prometheus.Desc{descConnected, descFrames, descConnects, descReconnects, descMalformed, descGaps, descMissing, descChecksum, descQueued, descRecorded, descRecordErrs, descBacklog, descStopped, descJQueued, descJCommitted, descJBatches, descJWaits, descJDropped}
)

func (p *polled) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range polledDescs {
		ch <- d
	}
}

func (p *polled) Collect(ch chan<- prometheus.Metric) {
	p.mu.Lock()
	fp, jp, probe := p.feed, p.journal, p.probe
	p.mu.Unlock()
	c := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	g := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	if fp != nil {
		f := fp()
		g(descConnected, b2f(f.Connected))
		c(descFrames, f.Frames)
		c(descConnects, f.Connections)
		c(descReconnects, f.Reconnects)
		c(descMalformed, f.Malformed)
		c(descGaps, f.TradeGaps, "trade")
		c(descGaps, f.StaleBooks, "book")
		c(descMissing, f.MissingTrades)
		c(descChecksum, f.ChecksumMismatches)
		g(descQueued, float64(f.QueuedFrames))
		c(descRecorded, f.RecordedFrames)
		c(descRecordErrs, f.RecordErrors)
	}
	if probe != nil {
		for _, b := range probe.Backlog() {
			g(descBacklog, float64(b.Events), b.Instance)
			g(descStopped, b2f(b.Stopped), b.Instance)
		}
	}
	if jp != nil {
		j := jp()
		g(descJQueued, float64(j.Queued))
		c(descJCommitted, j.Committed)
		c(descJBatches, j.Batches)
		c(descJWaits, j.Waits)
		c(descJDropped, j.Dropped)
	}
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

var _ record.Recorder = (*Metrics)(nil)
