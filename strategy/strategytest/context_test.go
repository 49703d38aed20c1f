package strategytest_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var t0 = strategytest.DefaultStart

func tr(sec int, price, qty string) feed.Trade {
	return feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: d(price), Qty: d(qty), Time: t0.Add(time.Duration(sec) * time.Second)}
}

// probe is a strategy whose callbacks run whatever the test sets, and which records the
// order of callbacks.
type probe struct {
	onStart  func(strategy.Context) error
	onTrade  func(strategy.Context, feed.Trade) error
	onCandle func(strategy.Context, feed.Candle) error
	onFill   func(strategy.Context, strategy.Fill) error
	onOrder  func(strategy.Context, strategy.OrderUpdate) error
	onTimer  func(strategy.Context) error
	onBook   func(strategy.Context, *feed.Book) error
	onStop   func(strategy.Context) error
	ivs      []time.Duration
	log      []string
}

func (p *probe) OnStart(c strategy.Context) error {
	p.log = append(p.log, "start")
	if p.onStart != nil {
		return p.onStart(c)
	}
	return nil
}

func (p *probe) OnTrade(c strategy.Context, t feed.Trade) error {
	p.log = append(p.log, "trade "+t.Price.String())
	if p.onTrade != nil {
		return p.onTrade(c, t)
	}
	return nil
}

func (p *probe) CandleIntervals() []time.Duration { return p.ivs }

func (p *probe) OnCandle(c strategy.Context, k feed.Candle) error {
	p.log = append(p.log, "candle "+k.Interval.String()+" "+k.Start.Format("15:04:05")+" C="+k.Close.String())
	if p.onCandle != nil {
		return p.onCandle(c, k)
	}
	return nil
}

func (p *probe) OnFill(c strategy.Context, f strategy.Fill) error {
	p.log = append(p.log, "fill "+string(f.OrderID)+" "+f.Qty.String()+"@"+f.Price.String())
	if p.onFill != nil {
		return p.onFill(c, f)
	}
	return nil
}

func (p *probe) OnOrder(c strategy.Context, u strategy.OrderUpdate) error {
	p.log = append(p.log, "order "+string(u.Order.ID)+" "+u.Status.String())
	if p.onOrder != nil {
		return p.onOrder(c, u)
	}
	return nil
}

func (p *probe) OnTimer(c strategy.Context) error {
	p.log = append(p.log, "timer "+c.Now().Format("15:04:05"))
	if p.onTimer != nil {
		return p.onTimer(c)
	}
	return nil
}

func (p *probe) OnBook(c strategy.Context, b *feed.Book) error {
	p.log = append(p.log, "book")
	if p.onBook != nil {
		return p.onBook(c, b)
	}
	return nil
}

func (p *probe) OnStop(c strategy.Context) error {
	p.log = append(p.log, "stop")
	if p.onStop != nil {
		return p.onStop(c)
	}
	return nil
}

var (
	_ strategy.Starter       = (*probe)(nil)
	_ strategy.CandleHandler = (*probe)(nil)
	_ strategy.FillHandler   = (*probe)(nil)
	_ strategy.OrderHandler  = (*probe)(nil)
	_ strategy.TimerHandler  = (*probe)(nil)
	_ strategy.BookHandler   = (*probe)(nil)
	_ strategy.Stopper       = (*probe)(nil)
)

func TestContextInvalidatedAfterCallback(t *testing.T) {
	var kept strategy.Context
	p := &probe{onStart: func(c strategy.Context) error { kept = c; return nil }}
	p.onTrade = func(c strategy.Context, _ feed.Trade) error {
		if _, err := kept.Submit(strategy.Order{}); !errors.Is(err, strategytest.ErrInvalidContext) {
			t.Errorf("Submit on a stale Context: err = %v", err)
		}
		_ = kept.Now()
		_ = kept.Balance("USD")
		kept.SetTimer(time.Second)
		if c.Now().IsZero() { // the current one works
			t.Error("current Context has no time")
		}
		return nil
	}
	c := strategytest.NewContext(nil, p)
	if err := c.Trade(tr(1, "100", "1")); err != nil {
		t.Fatal(err)
	}
	v := c.Violations()
	if len(v) != 4 || !strings.Contains(v[0], "Submit called on the Context of OnStart after that callback returned") {
		t.Errorf("Violations = %q", v)
	}
	if len(c.Actions()) != 0 {
		t.Errorf("stale calls were recorded as actions: %v", c.Actions())
	}
}

func TestContextReportsViolationsToTB(t *testing.T) {
	var kept strategy.Context
	p := &probe{onStart: func(c strategy.Context) error { kept = c; return nil }}
	rec := &recorder{TB: t}
	c := strategytest.NewContext(rec, p)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	kept.Pairs()
	if len(rec.errs) != 1 || !strings.Contains(rec.errs[0], "contract violation: Pairs called") {
		t.Errorf("TB got %q", rec.errs)
	}
}

// recorder is a testing.TB that records errors instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, sprintf(format, args...))
}
func (r *recorder) Helper() {}

func TestSubmitValidation(t *testing.T) {
	tests := []struct {
		name   string
		order  strategy.Order
		want   error
		strict bool // a precision violation under WithStrictPrecision
	}{
		{name: "ok limit", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("29000.5")}},
		{name: "ok market buy", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: d("0.01")}},
		{name: "ok trailing percent", order: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.TrailingStop, Qty: d("0.01"), Price: d("1.25"), Offset: strategy.OffsetPercent}},
		{name: "unknown pair", order: strategy.Order{Pair: "ETH/USD", Side: feed.Buy, Type: strategy.Market, Qty: d("1")}, want: strategy.ErrUnknownAssetPair},
		{name: "no side", order: strategy.Order{Pair: "BTC/USD", Type: strategy.Market, Qty: d("1")}, want: strategy.ErrInvalidArguments},
		{name: "no type", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Qty: d("1")}, want: strategy.ErrInvalidArguments},
		{name: "post-only market", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: d("0.01"), PostOnly: true}, want: strategy.ErrInvalidArguments},
		{name: "GTD in the past", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("29000"), TimeInForce: strategy.GTD, ExpireTime: t0}, want: strategy.ErrInvalidArguments},
		{name: "zero qty", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market}, want: strategy.ErrInvalidVolume},
		{name: "qty off lot", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: d("0.000100001")}, want: strategy.ErrInvalidVolume, strict: true},
		{name: "zero price", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01")}, want: strategy.ErrInvalidArgumentsPrice},
		{name: "too many price decimals", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("29000.25")}, want: strategy.ErrInvalidPrice, strict: true},
		{name: "trailing zeros are fine", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("29000.500")}},
		{name: "stop-loss-limit bad price2", order: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.StopLossLimit, Qty: d("0.01"), Price: d("29000"), Price2: d("28999.99")}, want: strategy.ErrInvalidPrice, strict: true},
		{name: "close bad price", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: d("0.01"), Close: &strategy.CloseOrder{Type: strategy.StopLoss, Price: d("1.01")}}, want: strategy.ErrInvalidPrice, strict: true},
		{name: "below ordermin", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: d("0.00009")}, want: strategy.ErrOrderMinimum},
		{name: "below costmin", order: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.Limit, Qty: d("0.0001"), Price: d("4000")}, want: strategy.ErrCostMinimum},
		{name: "post-only rests", order: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.Limit, Qty: d("0.01"), Price: d("30000.1"), PostOnly: true}},
		{name: "insufficient quote", order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("1"), Price: d("29000")}, want: strategy.ErrInsufficientFunds},
		{name: "insufficient base", order: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.Market, Qty: d("0.5")}, want: strategy.ErrInsufficientFunds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got error
			var id strategy.OrderID
			p := &probe{onTrade: func(c strategy.Context, _ feed.Trade) error {
				id, got = c.Submit(tt.order)
				return nil
			}}
			c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"), strategytest.WithBalance("BTC", "0.1"), strategytest.WithStrictPrecision())
			if err := c.Trade(tr(1, "30000", "1")); err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if got != nil || id == "" {
					t.Fatalf("Submit = %q, %v; want accepted", id, got)
				}
				if o := c.Open(""); len(o) != 1 || o[0].ID != id {
					t.Errorf("Open = %v", o)
				}
			} else {
				if !errors.Is(got, tt.want) {
					t.Fatalf("Submit err = %v, want %v", got, tt.want)
				}
				if rj := c.Rejected(); len(rj) != 1 || rj[0].Err != got.Error() {
					t.Errorf("Rejected = %v", rj)
				}
			}
			if v := c.Violations(); (len(v) > 0) != tt.strict {
				t.Errorf("Violations = %q, strict violation expected: %v", v, tt.strict)
			}
		})
	}
}

func TestInvalidPriceDetail(t *testing.T) {
	var err error
	p := &probe{onTrade: func(c strategy.Context, _ feed.Trade) error {
		_, err = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("100.55")})
		return nil
	}}
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"))
	if e := c.Trade(tr(1, "100", "1")); e != nil {
		t.Fatal(e)
	}
	if want := "EOrder:Invalid price:BTC/USD price can only be specified up to 1 decimals."; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %q", err, want)
	}
}

func TestRejectHooks(t *testing.T) {
	var subErr, cancelErr, amendErr error
	var first strategy.OrderID
	p := &probe{onTrade: func(c strategy.Context, t feed.Trade) error {
		if first == "" {
			first, _ = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("90")})
			_, subErr = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.02"), Price: d("90")})
			return nil
		}
		cancelErr = c.Cancel(first)
		amendErr = c.Amend(first, d("0.03"), decimal.Zero)
		return nil
	}}
	n := 0
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"),
		strategytest.WithReject(func(o strategy.Order) error {
			n++
			if n == 2 {
				return strategy.ErrInsufficientFunds
			}
			return nil
		}),
		strategytest.WithCancelReject(func(strategy.OrderID) error { return strategy.ErrUnknownOrder }))
	for i := range 2 {
		if err := c.Trade(tr(i, "100", "1")); err != nil {
			t.Fatal(err)
		}
	}
	if !errors.Is(subErr, strategy.ErrInsufficientFunds) || !errors.Is(cancelErr, strategy.ErrUnknownOrder) || !errors.Is(amendErr, strategy.ErrUnknownOrder) {
		t.Errorf("errors = %v, %v, %v", subErr, cancelErr, amendErr)
	}
	if len(c.Open("")) != 1 {
		t.Errorf("open = %v", c.Open(""))
	}
}

// Reservations, fills, balances and positions move together.
func TestFillsBalancesPositions(t *testing.T) {
	var ids []strategy.OrderID
	p := &probe{onTrade: func(c strategy.Context, t feed.Trade) error {
		if len(ids) > 0 {
			return nil
		}
		id, err := c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.5"), Price: d("100")})
		if err != nil {
			return err
		}
		ids = append(ids, id)
		if b := c.Balance("USD"); !b.Reserved.Equal(d("50")) || !b.Free().Equal(d("950")) {
			return errors.New("reservation not visible: " + b.Reserved.String())
		}
		return nil
	}}
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"), strategytest.WithFee("0.4"))
	if err := c.Trade(tr(1, "101", "1")); err != nil {
		t.Fatal(err)
	}
	if err := c.Fill(ids[0], d("0.2"), d("100")); err != nil {
		t.Fatal(err)
	}
	if b := c.Balance("USD"); !b.Total.Equal(d("979.92")) || !b.Reserved.Equal(d("30")) {
		t.Errorf("USD after partial fill = %+v", b) // 1000 - 20 - 0.08 fee
	}
	if st, filled, _ := c.Status(ids[0]); st != strategy.StatusOpen || !filled.Equal(d("0.2")) {
		t.Errorf("status = %v %v", st, filled)
	}
	if err := c.Fill(ids[0], d("1"), d("100")); err != nil { // capped at the remaining 0.3
		t.Fatal(err)
	}
	if st, filled, _ := c.Status(ids[0]); st != strategy.StatusClosed || !filled.Equal(d("0.5")) {
		t.Errorf("status = %v %v", st, filled)
	}
	if b := c.Balance("BTC"); !b.Total.Equal(d("0.5")) {
		t.Errorf("BTC = %+v", b)
	}
	pos := c.Position("BTC/USD")
	if !pos.Qty.Equal(d("0.5")) || !pos.AvgEntry.Equal(d("100")) || !pos.RealizedPnL.Equal(d("-0.2")) || !pos.UnrealizedPnL.Equal(d("0.5")) {
		t.Errorf("position = %+v", pos)
	}
	wantLog := []string{"start", "trade 101", "fill OTEST1-STRAT-000001 0.2@100", "order OTEST1-STRAT-000001 open", "fill OTEST1-STRAT-000001 0.3@100", "order OTEST1-STRAT-000001 closed"}
	if !reflect.DeepEqual(p.log, wantLog) {
		t.Errorf("callbacks = %q\nwant %q", p.log, wantLog)
	}
	if err := c.Fill(ids[0], d("1"), d("100")); err == nil {
		t.Error("Fill of a closed order accepted")
	}
	if n := len(c.Fills()); n != 2 {
		t.Errorf("%d fills", n)
	}
}

// With matching, orders never trade on the event that placed them; limits fill on touch at
// their price, capped by the trade; stops trigger; a conditional close is placed on fill.
func TestMatching(t *testing.T) {
	var buy, stop strategy.OrderID
	p := &probe{}
	p.onTrade = func(c strategy.Context, t feed.Trade) error {
		if buy == "" {
			var err error
			buy, err = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("1"), Price: d("100"),
				Close: &strategy.CloseOrder{Type: strategy.StopLoss, Price: d("95")}})
			return err
		}
		return nil
	}
	p.onOrder = func(c strategy.Context, u strategy.OrderUpdate) error {
		if u.Order.Type == strategy.StopLoss && u.Status == strategy.StatusOpen {
			stop = u.Order.ID
		}
		return nil
	}
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"), strategytest.WithMatching())
	steps := []struct {
		trade      feed.Trade
		wantFilled string
	}{
		{tr(1, "99", "5"), "0"},        // places the order: it may not trade on this event
		{tr(2, "100.1", "5"), "0"},     // above the limit
		{tr(3, "100", "0.25"), "0.25"}, // touch: fills at 100, capped by the trade
		{tr(4, "98", "5"), "1"},        // the rest
	}
	for i, s := range steps {
		if err := c.Trade(s.trade); err != nil {
			t.Fatal(err)
		}
		if _, filled, _ := c.Status(buy); !filled.Equal(d(s.wantFilled)) {
			t.Fatalf("step %d: filled %s, want %s", i, filled, s.wantFilled)
		}
	}
	if stop == "" {
		t.Fatalf("no conditional close placed; log %q", p.log)
	}
	open := c.Open("")
	if len(open) != 1 || open[0].Side != feed.Sell || !open[0].Qty.Equal(d("1")) || !open[0].Price.Equal(d("95")) {
		t.Fatalf("open after fill = %+v", open)
	}
	if err := c.Trade(tr(5, "96", "5")); err != nil { // above the stop
		t.Fatal(err)
	}
	if err := c.Trade(tr(6, "94.5", "5")); err != nil { // triggers: market at the trade price
		t.Fatal(err)
	}
	if st, filled, _ := c.Status(stop); st != strategy.StatusClosed || !filled.Equal(d("1")) {
		t.Errorf("stop %v %v", st, filled)
	}
	fills := c.Fills()
	last := fills[len(fills)-1]
	if !last.Price.Equal(d("94.5")) || last.Liquidity != strategy.Taker || fills[0].Liquidity != strategy.Maker {
		t.Errorf("fills = %+v", fills)
	}
	if pos := c.Position("BTC/USD"); !pos.Qty.IsZero() || !pos.RealizedPnL.Equal(d("-5.5")) {
		t.Errorf("position = %+v", pos)
	}
	if b := c.Balance("USD"); !b.Total.Equal(d("994.5")) {
		t.Errorf("USD = %+v", b)
	}
}

func TestMatchingOrderTypes(t *testing.T) {
	tests := []struct {
		name   string
		order  strategy.Order
		prices []string
		want   string // filled after the prices
		at     string // price of the last fill
	}{
		{"market", strategy.Order{Side: feed.Buy, Type: strategy.Market, Qty: d("1")}, []string{"101"}, "1", "101"},
		{"sell limit", strategy.Order{Side: feed.Sell, Type: strategy.Limit, Qty: d("1"), Price: d("105")}, []string{"104.9", "106"}, "1", "105"},
		{"take-profit sell", strategy.Order{Side: feed.Sell, Type: strategy.TakeProfit, Qty: d("1"), Price: d("110")}, []string{"109", "111"}, "1", "111"},
		{"stop-loss buy", strategy.Order{Side: feed.Buy, Type: strategy.StopLoss, Qty: d("1"), Price: d("110")}, []string{"109", "110"}, "1", "110"},
		{"stop-loss-limit sell", strategy.Order{Side: feed.Sell, Type: strategy.StopLossLimit, Qty: d("1"), Price: d("95"), Price2: d("94")}, []string{"96", "95"}, "1", "94"},
		{"take-profit-limit buy", strategy.Order{Side: feed.Buy, Type: strategy.TakeProfitLimit, Qty: d("1"), Price: d("90"), Price2: d("91")}, []string{"92", "90"}, "1", "91"},
		{"IOC remainder cancelled", strategy.Order{Side: feed.Buy, Type: strategy.Limit, Qty: d("1"), Price: d("100"), TimeInForce: strategy.IOC}, []string{"99"}, "0.5", "100"},
		{"trailing never triggers here", strategy.Order{Side: feed.Sell, Type: strategy.TrailingStop, Qty: d("1"), Price: d("5")}, []string{"50", "200"}, "0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			placed := false
			p := &probe{onTrade: func(c strategy.Context, _ feed.Trade) error {
				if placed {
					return nil
				}
				placed = true
				o := tt.order
				o.Pair = "BTC/USD"
				_, err := c.Submit(o)
				return err
			}}
			c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"), strategytest.WithBalance("BTC", "2"), strategytest.WithMatching())
			if err := c.Trade(tr(0, "100", "0.5")); err != nil {
				t.Fatal(err)
			}
			for i, pr := range tt.prices {
				qty := "5"
				if tt.name == "IOC remainder cancelled" {
					qty = "0.5"
				}
				if err := c.Trade(tr(i+1, pr, qty)); err != nil {
					t.Fatal(err)
				}
				if i+1 < len(tt.prices) && len(c.Fills()) > 0 && tt.name != "IOC remainder cancelled" {
					t.Fatalf("filled early at %s", pr)
				}
			}
			var filled decimal.Decimal
			for _, f := range c.Fills() {
				filled = filled.Add(f.Qty)
			}
			if !filled.Equal(d(tt.want)) {
				t.Fatalf("filled %s, want %s (fills %+v)", filled, tt.want, c.Fills())
			}
			if tt.at != "" && !c.Fills()[len(c.Fills())-1].Price.Equal(d(tt.at)) {
				t.Errorf("fill price %s, want %s", c.Fills()[len(c.Fills())-1].Price, tt.at)
			}
			if tt.name == "IOC remainder cancelled" && len(c.Open("")) != 0 {
				t.Errorf("IOC left open: %v", c.Open(""))
			}
		})
	}
}

func TestCancelAmendAndExpiry(t *testing.T) {
	var a, b, gtd strategy.OrderID
	var errs []error
	step := 0
	p := &probe{onTrade: func(c strategy.Context, t feed.Trade) error {
		step++
		switch step {
		case 1:
			a, _ = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("1"), Price: d("90")})
			b, _ = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("1"), Price: d("80")})
			gtd, _ = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("1"), Price: d("70"), TimeInForce: strategy.GTD, ExpireTime: t.Time.Add(time.Minute)})
		case 2:
			errs = append(errs, c.Amend(a, d("2"), d("91")))
			errs = append(errs, c.Amend(a, d("2"), d("91.05")))     // off tick
			errs = append(errs, c.Amend(b, d("100"), decimal.Zero)) // cannot afford
			errs = append(errs, c.Cancel(b))
			errs = append(errs, c.Cancel(b)) // already cancelled
			errs = append(errs, c.Cancel("nope"))
		case 3:
			errs = append(errs, c.CancelAll(""))
		}
		return nil
	}}
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"))
	for i, s := range []int{0, 1, 61} {
		if i == 2 {
			// The GTD order expires at 00:01:00, before the third trade is delivered.
			if err := c.Advance(t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if st, _, _ := c.Status(gtd); st != strategy.StatusExpired {
				t.Errorf("GTD status %v, want expired", st)
			}
		}
		if err := c.Trade(tr(s, "100", "1")); err != nil {
			t.Fatal(err)
		}
	}
	want := []error{nil, strategy.ErrInvalidPrice, strategy.ErrInsufficientFunds, nil, strategy.ErrUnknownOrder, strategy.ErrUnknownOrder, nil}
	for i := range want {
		if !errors.Is(errs[i], want[i]) || (want[i] == nil) != (errs[i] == nil) {
			t.Errorf("step %d: err = %v, want %v", i, errs[i], want[i])
		}
	}
	if st, _, _ := c.Status(a); st != strategy.StatusCanceled {
		t.Errorf("a = %v after CancelAll", st)
	}
	var ops []string
	for _, act := range c.Actions() {
		ops = append(ops, act.Op)
	}
	if got := strings.Join(ops, ","); got != "submit,submit,submit,amend,amend,amend,cancel,cancel,cancel,cancel-all" {
		t.Errorf("actions = %s", got)
	}
	if got := c.Cancels(); !reflect.DeepEqual(got, []strategy.OrderID{b, b, "nope"}) {
		t.Errorf("Cancels = %v", got)
	}
	if s := c.Submitted(); len(s) != 3 || s[0].ID != a || !s[0].Price.Equal(d("91")) || !s[0].Qty.Equal(d("2")) {
		t.Errorf("Submitted = %+v", s)
	}
}

// Delivery order: timer, then candles closed by the event, then order updates, then the
// event itself. Timers fire once, at the first event at or after the deadline.
func TestDeliveryOrderTimersAndCandles(t *testing.T) {
	p := &probe{ivs: []time.Duration{2 * time.Minute, time.Minute, time.Minute}}
	p.onStart = func(c strategy.Context) error {
		c.SetTimer(90 * time.Second)
		_, err := c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("50")})
		return err
	}
	p.onTimer = func(c strategy.Context) error {
		c.SetTimer(time.Hour)
		return nil
	}
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "1000"))
	for _, trd := range []feed.Trade{tr(10, "100", "1"), tr(70, "101", "1"), tr(100, "102", "1"), tr(130, "103", "1")} {
		if err := c.Trade(trd); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"start",
		"order OTEST1-STRAT-000001 open", "trade 100",
		"candle 1m0s 00:00:00 C=100", "trade 101",
		"timer 00:01:40", "trade 102", // deadline 00:01:30, fired by the 00:01:40 trade
		"candle 1m0s 00:01:00 C=102", "candle 2m0s 00:00:00 C=102", "trade 103",
		"stop",
	}
	if !reflect.DeepEqual(p.log, want) {
		t.Errorf("callbacks:\n%s\nwant:\n%s", strings.Join(p.log, "\n"), strings.Join(want, "\n"))
	}
	if err := c.Trade(tr(200, "1", "1")); !errors.Is(err, strategytest.ErrStopped) {
		t.Errorf("Trade after Stop: %v", err)
	}
}

func TestCandleIntervalsValidated(t *testing.T) {
	c := strategytest.NewContext(nil, &probe{ivs: []time.Duration{time.Millisecond}})
	if err := c.Start(); err == nil || !strings.Contains(err.Error(), "below one second") {
		t.Errorf("Start = %v", err)
	}
}

func TestPanicsAndErrorsStopTheInstance(t *testing.T) {
	p := &probe{onTrade: func(strategy.Context, feed.Trade) error { panic("boom") }}
	c := strategytest.NewContext(nil, p)
	err := c.Trade(tr(1, "1", "1"))
	var pe *strategytest.PanicError
	if !errors.As(err, &pe) || pe.Callback != "OnTrade" || pe.Value != "boom" || !strings.Contains(pe.Stack, "context_test.go") {
		t.Fatalf("err = %v", err)
	}
	if !c.Stopped() {
		t.Error("not stopped after a panic")
	}
	if err := c.Trade(tr(2, "1", "1")); !errors.Is(err, strategytest.ErrStopped) {
		t.Errorf("after panic: %v", err)
	}
	sentinel := errors.New("mine")
	p = &probe{onTrade: func(strategy.Context, feed.Trade) error { return sentinel }}
	c = strategytest.NewContext(nil, p)
	if err := c.Trade(tr(1, "1", "1")); !errors.Is(err, sentinel) || !strings.HasPrefix(err.Error(), "OnTrade: ") {
		t.Errorf("err = %v", err)
	}
}

func TestBooksMarketAndBalances(t *testing.T) {
	var info strategy.MarketInfo
	var bals []strategy.Balance
	var books int
	p := &probe{onBook: func(c strategy.Context, b *feed.Book) error {
		books++
		info = c.Market("BTC/USD")
		bals = c.Balances()
		if c.Market("ETH/USD").Pair != "" {
			t.Error("unconfigured pair has market info")
		}
		if !reflect.DeepEqual(c.Pairs(), []feed.Pair{"BTC/USD"}) {
			t.Errorf("Pairs = %v", c.Pairs())
		}
		return nil
	}}
	c := strategytest.NewContext(nil, p, strategytest.WithBalance("USD", "5"), strategytest.WithBalance("BTC", "1"), strategytest.WithBalance("USD", "10"))
	events := strategytest.Walk{Seed: 3, N: 20, BookEvery: 5}.Events()
	for _, e := range events {
		if err := c.Event(e); err != nil {
			t.Fatal(err)
		}
	}
	if books != 4 || !info.HasBook || !info.HasLast || !info.Online || info.Bid.GreaterThanOrEqual(info.Ask) || info.PriceDecimals != 1 {
		t.Errorf("books %d, info %+v", books, info)
	}
	if len(bals) != 2 || bals[0].Asset != "BTC" || bals[1].Asset != "USD" || !bals[1].Total.Equal(d("10")) {
		t.Errorf("Balances = %+v", bals)
	}
	if err := c.Trade(feed.Trade{Pair: "ETH/USD", Time: t0}); err == nil {
		t.Error("trade on an unconfigured pair accepted")
	}
}

func TestWalkIsSeededAndExact(t *testing.T) {
	a := strategytest.Walk{Seed: 9, N: 500, BookEvery: 50}.Events()
	b := strategytest.Walk{Seed: 9, N: 500, BookEvery: 50}.Events()
	other := strategytest.RandomWalk(10, 500)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same seed, different events")
	}
	if reflect.DeepEqual(a[:500], other) {
		t.Fatal("different seeds, same events")
	}
	if len(a) != 510 {
		t.Fatalf("%d events, want 500 trades + 10 books", len(a))
	}
	var prev time.Time
	for i, e := range a {
		if e.Seq != uint64(i+1) || e.Time.Before(prev) {
			t.Fatalf("event %d: seq %d time %v after %v", i, e.Seq, e.Time, prev)
		}
		prev = e.Time
		if e.Kind == feed.KindTrade {
			if e.Trade.Price.Exponent() != -1 || e.Trade.Qty.Sign() <= 0 || e.Trade.Qty.GreaterThan(d("0.5")) {
				t.Fatalf("trade %d: %+v", i, e.Trade)
			}
		} else if err := feed.NewBook("BTC/USD", 0).Apply(e.Book); err != nil {
			t.Fatalf("book %d: %v", i, err)
		}
	}
}

func TestActionString(t *testing.T) {
	a := strategytest.Action{Time: t0, Callback: "OnTrade", Op: "submit", Err: "EOrder:Insufficient funds",
		Order: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.StopLossLimit, Qty: d("0.5"), Price: d("100"), Price2: d("99.5"), UserRef: 7,
			TimeInForce: strategy.GTD, ExpireTime: t0.Add(time.Hour), Close: &strategy.CloseOrder{Type: strategy.TakeProfit, Price: d("120")}}}
	want := `2024-01-01T00:00:00Z OnTrade submit id= BTC/USD buy stop-loss-limit qty=0.5 price=100 price2=99.5 tif=GTD post=false ref=7 expire=2024-01-01T01:00:00Z close=take-profit/120/0 err="EOrder:Insufficient funds"`
	if got := a.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
