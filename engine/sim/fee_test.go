package sim

import (
	"errors"
	"testing"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

func TestFeeKrakenExamples(t *testing.T) {
	pairs := testPairs()
	btc := pairs["BTC/USD"]
	tests := []struct {
		name   string
		maker  bool
		volume string
		price  string
		qty    string
		want   string
	}{
		// Kraken support article 201893638: $10,000 taker at the $100k+ tier is 0.22% = $22.
		{"kraken example $10k taker at $125k volume", false, "125000", "50000.0", "0.2", "22"},
		{"same fill as maker: 0.12%", true, "125000", "50000.0", "0.2", "12"},
		{"entry tier taker 0.40%", false, "0", "50000.0", "0.2", "40"},
		{"entry tier maker 0.25%", true, "0", "50000.0", "0.2", "25"},
		{"just below the $10k tier", false, "9999.99", "50000.0", "0.2", "40"},
		{"at the $10k tier: 0.35%", false, "10000", "50000.0", "0.2", "35"},
		{"$10M tier maker is free", true, "10000000", "50000.0", "0.2", "0"},
		{"$10M tier taker 0.10%", false, "20000000", "50000.0", "0.2", "10"},
		// Rounding half-up at cost_decimals (5 for BTC/USD).
		{"0.00015625 rounds up", true, "0", "50000.0", "0.00000125", "0.00016"},
		{"0.00025 exact", false, "0", "50000.0", "0.00000125", "0.00025"},
		{"0.000024 rounds down", true, "0", "0.1", "0.096", "0.00002"},
		{"0.000025 rounds half up", true, "0", "0.1", "0.1", "0.00003"},
		{"0.02469004938 rounds down", false, "0", "50000.1", "0.00012345", "0.02469"},
		// Kraken's minimum fee: one unit of the fee currency's precision (issue 11 item 9;
		// this fee was 0 before).
		{"tiny fill, fee rounds to zero: pays one unit", true, "0", "50000.0", "0.00000001", "0.00001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{FeeVolume: dd(tt.volume)}
			maker, taker := cfg.feePercents(btc)
			pct := taker
			if tt.maker {
				pct = maker
			}
			cost := dd(tt.price).Mul(dd(tt.qty))
			got := Fee(cost, pct, btc.CostDecimals)
			if !got.Equal(dd(tt.want)) {
				t.Fatalf("Fee(%s, %s%%) = %s, want %s", cost, pct, got, tt.want)
			}
		})
	}
}

func TestFeeOverrideAndFallback(t *testing.T) {
	noSchedule := &feed.PairInfo{Pair: "FOO/USD", CostDecimals: 5}
	maker, taker := (&Config{}).feePercents(noSchedule)
	if !maker.Equal(dd("0.25")) || !taker.Equal(dd("0.40")) {
		t.Fatalf("fallback schedule = %s/%s, want 0.25/0.40", maker, taker)
	}
	maker, taker = (&Config{FeeOverride: true, MakerFee: dd("0"), TakerFee: dd("0.1")}).feePercents(testPairs()["BTC/USD"])
	if !maker.IsZero() || !taker.Equal(dd("0.1")) {
		t.Fatalf("override = %s/%s", maker, taker)
	}
}

func TestMaxFeeRoundsUp(t *testing.T) {
	if got := maxFee(dd("0.0625"), dd("0.25"), 5); !got.Equal(dd("0.00016")) {
		t.Fatalf("maxFee = %s", got)
	}
	if got := maxFee(dd("0.096"), dd("0.025"), 5); !got.Equal(dd("0.00003")) {
		t.Fatalf("maxFee = %s, want 0.00003 (0.000024 rounded up)", got)
	}
}

func TestKrakenErrorsMatchWithErrorsIs(t *testing.T) {
	e := benchExchangeT(t)
	_, err := e.Submit(t0, 0, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("50000.05")})
	if !errors.Is(err, strategy.ErrInvalidPrice) || err.Error() != "EOrder:Invalid price:BTC/USD price can only be specified up to 1 decimals." {
		t.Fatalf("err = %v", err)
	}
	_, err = e.Submit(t0, 0, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("100000"), Price: dd("50000")})
	if !errors.Is(err, strategy.ErrInsufficientFunds) || errors.Is(err, strategy.ErrPostOnly) {
		t.Fatalf("err = %v", err)
	}
}

func TestPriceKeys(t *testing.T) {
	tests := []struct {
		in    string
		scale int32
		k     int64
		exact bool
	}{
		{"50000.1", 1, 500001, true},
		{"50000.10000", 1, 500001, true},
		{"50000.15", 1, 500001, false},
		{"50000", 1, 500000, true},
		{"0.052349", 5, 5234, false},
		{"1e-5", 5, 1, true},
		{"50173.5234000000000000", 1, 501735, false},
	}
	for _, tt := range tests {
		k, exact, ok := toKey(dd(tt.in), tt.scale)
		if !ok || k != tt.k || exact != tt.exact {
			t.Errorf("toKey(%s, %d) = %d %v %v, want %d %v", tt.in, tt.scale, k, exact, ok, tt.k, tt.exact)
		}
	}
	// Comparisons of an off-grid trade price with on-grid order prices.
	p := tradeKey{k: 5234, exact: false} // 0.052349 at scale 5
	if !p.lt(5235) || p.lt(5234) || !p.gt(5234) || p.eq(5234) || !p.le(5235) || p.le(5234) || !p.ge(5234) {
		t.Fatal("off-grid comparisons wrong")
	}
	if v, ok := mulDiv(501000, 98_000_000, 100_000_000, false); !ok || v != 490980 {
		t.Fatalf("mulDiv = %d %v", v, ok)
	}
	if v, ok := mulDiv(3, 1, 2, true); !ok || v != 2 {
		t.Fatalf("mulDiv ceil = %d", v)
	}
}

func TestOrderIDsAreKrakenShapedAndDeterministic(t *testing.T) {
	seen := map[strategy.OrderID]bool{}
	for n := uint64(1); n <= 10000; n++ {
		id := orderID(42, n)
		s := string(id)
		if len(s) != 19 || s[0] != 'O' || s[6] != '-' || s[12] != '-' {
			t.Fatalf("id %q is not shaped like OQCLML-BW3P3-BUCMWZ", s)
		}
		if seen[id] {
			t.Fatalf("duplicate id %s", id)
		}
		seen[id] = true
		if orderID(42, n) != id {
			t.Fatal("not deterministic")
		}
	}
	if orderID(1, 1) == orderID(2, 1) {
		t.Fatal("seed does not change ids")
	}
}

func benchExchangeT(t *testing.T) *Exchange {
	t.Helper()
	pairs := testPairs()
	led := ledger.New("USD")
	if err := led.Deposit("USD", decimal.RequireFromString("1000")); err != nil {
		t.Fatal(err)
	}
	return New(Config{}, func(p feed.Pair) (*feed.PairInfo, bool) { pi, ok := pairs[p]; return pi, ok }, led)
}
