package journal_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/strategy"
)

var pairs = kraken.DefaultPairs()

// market returns steps of a generated two-pair market in batches of 64 events.
func market(t testing.TB, seed uint64, steps int) [][]feed.Event {
	t.Helper()
	b, err := genMarket(seed, steps)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func genMarket(seed uint64, steps int) ([][]feed.Event, error) {
	var pcs []synth.PairConfig
	for _, p := range []struct {
		pair  feed.Pair
		price string
	}{{"BTC/USD", "50000"}, {"ETH/USD", "3000"}} {
		info, ok := pairs.Lookup(p.pair)
		if !ok {
			return nil, fmt.Errorf("pair %s missing", p.pair)
		}
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.RequireFromString(p.price), Depth: 10})
	}
	m, err := synth.New(synth.Config{Seed: seed, Pairs: pcs})
	if err != nil {
		return nil, err
	}
	var out [][]feed.Event
	var cur []feed.Event
	for range steps {
		cur = m.Next(cur)
		if len(cur) >= 64 {
			out = append(out, cur)
			cur = nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out, nil
}

func source(batches [][]feed.Event) feed.Source {
	return feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		for _, b := range batches {
			c := append([]feed.Event(nil), b...)
			select {
			case out <- c:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
}

// pinger rests a buy a little under the market every few trades and sells what it holds a
// little above; it cancels orders that have waited too long. It keeps no state that matters
// across a restart other than what its account shows.
type pinger struct {
	every int
	n     int
}

func (p *pinger) OnTrade(c strategy.Context, t feed.Trade) error {
	p.n++
	if p.n%p.every != 0 {
		return nil
	}
	m := c.Market(t.Pair)
	if open := c.OpenOrders(t.Pair); len(open) > 0 {
		if p.n%(p.every*5) == 0 {
			_ = c.Cancel(open[0].ID) // may already be on its way out
			return nil
		}
		return nil
	}
	qty := m.MinQty(t.Price).Mul(decimal.NewFromInt(3))
	if pos := c.Position(t.Pair); pos.Qty.Sign() > 0 {
		q := m.FloorQty(pos.Qty)
		if m.Tradable(q, t.Price) {
			_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Sell, Type: strategy.Limit, Qty: q, Price: m.RoundPrice(t.Price.Mul(decimal.RequireFromString("1.0003")))})
			return nil
		}
	}
	if p.n%(p.every*7) == 0 { // now and then a market order, and one the account cannot pay
		_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: qty})
		_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit, Qty: decimal.NewFromInt(1000), Price: m.RoundPrice(t.Price)})
		return nil
	}
	_, _ = c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit, Qty: qty, Price: m.RoundPrice(t.Price.Mul(decimal.RequireFromString("0.9997")))})
	return nil
}

func instances() []engine.Instance {
	mk := func(name string, every int, p feed.Pair) engine.Instance {
		return engine.Instance{Name: name, Type: "pinger", Strategy: &pinger{every: every}, Pairs: []feed.Pair{p},
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}}}
	}
	ins := []engine.Instance{mk("btc", 3, "BTC/USD"), mk("eth", 2, "ETH/USD")}
	for i := range ins {
		ins[i].Sim.Seed = uint64(100 + i)
	}
	return ins
}

func sessionConfig(hash string, ins []engine.Instance) journal.SessionConfig {
	sc := journal.SessionConfig{Mode: "test", ConfigHash: hash, Config: []byte("cfg: " + hash), Seed: 1, Version: "test",
		Feed: journal.FeedInfo{API: "v2", Pairs: []feed.Pair{"BTC/USD", "ETH/USD"}, Channels: []string{"trade", "book"}}}
	for _, in := range ins {
		sc.Instances = append(sc.Instances, journal.InstanceConfig{Name: in.Name, Type: in.Type, Seed: in.Sim.Seed, Currency: "USD", Deposits: in.Balances})
	}
	return sc
}

// render prints records with values, not representations.
func render(recs []engine.Record) string {
	var b strings.Builder
	for _, r := range recs {
		fmt.Fprintf(&b, "%s %d %d %s ", r.Instance, r.Seq, r.Time.UnixNano(), r.Kind)
		switch r.Kind {
		case engine.RecordOrder:
			u := r.Order
			o := u.Order
			cl := ""
			if o.Close != nil {
				cl = fmt.Sprintf("%+v", *o.Close)
			}
			fmt.Fprintf(&b, "%s %s %s %s %s %s@%s/%s tif=%s po=%v exp=%d close=%s filled=%s avg=%s fee=%s %q t=%d",
				o.ID, u.Status, o.Pair, o.Side, o.Type, o.Qty, o.Price, o.Price2, o.TimeInForce, o.PostOnly, o.ExpireTime.UnixNano(), cl,
				u.Filled, u.AvgPrice, u.Fee, u.Reason, u.Time.UnixNano())
		case engine.RecordFill:
			f := r.Fill
			fmt.Fprintf(&b, "%s %s %s %s@%s fee=%s %s %s %s %v %v q=%s %q", f.OrderID, f.Pair, f.Side, f.Qty, f.Price, f.Fee, f.FeeAsset,
				f.Liquidity, f.Provenance.Model, f.Provenance.TradeIDs, f.Provenance.Levels, f.Provenance.QueueAhead, f.Provenance.Note)
		case engine.RecordEquity:
			b.WriteString(r.Equity.String())
		default:
			if r.Err != nil {
				b.WriteString(r.Err.Error())
			}
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// counting records how many records each instance produced, in order.
type counting struct {
	mu   sync.Mutex
	recs []engine.Record
}

func (c *counting) Record(r *engine.Record) {
	c.mu.Lock()
	c.recs = append(c.recs, *r)
	c.mu.Unlock()
}

func (c *counting) of(instance string) []engine.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []engine.Record
	for _, r := range c.recs {
		if r.Instance == instance {
			out = append(out, r)
		}
	}
	return out
}

func dbPath(t *testing.T) string { return filepath.Join(t.TempDir(), "papertrade.db") }

func run(t *testing.T, ctx context.Context, batches [][]feed.Event, ins []engine.Instance, rec engine.Recorder) *engine.Result {
	t.Helper()
	res, err := engine.Run(ctx, engine.Config{Sources: []feed.Source{source(batches)}, Instances: ins, Pairs: pairs.Lookup,
		Recorder: rec, EquityInterval: 10 * time.Second, FailFast: true})
	if err != nil {
		t.Fatal(err)
	}
	return res
}
