package backtest

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

var update = flag.Bool("update", false, "rewrite golden files and the committed test tape")

// ---- test strategies: small, deterministic and busy, independent of the sample strategies ----

// flipParams: every Every trades of a pair the strategy flips between flat and long Size,
// with market orders.
type flipParams struct {
	Every int             `param:"every" default:"40" range:"10:100:10" help:"trades between flips"`
	Size  decimal.Decimal `param:"size" default:"0.01" help:"base quantity"`
}

type flip struct {
	p flipParams
	n map[feed.Pair]int
}

func (s *flip) OnTrade(c strategy.Context, t feed.Trade) error {
	s.n[t.Pair]++
	if s.n[t.Pair]%s.p.Every != 0 {
		return nil
	}
	pos := c.Position(t.Pair)
	o := strategy.Order{Pair: t.Pair, Type: strategy.Market, Side: feed.Buy, Qty: s.p.Size}
	if pos.Qty.Sign() > 0 {
		o.Side, o.Qty = feed.Sell, pos.Qty
	}
	_, _ = c.Submit(o) // a rejection (funds) is recorded, not a fault
	return nil
}

// makerParams: a post-only limit buy Bps below the last trade while flat, a post-only sell
// Bps above the entry while long; an order unfilled after TTL trades is cancelled.
type makerParams struct {
	Bps  decimal.Decimal `param:"bps" default:"5" range:"1:20:1" help:"distance in basis points"`
	Size decimal.Decimal `param:"size" default:"0.02" help:"base quantity"`
	TTL  int             `param:"ttl" default:"30" range:"10:100:10" help:"trades before an unfilled order is cancelled"`
}

// Validate gives the sweep tests parameter combinations a strategy refuses.
func (p *makerParams) Validate() error {
	if p.TTL < 2*int(p.Bps.IntPart()) {
		return errors.New("ttl must be at least twice bps")
	}
	return nil
}

type maker struct {
	p   makerParams
	age map[feed.Pair]int
}

func (s *maker) OnTrade(c strategy.Context, t feed.Trade) error {
	open := c.OpenOrders(t.Pair)
	if len(open) > 0 {
		s.age[t.Pair]++
		if s.age[t.Pair] >= s.p.TTL {
			s.age[t.Pair] = 0
			return c.CancelAll(t.Pair)
		}
		return nil
	}
	s.age[t.Pair] = 0
	m := c.Market(t.Pair)
	pos := c.Position(t.Pair)
	bps := s.p.Bps.Shift(-4)
	o := strategy.Order{Pair: t.Pair, Type: strategy.Limit, PostOnly: true}
	if pos.Qty.Sign() > 0 {
		o.Side, o.Qty, o.Price = feed.Sell, pos.Qty, m.CeilPrice(pos.AvgEntry.Mul(decimal.NewFromInt(1).Add(bps)))
	} else {
		o.Side, o.Qty, o.Price = feed.Buy, s.p.Size, m.FloorPrice(t.Price.Mul(decimal.NewFromInt(1).Sub(bps)))
	}
	_, _ = c.Submit(o)
	return nil
}

// testRegistry holds the test strategies.
func testRegistry() *strategy.Registry {
	r := strategy.NewRegistry()
	r.Register("flip", func(p strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
		s := &flip{n: map[feed.Pair]int{}}
		return s, p.Decode(&s.p)
	}, flipParams{}, "flips between flat and long every N trades")
	r.Register("maker", func(p strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
		s := &maker{age: map[feed.Pair]int{}}
		return s, p.Decode(&s.p)
	}, makerParams{}, "post-only limit orders around the last trade")
	return r
}

// ---- synthetic tapes ----

// synthConfig is a slow two-pair market (a few trades per minute), so that a few thousand
// trades span hours.
func synthConfig(seed uint64, rate float64) synth.Config {
	pairs := kraken.DefaultPairs()
	pc := func(p feed.Pair, price string) synth.PairConfig {
		info, _ := pairs.Lookup(p)
		return synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(price), Depth: 10, TradeRate: rate, BookRate: rate}
	}
	return synth.Config{Seed: seed, Pairs: []synth.PairConfig{pc("BTC/USD", "60000"), pc("ETH/USD", "3000")}}
}

// writeSynthTape records trades trades of the synthetic market as Kraken v2 frames (what a
// live recording holds), with receive time = event time.
func writeSynthTape(t testing.TB, dir string, cfg synth.Config, trades int) {
	t.Helper()
	m, err := synth.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := kraken.NewEncoder(feed.APIV2, kraken.EncodeDepth(10))
	if err != nil {
		t.Fatal(err)
	}
	w, err := tape.NewWriter(dir, tape.WithFlushInterval(0), tape.WithName("synth"), tape.WithMaxSegmentAge(0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	out := make(chan []feed.Event, 4)
	errc := make(chan error, 1)
	go func() { errc <- m.Source(trades, 0).Run(ctx, out); close(out) }()
	var buf []byte
	for b := range out {
		for i := 0; i < len(b); i++ {
			ev := &b[i]
			buf = buf[:0]
			switch ev.Kind {
			case feed.KindTrade:
				// Consecutive trades of one pair at one time are one frame, as on Kraken.
				j := i + 1
				for j < len(b) && b[j].Kind == feed.KindTrade && b[j].Pair == ev.Pair && b[j].Time.Equal(ev.Time) {
					j++
				}
				ts := make([]feed.Trade, 0, j-i)
				for k := i; k < j; k++ {
					ts = append(ts, b[k].Trade)
				}
				buf, err = enc.AppendTrades(buf, false, ts)
				i = j - 1
			case feed.KindBook:
				buf, err = enc.AppendBook(buf, ev.Book)
			default:
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(tape.Frame{Recv: ev.Time, API: feed.APIV2, Raw: buf}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// goldenTape is the committed test tape: 6000 trades of the slow market, about 3 hours.
const goldenTape = "testdata/tape"

// TestWriteGoldenTape rewrites testdata/tape with -update (it is committed; the generator is
// deterministic, so rewriting gives the same bytes unless synth or the encoder changed).
func TestWriteGoldenTape(t *testing.T) {
	if !*update {
		t.Skip("run with -update to regenerate testdata/tape")
	}
	if err := os.RemoveAll(goldenTape); err != nil {
		t.Fatal(err)
	}
	writeSynthTape(t, goldenTape, synthConfig(11, 0.3), 6000)
}

const goldenConfig = "testdata/run.yaml"

func loadConfig(t testing.TB, path string) *config.Config {
	t.Helper()
	c, err := config.Load(path, testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tempOut(t testing.TB) string { return filepath.Join(t.TempDir(), "out") }

var _ = time.Second

func eventAt(e *Events, i int) *feed.Event {
	var ev feed.Event
	e.event(i, &ev)
	return &ev
}
