package sim

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// feeRig is an exchange on testPairs with a funded account, driven by trades without a book.
type feeRig struct {
	t   *testing.T
	e   *Exchange
	now time.Time
	seq uint64
}

func newFeeRig(t *testing.T, cfg Config, deposits ...string) *feeRig {
	t.Helper()
	pairs := testPairs()
	led := ledger.New("USD")
	for i := 0; i+1 < len(deposits); i += 2 {
		if err := led.Deposit(deposits[i], dd(deposits[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	cfg.Seed = 1
	return &feeRig{t: t, now: t0, e: New(cfg, func(p feed.Pair) (*feed.PairInfo, bool) { pi, ok := pairs[p]; return pi, ok }, led)}
}

func (r *feeRig) trade(pair feed.Pair, side feed.Side, price, qty string, after time.Duration) []Report {
	r.now = r.now.Add(after)
	r.seq++
	return r.e.OnEvent(&feed.Event{Seq: r.seq, Kind: feed.KindTrade, Pair: pair, Time: r.now,
		Trade: feed.Trade{Pair: pair, Side: side, Price: dd(price), Qty: dd(qty), Time: r.now}})
}

func (r *feeRig) submit(o strategy.Order) strategy.OrderID {
	r.t.Helper()
	id, err := r.e.Submit(r.now, r.seq, o)
	if err != nil {
		r.t.Fatalf("submit %+v: %v", o, err)
	}
	return id
}

// fills returns the fills among reports.
func fills(rs []Report) []strategy.Fill {
	var out []strategy.Fill
	for _, r := range rs {
		if r.Kind == ReportFill {
			out = append(out, r.Fill)
		}
	}
	return out
}

// marketFill submits a market order and fills it at the next trade at price.
func (r *feeRig) marketFill(pair feed.Pair, side feed.Side, qty, price string, after time.Duration, mod ...func(*strategy.Order)) strategy.Fill {
	r.t.Helper()
	o := strategy.Order{Pair: pair, Side: side, Type: strategy.Market, Qty: dd(qty)}
	for _, m := range mod {
		m(&o)
	}
	r.submit(o)
	fs := fills(r.trade(pair, side, price, "1000", after))
	if len(fs) != 1 {
		r.t.Fatalf("market %s %s %s: %d fills, want 1", side, qty, pair, len(fs))
	}
	return fs[0]
}

func TestMinimumFee(t *testing.T) {
	tests := []struct {
		name     string
		cost     string
		pct      string
		decimals int32
		want     string
	}{
		{"1e-8 BTC at 50000 as maker: 0.00000125 rounds to 0, pays one unit", "0.0005", "0.25", 5, "0.00001"},
		{"1e-8 BTC at 50000 as taker", "0.0005", "0.40", 5, "0.00001"},
		{"already above a unit: unchanged", "0.1", "0.40", 5, "0.0004"},
		{"zero rate stays free", "0.0005", "0", 5, "0"},
		{"zero cost pays nothing", "0", "0.40", 5, "0"},
		{"one unit at 2 decimals", "0.5", "0.25", 2, "0.01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fee(dd(tt.cost), dd(tt.pct), tt.decimals); !got.Equal(dd(tt.want)) {
				t.Fatalf("Fee(%s, %s%%, %d) = %s, want %s", tt.cost, tt.pct, tt.decimals, got, tt.want)
			}
		})
	}
}

// A fill of 1e-8 BTC pays Kraken's minimum of one unit of the fee currency (issue 11 item 9).
func TestMinimumFeeOnATinyFill(t *testing.T) {
	r := newFeeRig(t, Config{Latency: -1}, "USD", "100", "BTC", "1")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	f := r.marketFill("BTC/USD", feed.Sell, "0.0001", "50000", time.Millisecond)
	if !f.Fee.Equal(dd("0.02")) {
		t.Fatalf("0.0001 BTC fee = %s, want 0.02", f.Fee)
	}
	// A tiny maker fill: a resting buy at 49990 for 0.0001 filled 1e-8 by a tiny print.
	id := r.submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.0001"), Price: dd("49990")})
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond) // arrives and rests
	fs := fills(r.trade("BTC/USD", feed.Sell, "49980", "0.00000001", time.Millisecond))
	if len(fs) != 1 || fs[0].OrderID != id || !fs[0].Qty.Equal(dd("0.00000001")) {
		t.Fatalf("fills = %+v, want one 1e-8 fill of the resting buy", fs)
	}
	if !fs[0].Fee.Equal(dd("0.00001")) || fs[0].FeeAsset != "USD" {
		t.Fatalf("1e-8 BTC maker fill paid %s %s, want the minimum 0.00001 USD", fs[0].Fee, fs[0].FeeAsset)
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
}

// With Config.RollingFeeVolume the tier follows the account's own 30-day volume, re-evaluated
// after each fill, in event time (issue 11 item 9: the tier never moved).
func TestFeeTierFollowsSimulatedVolume(t *testing.T) {
	r := newFeeRig(t, Config{Latency: -1, RollingFeeVolume: true}, "USD", "1000000", "BTC", "10")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	// $9,000 at the entry tier (0.40% taker).
	f := r.marketFill("BTC/USD", feed.Buy, "0.18", "50000", time.Millisecond)
	if !f.Fee.Equal(dd("36")) {
		t.Fatalf("first fill fee = %s, want 36 (0.40%% of 9000)", f.Fee)
	}
	// $2,000 more: this fill is still charged at the tier before it (volume 9,000)...
	f = r.marketFill("BTC/USD", feed.Sell, "0.04", "50000", time.Hour)
	if !f.Fee.Equal(dd("8")) {
		t.Fatalf("second fill fee = %s, want 8 (0.40%% of 2000)", f.Fee)
	}
	// ...and moves the account to the $10k tier (0.35%) for the next one.
	f = r.marketFill("BTC/USD", feed.Buy, "0.02", "50000", time.Hour)
	if !f.Fee.Equal(dd("3.5")) {
		t.Fatalf("third fill fee = %s, want 3.5 (0.35%% of 1000 at 11,000 volume)", f.Fee)
	}
	if v := r.e.FeeVolume(); !v.Equal(dd("12000")) {
		t.Fatalf("FeeVolume = %s, want 12000", v)
	}
	// 30 days after the first fill it leaves the window: 3,000 left, entry tier again.
	f = r.marketFill("BTC/USD", feed.Buy, "0.02", "50000", 30*24*time.Hour-2*time.Hour+time.Millisecond)
	if !f.Fee.Equal(dd("4")) {
		t.Fatalf("fee after the window moved = %s, want 4 (0.40%%: volume 3,000)", f.Fee)
	}
	// ETH/BTC volume counts in USD through BTC/USD's last price (0.05 BTC × 50000 = $2,500).
	r.trade("ETH/BTC", feed.Buy, "0.05", "1", time.Millisecond)
	r.marketFill("ETH/BTC", feed.Buy, "1", "0.05", time.Millisecond)
	if v := r.e.FeeVolume(); !v.Equal(dd("6500")) {
		t.Fatalf("FeeVolume after an ETH/BTC fill = %s, want 6500 (3000 + 1000 + 2500)", v)
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestFeeTierFixedByDefault(t *testing.T) {
	r := newFeeRig(t, Config{Latency: -1}, "USD", "1000000")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	r.marketFill("BTC/USD", feed.Buy, "1", "50000", time.Millisecond)
	if f := r.marketFill("BTC/USD", feed.Buy, "0.02", "50000", time.Millisecond); !f.Fee.Equal(dd("4")) {
		t.Fatalf("fee = %s, want 4: without RollingFeeVolume the tier stays the configured one", f.Fee)
	}
}

// With the fee in base (Kraken's fcib), a buy receives quantity − fee of base and pays only
// the cost in quote; a sell delivers quantity + fee of base. Assets are conserved: what the
// account loses is exactly the fee, in base.
func TestFeeInBase(t *testing.T) {
	r := newFeeRig(t, Config{Latency: -1}, "USD", "100000", "BTC", "1")
	r.trade("BTC/USD", feed.Buy, "50000", "1", time.Millisecond)
	fcib := func(o *strategy.Order) { o.FeeInBase = true }
	f := r.marketFill("BTC/USD", feed.Buy, "1", "50000", time.Millisecond, fcib)
	if f.FeeAsset != "BTC" || !f.Fee.Equal(dd("0.004")) {
		t.Fatalf("buy fee = %s %s, want 0.004 BTC", f.Fee, f.FeeAsset)
	}
	led := r.e.Ledger()
	if b := led.Balance("BTC").Total; !b.Equal(dd("1.996")) {
		t.Fatalf("BTC after buy = %s, want 1.996", b)
	}
	if b := led.Balance("USD").Total; !b.Equal(dd("50000")) {
		t.Fatalf("USD after buy = %s, want 50000 (cost only)", b)
	}
	f = r.marketFill("BTC/USD", feed.Sell, "0.5", "50000", time.Millisecond, fcib)
	if f.FeeAsset != "BTC" || !f.Fee.Equal(dd("0.002")) {
		t.Fatalf("sell fee = %s %s, want 0.002 BTC", f.Fee, f.FeeAsset)
	}
	if b := led.Balance("BTC").Total; !b.Equal(dd("1.494")) {
		t.Fatalf("BTC after sell = %s, want 1.494", b)
	}
	if b := led.Balance("USD").Total; !b.Equal(dd("75000")) {
		t.Fatalf("USD after sell = %s, want 75000", b)
	}
	// A small sell: 0.40% of 0.0001 BTC, in BTC at lot_decimals.
	f = r.marketFill("BTC/USD", feed.Sell, "0.0001", "50000", time.Millisecond, fcib)
	if !f.Fee.Equal(dd("0.0000004")) {
		t.Fatalf("small sell fee = %s, want 0.0000004 BTC", f.Fee)
	}
	if err := r.e.Check(); err != nil {
		t.Fatal(err)
	}
	if !decimal.Zero.Equal(led.Balance("BTC").Reserved) {
		t.Fatalf("BTC still reserved: %s", led.Balance("BTC").Reserved)
	}
}

// Over random orders with fees in base or quote and a rolling fee tier, every balance equals
// its deposit plus what the fills moved (a buy: +qty base, −cost quote; a sell the reverse;
// each fee out of its own asset), and the exchange's invariants hold after every event.
func TestFeeCurrencyConservation(t *testing.T) {
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 99))
			r := newFeeRig(t, Config{Latency: 10 * time.Millisecond, RollingFeeVolume: true, FeeVolume: dd("9000")}, "USD", "200000", "BTC", "4")
			want := map[string]decimal.Decimal{"USD": dd("200000"), "BTC": dd("4")}
			price := int64(500000) // tenths
			nfills, inBase := 0, 0
			for step := 0; step < 400; step++ {
				if rng.IntN(3) == 0 {
					o := strategy.Order{Pair: "BTC/USD", Side: feed.Side(1 + rng.IntN(2)), Qty: decimal.New(int64(1+rng.IntN(5000)), -5), FeeInBase: rng.IntN(2) == 0}
					if rng.IntN(2) == 0 {
						o.Type = strategy.Market
					} else {
						o.Type, o.Price = strategy.Limit, decimal.New(price+int64(rng.IntN(201)-100), -1)
					}
					_, _ = r.e.Submit(r.now, r.seq, o) // refusals (funds) are fine
				}
				price += int64(rng.IntN(41) - 20)
				side := feed.Side(1 + rng.IntN(2))
				rs := r.trade("BTC/USD", side, decimal.New(price, -1).String(), decimal.New(int64(1+rng.IntN(100000)), -6).String(), time.Duration(1+rng.IntN(3600))*time.Second)
				for _, f := range fills(rs) {
					cost := f.Price.Mul(f.Qty)
					if f.Side == feed.Buy {
						want["BTC"], want["USD"] = want["BTC"].Add(f.Qty), want["USD"].Sub(cost)
					} else {
						want["BTC"], want["USD"] = want["BTC"].Sub(f.Qty), want["USD"].Add(cost)
					}
					want[f.FeeAsset] = want[f.FeeAsset].Sub(f.Fee)
					nfills++
					if f.FeeAsset == "BTC" {
						inBase++
					}
					if f.Fee.Sign() <= 0 {
						t.Fatalf("fill without a fee: %+v", f)
					}
				}
				if err := r.e.Check(); err != nil {
					t.Fatalf("step %d: %v", step, err)
				}
			}
			if nfills < 20 || inBase == 0 || inBase == nfills {
				t.Fatalf("%d fills, %d with the fee in base: too few to test anything", nfills, inBase)
			}
			t.Logf("%d fills, %d with the fee in base, fee volume %s", nfills, inBase, r.e.FeeVolume())
			for a, w := range want {
				if got := r.e.Ledger().Balance(a).Total; !got.Equal(w) {
					t.Fatalf("%s balance %s, want %s from the fills", a, got, w)
				}
			}
		})
	}
}
