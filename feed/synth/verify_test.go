package synth

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// TestConsistency is the property test: for several seeds, 50k events of a four-pair market
// pass every Verifier check, and the market's own book equals the replayed one after every
// step.
func TestConsistency(t *testing.T) {
	for _, seed := range []uint64{1, 2, 42, 1 << 40} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			checkMarket(t, testConfig(seed), 50_000)
		})
	}
}

// TestConsistencyEdges covers unusual but valid pairs: a tick and a lot step that are not
// one unit of the last decimal, a one-level book, a wide spread, and a pair that trades
// much faster than it quotes.
func TestConsistencyEdges(t *testing.T) {
	d := decimal.RequireFromString
	cfg := Config{Seed: 5, Pairs: []PairConfig{
		{Info: feed.PairInfo{Pair: "ODD/USD", PriceDecimals: 3, LotDecimals: 5, Tick: d("0.025"), LotStep: d("0.001"), OrderMin: d("0.5")},
			StartPrice: d("250"), Depth: 7, SpreadTicks: 3},
		{Info: feed.PairInfo{Pair: "ONE/EUR", PriceDecimals: 4, LotDecimals: 0}, StartPrice: d("2.5"), Depth: 1, LevelSize: d("3")},
		{Info: feed.PairInfo{Pair: "FAST/USD", PriceDecimals: 2, LotDecimals: 8}, StartPrice: d("99.99"), TradeRate: 50, BookRate: 1, Volatility: 2},
	}}
	checkMarket(t, cfg, 50_000)
}

func checkMarket(t *testing.T, cfg Config, n int) {
	t.Helper()
	m := mustNew(t, cfg)
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var evs []feed.Event
	trades, sweeps, updates := 0, 0, 0
	for v.Events() < n {
		evs = m.Next(evs[:0])
		if len(evs) == 0 {
			t.Fatal("empty step")
		}
		nt := 0
		for i := range evs {
			if err := v.Check(&evs[i]); err != nil {
				t.Fatal(err)
			}
			if !evs[i].Time.Equal(evs[0].Time) || evs[i].Pair != evs[0].Pair {
				t.Fatalf("event %d of a step: %s at %s; the step is %s at %s", i, evs[i].Pair, evs[i].Time, evs[0].Pair, evs[0].Time)
			}
			if evs[i].Kind == feed.KindTrade {
				nt++
			} else {
				updates++
			}
		}
		trades += nt
		if nt > 1 {
			sweeps++
		}
		pair := evs[0].Pair
		if got, want := m.Book(pair), v.Book(pair); !sameBook(got, want) {
			t.Fatalf("after event %d the market's %s book\n%s\ndiffers from the replayed one\n%s", v.Events(), pair, bookString(got), bookString(want))
		}
	}
	if trades == 0 || sweeps == 0 || updates == 0 {
		t.Errorf("%d trades, %d sweeps, %d book events; want some of each", trades, sweeps, updates)
	}
	if uint64(trades) != m.Trades() {
		t.Errorf("Trades() = %d; counted %d", m.Trades(), trades)
	}
	t.Logf("%d events: %d trades, %d multi-trade sweeps, %d book events", v.Events(), trades, sweeps, updates)
}

func sameBook(a, b *feed.Book) bool {
	for _, side := range []feed.Side{feed.Buy, feed.Sell} {
		if a.Len(side) != b.Len(side) {
			return false
		}
		for i := range a.Len(side) {
			if a.Level(side, i) != b.Level(side, i) {
				return false
			}
		}
	}
	return true
}

func bookString(b *feed.Book) string {
	var s strings.Builder
	for _, side := range []feed.Side{feed.Buy, feed.Sell} {
		fmt.Fprintf(&s, "%s:", side)
		for i := range b.Len(side) {
			l := b.Level(side, i)
			fmt.Fprintf(&s, " %s@%s", l.Qty, l.Price)
		}
		s.WriteByte('\n')
	}
	return s.String()
}

// TestVerifierRejects feeds the Verifier a valid stream with one event broken and requires
// it to notice, with a message saying what is wrong.
func TestVerifierRejects(t *testing.T) {
	cfg := testConfig(3)
	cfg.Pairs = cfg.Pairs[:1] // BTC/USD: price 1 decimal, lot 8
	good := generate(t, cfg, 400)
	firstTrade := func(side feed.Side) int {
		for i, e := range good {
			if e.Kind == feed.KindTrade && e.Trade.Side == side {
				return i
			}
		}
		t.Fatal("no trade")
		return 0
	}
	firstUpdate := 1
	if good[1].Kind != feed.KindBook {
		t.Fatal("second event is not an update")
	}
	cloneBook := func(u *feed.BookUpdate) *feed.BookUpdate {
		c := *u
		c.Bids = append([]feed.BookLevel(nil), u.Bids...)
		c.Asks = append([]feed.BookLevel(nil), u.Asks...)
		return &c
	}
	snap := good[0].Book
	tick := decimal.RequireFromString("0.1")

	tests := []struct {
		name string
		at   int
		edit func(e *feed.Event) (drop bool)
		want string
	}{
		{"buy above the touch", firstTrade(feed.Buy), func(e *feed.Event) bool { e.Trade.Price = e.Trade.Price.Add(tick); return false }, "the touch is"},
		{"sell below the touch", firstTrade(feed.Sell), func(e *feed.Event) bool { e.Trade.Price = e.Trade.Price.Sub(tick); return false }, "the touch is"},
		{"more than the touch", firstTrade(feed.Buy), func(e *feed.Event) bool { e.Trade.Qty = e.Trade.Qty.Add(decimal.New(1000, 0)); return false }, "exceeds the touch"},
		{"skipped id", firstTrade(feed.Buy), func(e *feed.Event) bool { e.Trade.ID += 1; return false }, "trade id"},
		{"price off its decimals", firstTrade(feed.Buy), func(e *feed.Event) bool { e.Trade.Price = e.Trade.Price.Add(decimal.New(1, -2)); return false }, "multiple of the tick"},
		{"wrong side", firstTrade(feed.Buy), func(e *feed.Event) bool { e.Trade.Side = feed.Sell; return false }, "the touch is"},
		{"consumption not shown", firstTrade(feed.Buy) + 1, func(e *feed.Event) bool { return true }, "after the trade"},
		{"snapshot dropped", 0, func(e *feed.Event) bool { return true }, "before the snapshot"},
		{"time goes back", firstUpdate, func(e *feed.Event) bool {
			e.Time = DefaultStart.Add(-time.Second)
			e.Recv = e.Time
			e.Book = cloneBook(e.Book)
			e.Book.Time = e.Time
			return false
		}, "time goes back"},
		{"recv differs", firstUpdate, func(e *feed.Event) bool { e.Recv = e.Recv.Add(time.Millisecond); return false }, "recv"},
		{"crossed", firstUpdate, func(e *feed.Event) bool {
			e.Book = cloneBook(e.Book)
			e.Book.Bids = append(e.Book.Bids, feed.BookLevel{Price: snap.Asks[24].Price, Qty: snap.Asks[0].Qty})
			return false
		}, "crossed"},
		{"qty off its decimals", firstUpdate, func(e *feed.Event) bool {
			e.Book = cloneBook(e.Book)
			e.Book.Bids = append(e.Book.Bids, feed.BookLevel{Price: snap.Bids[24].Price, Qty: feed.MustFixed("1.5")})
			return false
		}, "multiple of the lot"},
		{"price listed twice", firstUpdate, func(e *feed.Event) bool {
			e.Book = cloneBook(e.Book)
			e.Book.Asks = append(e.Book.Asks, e.Book.Asks...)
			e.Book.Asks = append(e.Book.Asks, feed.BookLevel{Price: snap.Asks[3].Price, Qty: snap.Asks[3].Qty}, feed.BookLevel{Price: snap.Asks[3].Price, Qty: snap.Asks[3].Qty})
			return false
		}, "listed twice"},
		{"deeper than depth", firstUpdate, func(e *feed.Event) bool {
			e.Book = cloneBook(e.Book)
			last := snap.Asks[len(snap.Asks)-1].Price
			e.Book.Asks = append(e.Book.Asks, feed.BookLevel{Price: feed.Fixed{Mant: last.Mant + 1000, Scale: 1}, Qty: snap.Asks[0].Qty})
			return false
		}, "depth is"},
		{"unknown pair", firstUpdate, func(e *feed.Event) bool { e.Pair = "XBT/USD"; return false }, "unknown pair"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := NewVerifier(cfg)
			if err != nil {
				t.Fatal(err)
			}
			for i := range good {
				e := good[i]
				if i == tc.at && tc.edit(&e) {
					continue
				}
				if err := v.Check(&e); err != nil {
					if !strings.Contains(err.Error(), tc.want) {
						t.Fatalf("error %q; want it to mention %q", err, tc.want)
					}
					if i < tc.at {
						t.Fatalf("error at event %d, before the broken one (%d): %v", i, tc.at, err)
					}
					return
				}
			}
			t.Fatalf("no error; want one mentioning %q", tc.want)
		})
	}
}

func TestNewRejects(t *testing.T) {
	d := decimal.RequireFromString
	btc := func(edit func(*PairConfig)) Config {
		pc := testPairs()[0]
		edit(&pc)
		return Config{Pairs: []PairConfig{pc}}
	}
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no pairs", Config{}, "no pairs"},
		{"duplicate", Config{Pairs: []PairConfig{testPairs()[0], testPairs()[1], testPairs()[0]}}, "listed twice (entries 0 and 2)"},
		{"bad name", btc(func(p *PairConfig) { p.Info.Pair = "BTCUSD" }), "BASE/QUOTE"},
		{"price decimals", btc(func(p *PairConfig) { p.Info.PriceDecimals = 17 }), "price decimals 17"},
		{"lot decimals", btc(func(p *PairConfig) { p.Info.LotDecimals = -1 }), "lot decimals -1"},
		{"tick finer than decimals", btc(func(p *PairConfig) { p.Info.Tick = d("0.05") }), "tick 0.05"},
		{"negative lot step", btc(func(p *PairConfig) { p.Info.LotStep = d("-0.1") }), "lot step"},
		{"negative ordermin", btc(func(p *PairConfig) { p.Info.OrderMin = d("-1") }), "ordermin"},
		{"no start price", btc(func(p *PairConfig) { p.StartPrice = decimal.Decimal{} }), "start price 0 must be positive"},
		{"start price too low", btc(func(p *PairConfig) { p.StartPrice = d("10") }), "needs at least"},
		{"start price too high", btc(func(p *PairConfig) { p.StartPrice = d("1e30") }), "too large"},
		{"depth", btc(func(p *PairConfig) { p.Depth = 1001 }), "depth 1001"},
		{"negative depth", btc(func(p *PairConfig) { p.Depth = -1 }), "depth -1"},
		{"trade rate", btc(func(p *PairConfig) { p.TradeRate = -1 }), "trade rate"},
		{"book rate", btc(func(p *PairConfig) { p.BookRate = 1e7 }), "book rate"},
		{"NaN volatility", btc(func(p *PairConfig) { p.Volatility = nan() }), "volatility NaN"},
		{"volatility per step", btc(func(p *PairConfig) { p.Volatility = 9; p.TradeRate = 0.0001; p.BookRate = 0.0001 }), "per step"},
		{"spread", btc(func(p *PairConfig) { p.SpreadTicks = -2 }), "spread -2"},
		{"level gap", btc(func(p *PairConfig) { p.LevelGap = -2 }), "level gap -2"},
		{"level size below ordermin", btc(func(p *PairConfig) { p.LevelSize = d("0.00001") }), "below ordermin"},
		{"level size too large", btc(func(p *PairConfig) { p.LevelSize = d("1e12") }), "too large"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := New(tc.cfg)
			if err == nil {
				t.Fatalf("New succeeded (%d pairs); want an error mentioning %q", len(m.Pairs()), tc.want)
			}
			if !errors.Is(err, ErrConfig) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q; want ErrConfig mentioning %q", err, tc.want)
			}
			if _, err := NewVerifier(tc.cfg); err == nil {
				t.Fatal("NewVerifier accepted the config")
			}
		})
	}
}

func nan() float64 { var z float64; return z / z }

func TestDefaults(t *testing.T) {
	m := mustNew(t, testConfig(1))
	if got, want := m.Pairs(), []feed.Pair{"BTC/USD", "DOGE/USD", "ETH/USD", "SOL/USD"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Pairs() = %v; want %v", got, want)
	}
	if m.Book("XBT/USD") != nil {
		t.Fatal("Book of an unknown pair is not nil")
	}
	if _, ok := m.Info("XBT/USD"); ok {
		t.Fatal("Info of an unknown pair is ok")
	}
	evs := m.Next(nil)
	if len(evs) != 1 || !evs[0].Book.Snapshot || evs[0].Pair != "BTC/USD" || !evs[0].Time.Equal(DefaultStart) {
		t.Fatalf("first step = %+v; want the BTC/USD snapshot at %s", evs, DefaultStart)
	}
	u := evs[0].Book
	if len(u.Bids) != DefaultDepth || len(u.Asks) != DefaultDepth {
		t.Fatalf("snapshot has %d bids, %d asks; want %d each", len(u.Bids), len(u.Asks), DefaultDepth)
	}
	if u.Bids[0].Price.String() != "63999.9" || u.Asks[0].Price.String() != "64000.0" {
		t.Fatalf("touch %s / %s; want 63999.9 / 64000.0 around the start price 64000", u.Bids[0].Price, u.Asks[0].Price)
	}
	// The other snapshots follow at the same time, in pair-name order.
	for _, want := range []feed.Pair{"DOGE/USD", "ETH/USD", "SOL/USD"} {
		evs = m.Next(evs[:0])
		if len(evs) != 1 || !evs[0].Book.Snapshot || evs[0].Pair != want || !evs[0].Time.Equal(DefaultStart) {
			t.Fatalf("step = %s snapshot=%v at %s; want the %s snapshot at the start", evs[0].Pair, evs[0].Book != nil && evs[0].Book.Snapshot, evs[0].Time, want)
		}
	}
	if b := m.Book("DOGE/USD"); b.Len(feed.Buy) != 10 || b.Len(feed.Sell) != 10 || b.Depth != 10 {
		t.Fatalf("DOGE/USD book has %d bids, %d asks, depth %d; want 10", b.Len(feed.Buy), b.Len(feed.Sell), b.Depth)
	}
}
