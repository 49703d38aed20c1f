package metrics_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/metrics"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestScrape(t *testing.T) {
	m := metrics.New()
	m.SetFeed(func() metrics.Feed {
		return metrics.Feed{Connected: true, Frames: 1234, Connections: 3, Reconnects: 2, TradeGaps: 1, MissingTrades: 7, StaleBooks: 4, ChecksumMismatches: 1, QueuedFrames: 5}
	})
	m.SetJournal(func() metrics.Journal { return metrics.Journal{Queued: 2, Committed: 99, Batches: 10, Waits: 1} })
	m.Record(&engine.Record{Instance: "grid", Kind: engine.RecordOrder, Order: strategy.OrderUpdate{Status: strategy.StatusPending, Order: strategy.Order{ID: "O1"}}})
	m.Record(&engine.Record{Instance: "grid", Kind: engine.RecordOrder, Order: strategy.OrderUpdate{Status: strategy.StatusRejected}})
	m.Record(&engine.Record{Instance: "grid", Kind: engine.RecordFill, Fill: strategy.Fill{Pair: "BTC/USD", Liquidity: strategy.Maker}})
	m.Record(&engine.Record{Instance: "grid", Kind: engine.RecordEquity, Equity: decimal.RequireFromString("10012.5")})
	m.Record(&engine.Record{Instance: "grid", Kind: engine.RecordFault, Err: errors.New("boom")})
	t0 := time.Unix(1_700_000_000, 0)
	m.Observe([]feed.Event{{Kind: feed.KindTrade, Time: t0, Recv: t0.Add(30 * time.Millisecond)}, {Kind: feed.KindBook}})

	s, err := metrics.Listen("127.0.0.1:0", m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	get := func(path string) string {
		resp, err := http.Get("http://" + s.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		return string(b)
	}
	body := get("/metrics")
	for _, want := range []string{
		`papertrade_orders_total{instance="grid"} 1`,
		`papertrade_order_rejects_total{instance="grid"} 1`,
		`papertrade_fills_total{instance="grid",liquidity="maker",pair="BTC/USD"} 1`,
		`papertrade_equity{instance="grid"} 10012.5`,
		`papertrade_strategy_faults_total{instance="grid",kind="fault"} 1`,
		`papertrade_events_total 2`,
		`papertrade_feed_lag_seconds_count 1`,
		`papertrade_feed_lag_seconds_bucket{le="0.05"} 1`,
		`papertrade_feed_connected 1`,
		`papertrade_feed_frames_total 1234`,
		`papertrade_feed_reconnects_total 2`,
		`papertrade_feed_gaps_total{channel="book"} 4`,
		`papertrade_feed_gaps_total{channel="trade"} 1`,
		`papertrade_feed_checksum_mismatches_total 1`,
		`papertrade_journal_committed_records_total 99`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if !strings.Contains(get("/debug/pprof/"), "goroutine") {
		t.Error("pprof index missing")
	}
}

// The worker backlog comes from the engine's probe while a run is going.
func TestProbeBacklog(t *testing.T) {
	m := metrics.New()
	var p engine.Probe
	m.SetProbe(&p)
	seen := make(chan string, 1)
	src := feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		mfs, err := m.Registry().Gather()
		if err != nil {
			return err
		}
		var names []string
		for _, mf := range mfs {
			if mf.GetName() == "papertrade_worker_backlog_events" {
				for _, x := range mf.GetMetric() {
					names = append(names, x.GetLabel()[0].GetValue())
				}
			}
		}
		seen <- strings.Join(names, ",")
		return nil
	})
	in := engine.Instance{Name: "w1", Strategy: nop{}, Pairs: []feed.Pair{"BTC/USD"}}
	if _, err := engine.Run(context.Background(), engine.Config{Sources: []feed.Source{src}, Instances: []engine.Instance{in}, Probe: &p,
		Pairs: func(feed.Pair) (*feed.PairInfo, bool) { return &feed.PairInfo{}, true }}); err != nil {
		t.Fatal(err)
	}
	if got := <-seen; got != "w1" {
		t.Fatalf("backlog series for %q", got)
	}
}

type nop struct{}

func (nop) OnTrade(strategy.Context, feed.Trade) error { return nil }

func TestLoopbackOnly(t *testing.T) {
	for _, addr := range []string{":9090", "0.0.0.0:9090", "10.0.0.1:9090"} {
		if _, err := metrics.Listen(addr, metrics.New()); !errors.Is(err, metrics.ErrNotLoopback) {
			t.Errorf("Listen(%q) = %v, want ErrNotLoopback", addr, err)
		}
	}
}
