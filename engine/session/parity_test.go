package session_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// churner trades constantly: limit orders around the last price (resting and marketable),
// market orders, cancels. Its decisions depend only on what its Context shows.
type churner struct{ n int }

func (c *churner) OnTrade(cx strategy.Context, t feed.Trade) error {
	c.n++
	m := cx.Market(t.Pair)
	qty := m.MinQty(t.Price).Mul(decimal.NewFromInt(2))
	switch c.n % 9 {
	case 0:
		_, _ = cx.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: qty})
	case 3:
		if pos := cx.Position(t.Pair); pos.Qty.Sign() > 0 && m.Tradable(m.FloorQty(pos.Qty), t.Price) {
			_, _ = cx.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Limit, Qty: m.FloorQty(pos.Qty), Price: m.RoundPrice(t.Price.Mul(decimal.RequireFromString("0.9999")))})
		}
	case 5:
		_, _ = cx.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit, Qty: qty, Price: m.RoundPrice(t.Price.Mul(decimal.RequireFromString("0.9998")))})
	case 7:
		if open := cx.OpenOrders(t.Pair); len(open) > 3 {
			_ = cx.Cancel(open[0].ID)
		}
	}
	return nil
}

func churners() []engine.Instance {
	var out []engine.Instance
	for i, p := range testPairs {
		out = append(out, engine.Instance{Name: "churn-" + strings.ToLower(p.Base()), Type: "churner", Strategy: &churner{}, Pairs: []feed.Pair{p},
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(1_000_000)}}, Sim: simCfg(uint64(i + 1))})
	}
	return out
}

// A live session through dropped connections (every 700 ms) and a corrupted checksum,
// recorded, then replayed from its tape: the replay makes exactly the same fills.
func TestLiveReplayParity(t *testing.T) {
	dur := 3 * time.Second
	if testing.Short() {
		dur = time.Second
	}
	srv, err := krakentest.Listen("127.0.0.1:0", krakentest.WithMarket(synthMarket(t, 11), 2000),
		krakentest.WithFaults(krakentest.FaultConfig{DropEvery: 700 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	w, err := tape.NewWriter(dir, tape.WithName("live-test"), tape.WithFlushInterval(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var once sync.Once
	var trades int
	corrupted := false
	live, err := session.NewLive(session.LiveConfig{
		Client: kraken.ClientConfig{API: feed.APIV2, URL: srv.URLv2(), Pairs: testPairs, Channels: []string{"trade", "book"}, Depth: 10, Seed: 3},
		Tape:   w,
		Observe: func(b []feed.Event) {
			for i := range b {
				if b[i].Kind == feed.KindTrade {
					trades++
				}
			}
			if trades > 1500 && !corrupted {
				corrupted = true
				_ = srv.CorruptNextChecksum("ETH/USD")
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop := time.AfterFunc(dur, func() { once.Do(cancel) })
	defer stop.Stop()
	ins := churners()
	mem := &engine.MemoryRecorder{}
	res, err := engine.Run(ctx, engine.Config{Sources: []feed.Source{live}, Instances: ins, Pairs: kraken.DefaultPairs().Lookup,
		Mode: engine.Live, Recorder: mem, EquityInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	ls := live.Stats()
	if ls.Stream.Connections < 2 {
		t.Fatalf("no reconnect in %s: %+v", dur, ls)
	}

	sess := &journal.SessionInfo{ID: 1, TapeDir: dir, TapeName: "live-test",
		Feed: journal.FeedInfo{API: "v2", Pairs: testPairs, Channels: []string{"trade", "book"}, Depth: 10}}
	rep, err := backtest.ReplaySession(context.Background(), backtest.SessionReplay{Session: sess, Instances: churners(), EquityInterval: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	var live2, rep2 []engine.Record
	for _, in := range res.Instances {
		names = append(names, in.Name)
		live2 = append(live2, mem.Records(in.Name)...)
		rep2 = append(rep2, rep.Records.Records(in.Name)...)
	}
	p := session.CompareFills(1, false, names, live2, rep2)
	var sb strings.Builder
	_ = p.Write(&sb)
	t.Log(sb.String())
	if !p.OK() {
		t.Fatal("replay diverged")
	}
	total := 0
	for _, in := range p.Instances {
		total += in.Equal
	}
	if total < 50 {
		t.Fatalf("only %d fills: the session did not trade enough to prove anything", total)
	}
	if res.Events != rep.Result.Events {
		t.Fatalf("live sequenced %d events, the replay %d", res.Events, rep.Result.Events)
	}
	if rep.Stream != ls.Stream {
		t.Fatalf("stream stats differ:\nlive   %+v\nreplay %+v", ls.Stream, rep.Stream)
	}
	t.Logf("%d events, %d connections, %d checksum mismatches, %d fills compared", res.Events, ls.Stream.Connections, ls.Stream.ChecksumMismatches, total)
}

func simCfg(seed uint64) sim.Config { return sim.Config{Seed: seed, Jitter: 20 * time.Millisecond} }
