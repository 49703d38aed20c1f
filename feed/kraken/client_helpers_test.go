package kraken_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/feed/synth"
)

// checkLeaks verifies, after every other cleanup of the test, that no goroutine is left.
func checkLeaks(t *testing.T) {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) })
}

var startPrices = map[feed.Pair]string{
	"BTC/USD": "60000", "ETH/USD": "3000", "SOL/USD": "150", "DOGE/USD": "0.15", "ADA/USD": "0.45",
	"XRP/USD": "0.6", "LTC/USD": "80", "DOT/USD": "6", "LINK/USD": "15", "ALGO/USD": "0.2",
}

// synthMarket is a feed/synth market over pairs of the default table.
func synthMarket(t testing.TB, seed uint64, pairs ...feed.Pair) *synth.Market {
	t.Helper()
	var pcs []synth.PairConfig
	for _, p := range pairs {
		info, ok := kraken.DefaultPairs().Lookup(p)
		if !ok {
			t.Fatalf("pair %s not in the default table", p)
		}
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(startPrices[p])})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// harness runs a client against a krakentest server and reads its events one by one.
type harness struct {
	t      testing.TB
	cl     *kraken.Client
	out    chan []feed.Event
	errc   chan error
	cancel context.CancelFunc
	buf    []feed.Event
	all    []feed.Event // every event read so far
	guard  time.Duration
	done   bool
	runErr error
}

// startClient starts cfg's client on srv. Its Run is stopped and awaited at cleanup.
func startClient(t testing.TB, srv *krakentest.Server, cfg kraken.ClientConfig) *harness {
	t.Helper()
	cfg.Dialer = srv.Dialer()
	if cfg.URL == "" {
		cfg.URL = srv.URLv2()
		if cfg.API == feed.APIV1 {
			cfg.URL = srv.URLv1()
		}
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	cl, err := kraken.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	h := &harness{t: t, cl: cl, out: make(chan []feed.Event, 16), errc: make(chan error, 1), cancel: cancel, guard: 10 * time.Minute}
	go func() { h.errc <- cl.Run(ctx, h.out) }()
	t.Cleanup(h.stop)
	return h
}

// stop cancels Run and waits for it; Run must return the context's error.
func (h *harness) stop() {
	h.cancel()
	if !h.done {
		h.runErr = <-h.errc
		h.done = true
	}
	if h.runErr != nil && !errors.Is(h.runErr, context.Canceled) {
		h.t.Errorf("Run returned %v", h.runErr)
	}
}

// next returns the next event. The guard only turns a hang into a failure (under synctest
// it is fake time).
func (h *harness) next() feed.Event {
	h.t.Helper()
	if len(h.buf) == 0 {
		guard := time.NewTimer(h.guard)
		defer guard.Stop()
		select {
		case b := <-h.out:
			h.buf = b
		case err := <-h.errc:
			h.done, h.runErr = true, err
			h.t.Fatalf("Run returned early: %v", err)
		case <-guard.C:
			h.t.Fatalf("no event within %v; stats %+v", h.guard, h.cl.Stats())
		}
	}
	ev := h.buf[0]
	h.buf = h.buf[1:]
	h.all = append(h.all, ev)
	return ev
}

// until reads events until f accepts one, and returns it.
func (h *harness) until(f func(ev *feed.Event) bool) feed.Event {
	h.t.Helper()
	for {
		ev := h.next()
		if f(&ev) {
			return ev
		}
	}
}

func isAck(ev *feed.Event, channel string, pair feed.Pair) bool {
	return ev.Kind == feed.KindAck && ev.Ack.Success && ev.Ack.Method == "subscribe" && ev.Ack.Channel == channel && ev.Pair == pair
}

func isTrade(id uint64) func(ev *feed.Event) bool {
	return func(ev *feed.Event) bool { return ev.Kind == feed.KindTrade && ev.Trade.ID >= id }
}

// trade returns a trade event for Publish (the server numbers it).
func trade(pair feed.Pair, price string, tm time.Time) feed.Event {
	return feed.Event{Kind: feed.KindTrade, Time: tm, Trade: feed.Trade{Pair: pair, Side: feed.Buy, OrdType: feed.OrdLimit,
		Price: decimal.RequireFromString(price), Qty: decimal.New(1, -3), Time: tm}}
}

// checkTradeStream requires the delivered trades of each pair to have strictly increasing ids
// with every hole covered by a gap event; it returns the ids delivered per pair.
func checkTradeStream(t testing.TB, evs []feed.Event) map[feed.Pair][]uint64 {
	t.Helper()
	ids := map[feed.Pair][]uint64{}
	covered := map[feed.Pair]map[uint64]bool{}
	for _, ev := range evs {
		switch {
		case ev.Kind == feed.KindGap && ev.Gap.Channel == "trade" && ev.Gap.Missing > 0:
			if covered[ev.Pair] == nil {
				covered[ev.Pair] = map[uint64]bool{}
			}
			if ev.Gap.ToID-ev.Gap.FromID+1 != ev.Gap.Missing {
				t.Errorf("gap %+v: size does not match its ids", ev.Gap)
			}
			for id := ev.Gap.FromID; id <= ev.Gap.ToID; id++ {
				covered[ev.Pair][id] = true
			}
		case ev.Kind == feed.KindTrade:
			p := ev.Trade.Pair
			list := ids[p]
			if n := len(list); n > 0 {
				last := list[n-1]
				if ev.Trade.ID <= last {
					t.Fatalf("%s: trade %d delivered after %d", p, ev.Trade.ID, last)
				}
				for id := last + 1; id < ev.Trade.ID; id++ {
					if !covered[p][id] {
						t.Fatalf("%s: trade %d missing without a gap event", p, id)
					}
				}
			}
			ids[p] = append(list, ev.Trade.ID)
		}
	}
	return ids
}
