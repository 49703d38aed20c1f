package buyhold_test

import (
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin/buyhold"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func trade(pair feed.Pair, sec int, price string) feed.Trade {
	return feed.Trade{Pair: pair, Side: feed.Buy, Price: d(price), Qty: d("10"), Time: strategytest.DefaultStart.Add(time.Duration(sec) * time.Second)}
}

func newStrategy(t *testing.T, params strategy.Params) strategy.Strategy {
	t.Helper()
	s, err := buyhold.New(params, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuysOnceAndHolds(t *testing.T) {
	c := strategytest.NewContext(t, newStrategy(t, nil), strategytest.WithBalance("USD", "10000"), strategytest.WithMatching(), strategytest.WithFee("0.4"))
	for i, p := range []string{"30000", "30500", "29000", "35000", "20000"} {
		if err := c.Trade(trade("BTC/USD", i, p)); err != nil {
			t.Fatal(err)
		}
	}
	// 0.95 × 10000 / (30000 × 1.004) = 0.315405046… → 0.31540504
	sub := c.Submitted()
	if len(sub) != 1 || sub[0].Type != strategy.Market || sub[0].Side != feed.Buy || !sub[0].Qty.Equal(d("0.31540504")) {
		t.Fatalf("submitted %+v", sub)
	}
	// Filled at the next trade, 30500: 9619.85372 + 0.4% fee 38.47941 leaves 341.66687.
	if b := c.Balance("USD"); !b.Total.Equal(d("341.66687")) || b.Total.Sign() < 0 {
		t.Errorf("USD = %s", b.Total)
	}
	if b := c.Balance("BTC"); !b.Total.Equal(d("0.31540504")) {
		t.Errorf("BTC = %s", b.Total)
	}
}

// Pairs sharing a quote currency share the budget; the ask is used when a book is known.
func TestSplitsTheBudget(t *testing.T) {
	eth := strategytest.BTCUSD()
	eth.Pair, eth.Base, eth.WSName, eth.AltName, eth.ID = "ETH/USD", "ETH", "ETH/USD", "ETHUSD", "XETHZUSD"
	c := strategytest.NewContext(t, newStrategy(t, nil), strategytest.WithPair(strategytest.BTCUSD()), strategytest.WithPair(eth),
		strategytest.WithBalance("USD", "10000"))
	if err := c.Book(&feed.BookUpdate{Pair: "BTC/USD", Snapshot: true,
		Bids: []feed.BookLevel{{Price: feed.Fixed{Mant: 300000, Scale: 1}, Qty: feed.Fixed{Mant: 1, Scale: 0}}},
		Asks: []feed.BookLevel{{Price: feed.Fixed{Mant: 300105, Scale: 1}, Qty: feed.Fixed{Mant: 1, Scale: 0}}}}); err != nil {
		t.Fatal(err)
	}
	for i, tr := range []feed.Trade{trade("BTC/USD", 1, "30000"), trade("ETH/USD", 2, "2000"), trade("BTC/USD", 3, "30000")} {
		if err := c.Trade(tr); err != nil {
			t.Fatalf("trade %d: %v", i, err)
		}
	}
	sub := c.Submitted()
	// 4750 / (30010.5 × 1.004) and 4750 / (2000 × 1.004)
	if len(sub) != 2 || sub[0].Pair != "BTC/USD" || !sub[0].Qty.Equal(d("0.15764734")) || sub[1].Pair != "ETH/USD" || !sub[1].Qty.Equal(d("2.36553784")) {
		t.Errorf("submitted %+v", sub)
	}
}

func TestRetriesRejectionsThreeTimes(t *testing.T) {
	c := strategytest.NewContext(t, newStrategy(t, nil), strategytest.WithBalance("USD", "10000"),
		strategytest.WithReject(func(strategy.Order) error { return strategy.ErrUnavailable }))
	for i := range 10 {
		if err := c.Trade(trade("BTC/USD", i, "30000")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.Rejected()); n != buyhold.MaxAttempts {
		t.Errorf("%d attempts, want %d", n, buyhold.MaxAttempts)
	}
}

func TestRetriesAfterAnExchangeCancel(t *testing.T) {
	c := strategytest.NewContext(t, newStrategy(t, strategy.Params{"fraction": "0.5"}), strategytest.WithBalance("USD", "10000"))
	if err := c.Trade(trade("BTC/USD", 0, "30000")); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancelled(c.Submitted()[0].ID, "maintenance"); err != nil {
		t.Fatal(err)
	}
	if err := c.Trade(trade("BTC/USD", 1, "30000")); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Submitted()); n != 2 {
		t.Fatalf("%d buys, want a retry", n)
	}
	// A partial fill is enough: hold what was bought.
	if err := c.Fill(c.Submitted()[1].ID, d("0.01"), d("30000")); err != nil {
		t.Fatal(err)
	}
	if err := c.Cancelled(c.Submitted()[1].ID, "maintenance"); err != nil {
		t.Fatal(err)
	}
	if err := c.Trade(trade("BTC/USD", 2, "30000")); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Submitted()); n != 2 {
		t.Errorf("%d buys after a partial fill, want no more", n)
	}
}

func TestTooSmallBudget(t *testing.T) {
	c := strategytest.NewContext(t, newStrategy(t, nil), strategytest.WithBalance("USD", "0.3"))
	for i := range 3 {
		if err := c.Trade(trade("BTC/USD", i, "30000")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.Actions()); n != 0 {
		t.Errorf("actions %v, want none", c.Actions())
	}
}

func TestParams(t *testing.T) {
	for _, tc := range []struct {
		params strategy.Params
		want   string
	}{
		{strategy.Params{"fraction": "0"}, `parameter "fraction"`},
		{strategy.Params{"fraction": "1.5"}, `parameter "fraction"`},
	} {
		if _, err := buyhold.New(tc.params, nil); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%v) = %v, want error containing %q", tc.params, err, tc.want)
		}
	}
}

func TestConformance(t *testing.T) {
	strategytest.Run(t, buyhold.New, nil, nil)
	strategytest.Run(t, buyhold.New, strategy.Params{"fraction": "1"}, strategytest.RandomWalk(19, 500))
}

// restarter hands the fake account to one BuyHold, then to a new one, as a restart does: the
// new one starts (OnStart) on the account the old one left, at its first event.
type restarter struct {
	cur     *buyhold.BuyHold
	started bool
}

func (r *restarter) restart() {
	r.cur, r.started = buyhold.NewWith(buyhold.Params{Fraction: d("0.95")}, nil), false
}

func (r *restarter) begin(c strategy.Context) error {
	if r.started {
		return nil
	}
	r.started = true
	return r.cur.OnStart(c)
}

func (r *restarter) OnStart(c strategy.Context) error { return r.begin(c) }

func (r *restarter) OnTrade(c strategy.Context, t feed.Trade) error {
	if err := r.begin(c); err != nil {
		return err
	}
	return r.cur.OnTrade(c, t)
}

func (r *restarter) OnOrder(c strategy.Context, u strategy.OrderUpdate) error {
	if err := r.begin(c); err != nil {
		return err
	}
	return r.cur.OnOrder(c, u)
}

// Issue 15 item 19: a restarted strategy (a new BuyHold on the account the last session left)
// follows a restored working buy instead of submitting another, and buys nothing for a pair
// it holds. (engine/journal's TestBuyHoldRestartsHold runs the real restart.)
func TestResumedAccount(t *testing.T) {
	r := &restarter{}
	r.restart()
	c := strategytest.NewContext(t, r, strategytest.WithBalance("USD", "10000"), strategytest.WithMatching())
	if err := c.Trade(trade("BTC/USD", 0, "30000")); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Submitted()); n != 1 {
		t.Fatalf("%d orders submitted, want 1", n)
	}
	// The buy is still working (no trade has filled it yet): a restart now follows it, and
	// the trade that fills it submits nothing.
	r.restart()
	if err := c.Trade(trade("BTC/USD", 1, "30100")); err != nil {
		t.Fatal(err)
	}
	if n := len(c.Submitted()); n != 1 {
		t.Fatalf("a restart during the working buy submitted another: %d orders", n)
	}
	if c.Position("BTC/USD").Qty.Sign() <= 0 {
		t.Fatal("the buy did not fill")
	}
	// Held: a restart after the buy holds.
	r.restart()
	for i := range 5 {
		if err := c.Trade(trade("BTC/USD", 2+i, "29000")); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(c.Submitted()); n != 1 {
		t.Fatalf("a restart after the buy bought again: %d orders", n)
	}
}
