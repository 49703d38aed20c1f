package strategy_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/indicator"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// DipParams are the parameters of the example strategy, declared with tags.
type DipParams struct {
	Window int             `param:"window" default:"3" range:"2:20:1" min:"2" max:"1000" help:"trades in the moving average"`
	Dip    decimal.Decimal `param:"dip" default:"1" range:"0.1:5:0.1" help:"percent below the average to buy at"`
	Size   decimal.Decimal `param:"size" default:"0.01" help:"order size in base units"`
}

// Dip buys once the price dips Dip percent below its moving average.
type Dip struct {
	p      DipParams
	avg    *indicator.SMA
	bought bool
}

// NewDip is a strategy.Factory.
func NewDip(params strategy.Params, _ *zap.Logger) (strategy.Strategy, error) {
	var p DipParams
	if err := params.Decode(&p); err != nil {
		return nil, err
	}
	return &Dip{p: p, avg: indicator.NewSMA(p.Window)}, nil
}

// OnTrade is the one required method.
func (s *Dip) OnTrade(c strategy.Context, t feed.Trade) error {
	ready := s.avg.Ready()
	avg := s.avg.Value()
	s.avg.Update(t.Price.InexactFloat64())
	if s.bought || !ready {
		return nil
	}
	m := c.Market(t.Pair)
	limit := m.FloatPrice(avg * (1 - s.p.Dip.InexactFloat64()/100)) // signals in float64 …
	if t.Price.GreaterThan(limit) {
		return nil
	}
	qty := m.FloorQty(s.p.Size) // … orders in decimal, on the pair's lot step
	_, err := c.Submit(strategy.Order{Pair: t.Pair, Side: feed.Buy, Type: strategy.Market, Qty: qty})
	if errors.Is(err, strategy.ErrInsufficientFunds) {
		return nil // a rejection is an answer, not a fault
	}
	s.bought = err == nil
	return err
}

// OnFill makes Dip a strategy.FillHandler too.
func (s *Dip) OnFill(c strategy.Context, f strategy.Fill) error {
	c.Log().Info("filled", zap.Stringer("qty", f.Qty), zap.Stringer("price", f.Price))
	return nil
}

// Interface guards: the compiler checks the optional handlers too.
var (
	_ strategy.Strategy    = (*Dip)(nil)
	_ strategy.FillHandler = (*Dip)(nil)
)

// Example_writingAStrategy registers a strategy, creates an instance from text parameters
// and drives it with the test kit's fake engine.
func Example_writingAStrategy() {
	r := strategy.NewRegistry()
	r.Register("dip", NewDip, DipParams{}, "Buys once when the price dips below its moving average.")

	s, err := r.New("dip", strategy.Params{"dip": "2"}, nil)
	if err != nil {
		panic(err)
	}
	c := strategytest.NewContext(nil, s, strategytest.WithBalance("USD", "1000"), strategytest.WithMatching())
	for i, price := range []string{"30000", "30100", "29900", "29300", "29200", "29100"} {
		t := feed.Trade{Pair: "BTC/USD", Side: feed.Sell, Price: decimal.RequireFromString(price),
			Qty: decimal.RequireFromString("0.5"), Time: strategytest.DefaultStart.Add(time.Duration(i) * time.Second)}
		if err := c.Trade(t); err != nil {
			panic(err)
		}
	}
	for _, f := range c.Fills() {
		fmt.Println(f.Side, f.Qty, "@", f.Price)
	}
	// Output:
	// buy 0.01 @ 29200
}

func ExampleParseParams() {
	var p DipParams
	err := strategy.ParseParams(&p, map[string]string{"window": "5"})
	fmt.Println(p.Window, p.Dip, p.Size, err)

	err = strategy.ParseParams(&p, map[string]string{"window": "5000", "dipp": "1"})
	fmt.Println(err)
	// Output:
	// 5 1 0.01 <nil>
	// parameter "dipp": unknown parameter (known: dip, size, window)
	// parameter "window": value out of bounds: 5000 is above the maximum 1000
}

func ExampleDescribeParams() {
	specs, _ := strategy.DescribeParams(DipParams{})
	for _, s := range specs {
		grid, _ := s.Grid()
		fmt.Printf("%s (%s, default %s): %d grid values\n", s.Name, s.Type, s.Default, len(grid))
	}
	// Output:
	// window (int, default 3): 19 grid values
	// dip (decimal, default 1): 50 grid values
	// size (decimal, default 0.01): 1 grid values
}

func ExampleRegistry() {
	r := strategy.NewRegistry()
	r.Register("dip", NewDip, DipParams{}, "Buys dips.")
	r.Register("noop", func(strategy.Params, *zap.Logger) (strategy.Strategy, error) {
		return strategy.StrategyFunc(func(strategy.Context, feed.Trade) error { return nil }), nil
	}, nil, "Does nothing.")
	fmt.Println(r.Names())
	_, err := r.New("dip", strategy.Params{"size": "lots"}, nil)
	fmt.Println(err)
	_, err = r.New("dipp", nil, nil)
	fmt.Println(err)
	// Output:
	// [dip noop]
	// strategy dip: parameter "size": invalid value "lots": want a decimal number
	// unknown strategy "dipp" (registered: dip, noop)
}
