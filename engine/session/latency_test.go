package session_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// recvTimes remembers when each trade's frame was read from the socket, by pair and trade id.
// It is written by the source's observer, which may run after the strategies saw the trade
// (observers are off the reader's path), so latencies are computed after the run.
type recvTimes struct {
	ring [2][1 << 20]atomic.Int64
}

func (r *recvTimes) slot(p feed.Pair, id uint64) *atomic.Int64 {
	i := 0
	if p != testPairs[0] {
		i = 1
	}
	return &r.ring[i][id&(1<<20-1)]
}

// seen is one trade as a probe saw it: which trade, and when OnTrade ran.
type seen struct {
	pair feed.Pair
	id   uint64
	at   int64
}

// probe is a strategy that notes, for every trade, when its OnTrade callback ran; with
// every > 0 it also trades (a market order every `every` trades) so the journal has fills
// to write.
type probe struct {
	from  time.Time // ignore the warm-up
	seen  []seen
	every int
	n     int
}

func (p *probe) OnTrade(c strategy.Context, t feed.Trade) error {
	if now := time.Now(); now.After(p.from) {
		p.seen = append(p.seen, seen{pair: t.Pair, id: t.ID, at: now.UnixNano()})
	}
	p.n++
	if p.every > 0 && p.n%p.every == 0 {
		m := c.Market(t.Pair)
		side := feed.Buy
		if c.Position(t.Pair).Qty.Sign() > 0 {
			side = feed.Sell
		}
		_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: side, Type: strategy.Market, Qty: m.MinQty(t.Price)})
	}
	return nil
}

// tickLatency runs a live session on the look-alike at rate events/s for d with n probe
// strategies, and returns every measured latency and the frame rate achieved.
func tickLatency(tb testing.TB, rate float64, d time.Duration, n, every int, journaled, recorded bool) ([]time.Duration, float64, journal.Stats) {
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(synthMarket(tb, 21), rate), krakentest.WithQueueLimit(1<<20))
	if err != nil {
		tb.Fatal(err)
	}
	defer srv.Close()
	rt := &recvTimes{}
	var tw *tape.Writer
	if recorded {
		if tw, err = tape.NewWriter(tb.TempDir()); err != nil {
			tb.Fatal(err)
		}
		defer tw.Close()
	}
	live, err := session.NewLive(session.LiveConfig{
		Tape:   tw,
		Client: kraken.ClientConfig{API: feed.APIV2, URL: srv.URLv2(), Pairs: testPairs, Channels: []string{"trade", "book"}, Depth: 10, Seed: 1},
		Observe: func(b []feed.Event) {
			for i := range b {
				if e := &b[i]; e.Kind == feed.KindTrade {
					rt.slot(e.Trade.Pair, e.Trade.ID).Store(e.Recv.UnixNano())
				}
			}
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	warm := time.Now().Add(time.Second)
	var probes []*probe
	var ins []engine.Instance
	for i := range n {
		p := &probe{from: warm, every: every}
		probes = append(probes, p)
		ins = append(ins, engine.Instance{Name: fmt.Sprint("probe-", i), Strategy: p, Pairs: testPairs,
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(10_000_000)}}})
	}
	cfg := engine.Config{Sources: []feed.Source{live}, Instances: ins, Pairs: kraken.DefaultPairs().Lookup, Mode: engine.Live}
	var jr *journal.Journal
	if journaled {
		jr, err = journal.Open(filepath.Join(tb.TempDir(), "lat.db"), journal.Options{Pairs: kraken.DefaultPairs().Lookup})
		if err != nil {
			tb.Fatal(err)
		}
		sc := journal.SessionConfig{ConfigHash: "latency"}
		for _, in := range ins {
			sc.Instances = append(sc.Instances, journal.InstanceConfig{Name: in.Name, Currency: "USD", Deposits: in.Balances})
		}
		if _, err := jr.Begin(context.Background(), sc); err != nil {
			tb.Fatal(err)
		}
		cfg.Recorder = jr
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	start := time.Now()
	if _, err := engine.Run(ctx, cfg); err != nil {
		tb.Fatal(err)
	}
	el := time.Since(start)
	var js journal.Stats
	if jr != nil {
		if err := jr.Close(); err != nil {
			tb.Fatal(err)
		}
		js = jr.Stats()
	}
	var all []time.Duration
	for _, p := range probes {
		for _, v := range p.seen {
			if r := rt.slot(v.pair, v.id).Load(); r != 0 {
				all = append(all, time.Duration(v.at-r))
			}
		}
	}
	slices.Sort(all)
	return all, float64(live.Stats().Client.Frames) / el.Seconds(), js
}

func pct(s []time.Duration, q float64) time.Duration {
	if len(s) == 0 {
		return 0
	}
	return s[min(len(s)-1, int(q*float64(len(s))))]
}

// BenchmarkTickToStrategy measures the latency from a frame's read on the socket (the
// client's receive stamp) to the OnTrade callback of each of 8 strategies, live, on loopback
// against the Kraken look-alike, at about 1,000 and 10,000 frames/s, with and without a
// journal receiving the strategies' records, and with the journal and a recording (every frame
// zstd-compressed onto a tape), as `papertrade live` runs by default. It runs a fixed 6 s per
// case whatever b.N is (use -benchtime=1x); scripts/bench-latency runs it.
func BenchmarkTickToStrategy(b *testing.B) {
	for _, c := range []struct {
		rate      float64
		every     int
		journaled bool
		recorded  bool
	}{{1000, 0, false, false}, {10000, 0, false, false}, {1000, 50, false, false}, {1000, 50, true, false}, {1000, 50, true, true}} {
		name := fmt.Sprintf("rate=%g", c.rate)
		if c.every > 0 {
			name += "/trading"
		}
		if c.journaled {
			name += "/journal"
		}
		if c.recorded {
			name += "/tape"
		}
		b.Run(name, func(b *testing.B) {
			var lat []time.Duration
			var fps float64
			var js journal.Stats
			for range b.N {
				lat, fps, js = tickLatency(b, c.rate, 6*time.Second, 8, c.every, c.journaled, c.recorded)
			}
			if len(lat) == 0 {
				b.Fatal("no trade measured")
			}
			b.ReportMetric(fps, "frames/s")
			b.ReportMetric(float64(pct(lat, 0.5).Microseconds()), "p50-µs")
			b.ReportMetric(float64(pct(lat, 0.99).Microseconds()), "p99-µs")
			b.ReportMetric(float64(pct(lat, 0.999).Microseconds()), "p99.9-µs")
			b.ReportMetric(float64(len(lat)), "samples")
			if c.journaled {
				b.ReportMetric(float64(js.Fills)/6, "journal-fills/s")
			}
		})
	}
}
