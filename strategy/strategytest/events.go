package strategytest

import (
	"math/rand/v2"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// Walk describes a seeded synthetic market: trades whose price moves by a random number of
// ticks each time, optionally with book snapshots around the price. All arithmetic is on
// integers, so the same Walk gives the same events on every platform. Zero fields take the
// defaults noted.
type Walk struct {
	Pair      feed.Pair       // BTC/USD
	Seed      uint64          // the random source's seed
	N         int             // number of trades (1000)
	Start     time.Time       // time of the first trade (DefaultStart)
	Price     decimal.Decimal // first price (30000)
	Tick      decimal.Decimal // price step, the pair's tick (0.1)
	MaxMove   int             // largest move per trade, in ticks (50)
	Every     time.Duration   // mean time between trades; gaps are uniform in [0, 2·Every) (2s)
	MaxQty    decimal.Decimal // largest trade quantity (0.5)
	LotDec    int32           // quantity decimals (8)
	BookEvery int             // a 10-level book snapshot after every BookEvery trades; 0 for none
}

// RandomWalk returns n trade events on BTC/USD from seed, with the Walk defaults.
func RandomWalk(seed uint64, n int) []feed.Event { return Walk{Seed: seed, N: n}.Events() }

// Events generates the walk's events, stamped Seq 1, 2, ….
func (w Walk) Events() []feed.Event {
	if w.Pair == "" {
		w.Pair = "BTC/USD"
	}
	if w.N == 0 {
		w.N = 1000
	}
	if w.Start.IsZero() {
		w.Start = DefaultStart
	}
	if w.Price.Sign() <= 0 {
		w.Price = decimal.NewFromInt(30000)
	}
	if w.Tick.Sign() <= 0 {
		w.Tick = decimal.New(1, -1)
	}
	if w.MaxMove <= 0 {
		w.MaxMove = 50
	}
	if w.Every <= 0 {
		w.Every = 2 * time.Second
	}
	if w.MaxQty.Sign() <= 0 {
		w.MaxQty = decimal.New(5, -1)
	}
	if w.LotDec <= 0 {
		w.LotDec = 8
	}
	r := rand.New(rand.NewPCG(w.Seed, 0x5eed))
	tickScale := -w.Tick.Exponent()
	tickMant := w.Tick.CoefficientInt64()
	ticks := w.Price.Div(w.Tick).IntPart() // price in ticks
	maxQty := w.MaxQty.Shift(w.LotDec).IntPart()
	at := w.Start
	var out []feed.Event
	var seq uint64
	for i := range w.N {
		if i > 0 {
			at = at.Add(time.Duration(r.Int64N(int64(2 * w.Every))))
			ticks += int64(r.IntN(2*w.MaxMove+1) - w.MaxMove)
			if ticks < 20 { // keeps the book's lowest bid above zero
				ticks = 20
			}
		}
		price := decimal.New(ticks*tickMant, -tickScale)
		qty := decimal.New(1+r.Int64N(maxQty), -w.LotDec)
		side := feed.Buy
		if r.IntN(2) == 0 {
			side = feed.Sell
		}
		seq++
		out = append(out, feed.Event{
			Seq: seq, Kind: feed.KindTrade, Pair: w.Pair, Time: at,
			Trade: feed.Trade{Pair: w.Pair, Side: side, OrdType: feed.OrdMarket, Price: price, Qty: qty, ID: uint64(i + 1), Time: at},
		})
		if w.BookEvery > 0 && (i+1)%w.BookEvery == 0 {
			u := &feed.BookUpdate{Pair: w.Pair, Snapshot: true, Time: at}
			for l := int64(1); l <= 10; l++ {
				q := feed.Fixed{Mant: 1 + r.Int64N(maxQty), Scale: w.LotDec}
				u.Bids = append(u.Bids, feed.BookLevel{Price: feed.Fixed{Mant: (ticks - l) * tickMant, Scale: tickScale}, Qty: q})
				u.Asks = append(u.Asks, feed.BookLevel{Price: feed.Fixed{Mant: (ticks + l) * tickMant, Scale: tickScale}, Qty: q})
			}
			seq++
			out = append(out, feed.Event{Seq: seq, Kind: feed.KindBook, Pair: w.Pair, Time: at, Book: u})
		}
	}
	return out
}
