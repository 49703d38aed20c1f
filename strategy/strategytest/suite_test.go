package strategytest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// pinger alternates a resting buy below the market and a cancel of it, every tenth trade;
// its behaviour can be spoiled to show what the suite catches.
type pinger struct {
	n    int
	kept strategy.Context
	bug  string
	seq  *int // shared between instances: a source of non-determinism
}

func (p *pinger) OnStart(c strategy.Context) error {
	if p.bug == "retain" {
		p.kept = c
	}
	return nil
}

func (p *pinger) OnTrade(c strategy.Context, t feed.Trade) error {
	p.n++
	if p.n%10 != 0 {
		return nil
	}
	if p.bug == "retain" {
		p.kept.Now()
	}
	m := c.Market(t.Pair)
	price := m.FloorPrice(t.Price.Mul(decimal.RequireFromString("0.99")))
	if p.bug == "offtick" {
		price = t.Price.Mul(decimal.RequireFromString("0.99123"))
	}
	qty := m.MinQty(price)
	if p.bug == "shared" {
		*p.seq++
		qty = qty.Add(m.QtyStep().Mul(decimal.NewFromInt(int64(*p.seq))))
	}
	if open := c.OpenOrders(t.Pair); len(open) > 0 {
		if err := c.Cancel(open[0].ID); err != nil && p.bug == "strict" {
			return err
		}
		return nil
	}
	_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Limit, Qty: qty, Price: price})
	if err != nil && p.bug == "strict" {
		return err // treating a rejection as a fault
	}
	return nil
}

func (p *pinger) OnFill(c strategy.Context, f strategy.Fill) error {
	if p.bug == "panic-on-partial" {
		panic("partial fills are not supposed to happen")
	}
	return nil
}

func pingerFactory(bug string) strategy.Factory {
	shared := new(int)
	return func(strategy.Params, *zap.Logger) (strategy.Strategy, error) {
		return &pinger{bug: bug, seq: shared}, nil
	}
}

func TestSuitePassesAConformingStrategy(t *testing.T) {
	strategytest.Run(t, pingerFactory(""), nil, strategytest.RandomWalk(1, 500))
}

func TestSuiteDefaultEvents(t *testing.T) {
	if err := strategytest.Check(pingerFactory(""), nil, nil); err != nil {
		t.Fatal(err)
	}
}

func TestSuiteCatches(t *testing.T) {
	events := strategytest.RandomWalk(2, 300)
	tests := []struct {
		bug  string
		want []string // substrings of the joined error
	}{
		{"retain", []string{"Replay: 30 contract violations:\n  Now called on the Context of OnStart after that callback returned (×30)"}},
		{"offtick", []string{"Replay: ", "price 29726.194716 of a buy limit order has more than 1 decimals"}},
		{"shared", []string{"Deterministic: the same events gave different actions", "run 1:", "run 2:"}},
		{"strict", []string{"AllRejected: event 9", "OnTrade: EOrder:", "SomeRejected: "}},
		{"panic-on-partial", []string{"PartialFills: ", "OnFill panicked: partial fills are not supposed to happen"}},
	}
	for _, tt := range tests {
		t.Run(tt.bug, func(t *testing.T) {
			err := strategytest.Check(pingerFactory(tt.bug), nil, events)
			if err == nil {
				t.Fatal("Check passed a broken strategy")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestSuiteFactoryError(t *testing.T) {
	f := func(strategy.Params, *zap.Logger) (strategy.Strategy, error) { return nil, errors.New("bad params") }
	err := strategytest.Check(f, strategy.Params{"x": "1"}, nil)
	if err == nil || !strings.Contains(err.Error(), "NoEvents: factory: bad params") {
		t.Errorf("err = %v", err)
	}
}

func TestTickSizeRejection(t *testing.T) {
	half := strategytest.BTCUSD()
	half.Tick = decimal.RequireFromString("0.5")
	var err error
	p := &probe{onTrade: func(c strategy.Context, _ feed.Trade) error {
		_, err = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("100.2")})
		return nil
	}}
	c := strategytest.NewContext(nil, p, strategytest.WithPair(half), strategytest.WithBalance("USD", "100"), strategytest.WithStrictPrecision())
	if e := c.Trade(tr(1, "100", "1")); e != nil {
		t.Fatal(e)
	}
	if !errors.Is(err, strategy.ErrTickSize) || len(c.Violations()) != 1 {
		t.Errorf("err = %v, violations %q", err, c.Violations())
	}
}

func ExampleNewContext() {
	// A strategy that buys the minimum on the first trade.
	buyOnce := strategy.StrategyFunc(func(c strategy.Context, t feed.Trade) error {
		if len(c.OpenOrders(t.Pair)) > 0 || c.Position(t.Pair).Qty.Sign() > 0 {
			return nil
		}
		m := c.Market(t.Pair)
		_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: m.MinQty(t.Price)})
		return err
	})
	c := strategytest.NewContext(nil, buyOnce, strategytest.WithBalance("USD", "1000"), strategytest.WithMatching())
	at := strategytest.DefaultStart
	for i, price := range []string{"30000", "30010.5", "29990"} {
		err := c.Trade(feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: decimal.RequireFromString(price), Qty: decimal.RequireFromString("0.1"), Time: at.Add(time.Duration(i) * time.Second)})
		if err != nil {
			panic(err)
		}
	}
	for _, a := range c.Actions() {
		fmt.Println(a)
	}
	for _, f := range c.Fills() {
		fmt.Println("fill", f.Side, f.Qty, "@", f.Price)
	}
	fmt.Println("USD", c.Balance("USD").Total, "BTC", c.Balance("BTC").Total)
	// Output:
	// 2024-01-01T00:00:00Z OnTrade submit id=OTEST1-STRAT-000001 BTC/USD buy market qty=0.0001 price=0 price2=0 tif=GTC post=false ref=0
	// fill buy 0.0001 @ 30010.5
	// USD 996.99895 BTC 0.0001
}
