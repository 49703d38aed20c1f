package strategy_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

var vt0 = time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)

func dv(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// btcMarket is BTC/USD as Kraken lists it (PROTOCOL.md §6), last trade 50000, no book.
func btcMarket() strategy.MarketInfo {
	return strategy.MarketInfo{
		PairInfo: feed.PairInfo{
			Pair: "BTC/USD", Base: "BTC", Quote: "USD", PriceDecimals: 1, LotDecimals: 8, CostDecimals: 5,
			Tick: dv("0.1"), OrderMin: dv("0.0001"), CostMin: dv("0.5"), Status: feed.PairOnline,
		},
		Last: dv("50000"), HasLast: true, Online: true,
	}
}

func TestCheckOrder(t *testing.T) {
	lim := func(side feed.Side, price string) strategy.Order {
		return strategy.Order{Pair: "BTC/USD", Side: side, Type: strategy.Limit, Qty: dv("0.01"), Price: dv(price)}
	}
	with := func(o strategy.Order, f func(*strategy.Order)) strategy.Order { f(&o); return o }
	tests := []struct {
		name    string
		o       strategy.Order
		m       func(*strategy.MarketInfo)
		strict  bool
		wantErr string // "" = accepted
		check   func(t *testing.T, o strategy.Order)
	}{
		{name: "plain limit", o: lim(feed.Buy, "49000")},
		{name: "unknown pair", o: with(lim(feed.Buy, "1"), func(o *strategy.Order) { o.Pair = "ETH/USD" }), wantErr: "EQuery:Unknown asset pair"},
		{name: "post-only IOC", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.PostOnly, o.TimeInForce = true, strategy.IOC }), wantErr: "EGeneral:Invalid arguments"},
		{name: "both fee flags", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.FeeInBase, o.FeeInQuote = true, true }), wantErr: "EGeneral:Invalid arguments"},
		{name: "fcib alone", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.FeeInBase = true })},
		{name: "unknown stptype", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.STP = 3 }), wantErr: "EGeneral:Invalid arguments"},
		{name: "stptype cancel-both", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.STP = strategy.STPCancelBoth })},
		{name: "ordermin: v2 text, v1 code", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.Qty = dv("0.00009") }),
			wantErr: "EGeneral:Invalid arguments:volume minimum not met"},
		{name: "quantity truncated to the lot", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.Qty = dv("0.0100000019") }),
			check: func(t *testing.T, o strategy.Order) {
				if o.Qty.String() != "0.01" || o.Qty.Exponent() != -8 {
					t.Errorf("Qty = %s (exp %d), want 0.01 at 8 decimals", o.Qty, o.Qty.Exponent())
				}
			}},
		{name: "quantity off the lot, strict", strict: true, o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.Qty = dv("0.0100000019") }),
			wantErr: "EGeneral:Invalid arguments:volume"},
		{name: "too many decimals", o: lim(feed.Buy, "49000.05"), wantErr: "EOrder:Invalid price:BTC/USD price can only be specified up to 1 decimals."},
		{name: "off a 0.5 tick", o: lim(feed.Buy, "49000.3"), m: func(m *strategy.MarketInfo) { m.Tick = dv("0.5") }, wantErr: "EOrder:Tick size check failed"},
		{name: "below costmin", o: with(lim(feed.Buy, "4000"), func(o *strategy.Order) { o.Qty = dv("0.0001") }), wantErr: "EOrder:Cost minimum not met"},
		{name: "market conditional close", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.Close = &strategy.CloseOrder{Type: strategy.Market} }),
			wantErr: "EGeneral:Invalid arguments"},
		{name: "trailing-stop conditional close", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) {
			o.Close = &strategy.CloseOrder{Type: strategy.TrailingStop, Price: dv("2.5"), Offset: strategy.OffsetPercent}
		})},
		{name: "trailing-stop-limit close, limit offset the other way", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) {
			o.Close = &strategy.CloseOrder{Type: strategy.TrailingStopLimit, Price: dv("100"), Price2: dv("-20")}
		})},
		{name: "trailing offset 150%", o: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.TrailingStop, Qty: dv("0.01"), Price: dv("150"), Offset: strategy.OffsetPercent},
			wantErr: "EGeneral:Invalid arguments:price"},
		{name: "trailing-stop-limit negative limit offset", o: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.TrailingStopLimit, Qty: dv("0.01"), Price: dv("100"), Price2: dv("-10")}},
		{name: "trailing-stop negative offset", o: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.TrailingStop, Qty: dv("0.01"), Price: dv("-100")},
			wantErr: "EGeneral:Invalid arguments:price"},
		{name: "market buy without any price", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: dv("0.01")},
			m: func(m *strategy.MarketInfo) { m.HasLast, m.Last = false, decimal.Zero }, wantErr: "EService:Unavailable:no price known for BTC/USD"},
		{name: "GTD expiring before its start", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) {
			o.TimeInForce, o.ExpireTime, o.StartTime = strategy.GTD, vt0.Add(time.Minute), vt0.Add(time.Hour)
		}), wantErr: "EGeneral:Invalid arguments"},
		{name: "start time already reached means now", o: with(lim(feed.Buy, "49000"), func(o *strategy.Order) { o.StartTime = vt0.Add(-time.Second) }),
			check: func(t *testing.T, o strategy.Order) {
				if !o.StartTime.IsZero() {
					t.Errorf("StartTime = %v, want zero", o.StartTime)
				}
			}},
		// viqc
		{name: "viqc market buy", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, QuoteQty: dv("100")}},
		{name: "viqc sell", o: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.Market, QuoteQty: dv("100")}, wantErr: "EGeneral:Invalid arguments"},
		{name: "viqc limit", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Price: dv("100"), QuoteQty: dv("100")}, wantErr: "EGeneral:Invalid arguments"},
		{name: "viqc with a base quantity too", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: dv("1"), QuoteQty: dv("100")}, wantErr: "EGeneral:Invalid arguments"},
		{name: "viqc negative", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, QuoteQty: dv("-1")}, wantErr: "EGeneral:Invalid arguments:volume"},
		{name: "viqc below costmin", o: strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, QuoteQty: dv("0.4")}, wantErr: "EOrder:Cost minimum not met"},
		// status
		{name: "cancel_only pair", o: lim(feed.Buy, "49000"), m: func(m *strategy.MarketInfo) { m.Status = feed.PairCancelOnly }, wantErr: "EService:Market in cancel_only mode"},
		{name: "post_only system refuses a plain limit", o: lim(feed.Buy, "49000"), m: func(m *strategy.MarketInfo) { m.System = feed.SystemPostOnly }, wantErr: "EService:Market in post_only mode"},
		{name: "limit_only pair refuses a market order", o: strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.Market, Qty: dv("0.01")},
			m: func(m *strategy.MarketInfo) { m.Status = feed.PairLimitOnly }, wantErr: "EService:Market in limit_only mode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := btcMarket()
			if tt.m != nil {
				tt.m(&m)
			}
			got, err := strategy.CheckOrder(tt.o, m, vt0, strategy.CheckOptions{StrictLot: tt.strict})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("CheckOrder = %v, want accepted", err)
				}
				if tt.check != nil {
					tt.check(t, got)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("CheckOrder error = %v, want %q", err, tt.wantErr)
			}
			var ke *strategy.KrakenError
			if !errors.As(err, &ke) {
				t.Fatalf("error %T is not a *strategy.KrakenError", err)
			}
		})
	}
}

// The ordermin error shows v2's text but still matches v1's code with errors.Is.
func TestOrderMinimumTextAndCode(t *testing.T) {
	_, err := strategy.CheckOrder(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: dv("0.00001")}, btcMarket(), vt0, strategy.CheckOptions{})
	if !errors.Is(err, strategy.ErrOrderMinimum) || errors.Is(err, strategy.ErrInvalidVolume) {
		t.Fatalf("errors.Is(%v, ErrOrderMinimum) should hold and ErrInvalidVolume not", err)
	}
	if strategy.ErrOrderMinimum.Code != "EOrder:Order minimum not met" {
		t.Fatalf("code = %q", strategy.ErrOrderMinimum.Code)
	}
}

func TestRelativePrices(t *testing.T) {
	tests := []struct {
		name        string
		side        feed.Side
		typ         strategy.OrderType
		spec, spec2 string
		offset      strategy.OffsetKind
		want, want2 string // resolved Price, Price2 ("" = error)
		wantErr     string
	}{
		{name: "absolute string", side: feed.Buy, typ: strategy.Limit, spec: "49000.5", want: "49000.5"},
		{name: "+ amount", side: feed.Sell, typ: strategy.Limit, spec: "+100", want: "50100"},
		{name: "- amount", side: feed.Buy, typ: strategy.Limit, spec: "-100.5", want: "49899.5"},
		{name: "- percent", side: feed.Buy, typ: strategy.Limit, spec: "-1%", want: "49500"},
		{name: "percent rounded to the nearest tick", side: feed.Buy, typ: strategy.Limit, spec: "-0.0123%", want: "49993.8"}, // 49993.85: a half goes away from the reference
		{name: "percent rounded up on a + half", side: feed.Sell, typ: strategy.Limit, spec: "+0.0123%", want: "50006.2"},     // 50006.15
		{name: "# buy limit goes below", side: feed.Buy, typ: strategy.Limit, spec: "#2%", want: "49000"},
		{name: "# sell limit goes above", side: feed.Sell, typ: strategy.Limit, spec: "#2%", want: "51000"},
		{name: "# sell stop-loss goes below", side: feed.Sell, typ: strategy.StopLoss, spec: "#500", want: "49500"},
		{name: "# buy stop-loss goes above", side: feed.Buy, typ: strategy.StopLoss, spec: "#500", want: "50500"},
		{name: "# sell take-profit goes above", side: feed.Sell, typ: strategy.TakeProfit, spec: "#500", want: "50500"},
		{name: "# buy take-profit goes below", side: feed.Buy, typ: strategy.TakeProfit, spec: "#500", want: "49500"},
		{name: "stop-loss-limit both relative", side: feed.Sell, typ: strategy.StopLossLimit, spec: "-1%", spec2: "-1.5%", want: "49500", want2: "49250"},
		{name: "trailing stop + percent", side: feed.Sell, typ: strategy.TrailingStop, spec: "+2%", want: "2"},
		{name: "trailing stop without +", side: feed.Sell, typ: strategy.TrailingStop, spec: "2%", wantErr: "EGeneral:Invalid arguments:price"},
		{name: "trailing stop with -", side: feed.Sell, typ: strategy.TrailingStop, spec: "-200", wantErr: "EGeneral:Invalid arguments:price"},
		{name: "trailing-stop-limit sell, limit 20 below the trigger", side: feed.Sell, typ: strategy.TrailingStopLimit, spec: "+100", spec2: "-20", want: "100", want2: "20"},
		{name: "trailing-stop-limit sell, limit 20 above the trigger", side: feed.Sell, typ: strategy.TrailingStopLimit, spec: "+100", spec2: "+20", want: "100", want2: "-20"},
		{name: "trailing-stop-limit buy, limit 20 above the trigger", side: feed.Buy, typ: strategy.TrailingStopLimit, spec: "+100", spec2: "+20", want: "100", want2: "20"},
		{name: "trailing-stop-limit mixed kinds", side: feed.Buy, typ: strategy.TrailingStopLimit, spec: "+100", spec2: "+1%", wantErr: "EGeneral:Invalid arguments"},
		{name: "price2 on a limit", side: feed.Buy, typ: strategy.Limit, spec: "-1", spec2: "-2", wantErr: "EGeneral:Invalid arguments"},
		{name: "relative on a market order", side: feed.Buy, typ: strategy.Market, spec: "+1", wantErr: "EGeneral:Invalid arguments"},
		{name: "garbage", side: feed.Buy, typ: strategy.Limit, spec: "+1e3", wantErr: "EGeneral:Invalid arguments:price"},
		{name: "percent without prefix", side: feed.Buy, typ: strategy.Limit, spec: "5%", wantErr: "EGeneral:Invalid arguments:price"},
		{name: "resolves to a negative price", side: feed.Buy, typ: strategy.Limit, spec: "-60000", wantErr: "EGeneral:Invalid arguments:price"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := strategy.Order{Pair: "BTC/USD", Side: tt.side, Type: tt.typ, Qty: dv("0.01"), PriceSpec: tt.spec, Price2Spec: tt.spec2, Offset: tt.offset}
			got, err := strategy.CheckOrder(o, btcMarket(), vt0, strategy.CheckOptions{})
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !got.Price.Equal(dv(tt.want)) {
				t.Errorf("Price = %s, want %s", got.Price, tt.want)
			}
			if tt.want2 != "" && !got.Price2.Equal(dv(tt.want2)) {
				t.Errorf("Price2 = %s, want %s", got.Price2, tt.want2)
			}
			if got.PriceSpec != "" || got.Price2Spec != "" {
				t.Errorf("specs not cleared: %q %q", got.PriceSpec, got.Price2Spec)
			}
		})
	}
	// With no trade seen yet, a relative price cannot be resolved.
	m := btcMarket()
	m.HasLast, m.Last = false, decimal.Zero
	_, err := strategy.CheckOrder(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dv("0.01"), PriceSpec: "-1%"}, m, vt0, strategy.CheckOptions{})
	if !errors.Is(err, strategy.ErrUnavailable) {
		t.Fatalf("no last price: err = %v, want EService:Unavailable", err)
	}
}

// FuzzParsePriceForm: any string parses or is refused with Kraken's price error, never
// panics, and a parsed form's amount is never negative.
func FuzzParsePriceForm(f *testing.F) {
	for _, s := range []string{"", "+", "#5%", "-1.5", "49000.5", "+1e3", "--1", "+.5", "#%", "1%", "+00012.3400%", "+1.2.3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := strategy.ParsePriceForm(s)
		if err != nil {
			if !errors.Is(err, strategy.ErrInvalidArgumentsPrice) {
				t.Fatalf("ParsePriceForm(%q) error %v is not Kraken's price error", s, err)
			}
			return
		}
		if p.Amount.Sign() < 0 {
			t.Fatalf("ParsePriceForm(%q) amount %s is negative", s, p.Amount)
		}
		// Any parsed form resolves (or is refused) without panicking.
		_, _ = strategy.CheckOrder(strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.StopLossLimit, Qty: dv("0.01"), PriceSpec: s, Price2Spec: s}, btcMarket(), vt0, strategy.CheckOptions{})
	})
}

// CheckOrder is the validator the simulator and strategytest's fake Context share; a
// strategy can call it too, to learn before submitting whether Kraken would accept an order.
func ExampleCheckOrder() {
	m := strategy.MarketInfo{
		PairInfo: feed.PairInfo{Pair: "BTC/USD", PriceDecimals: 1, LotDecimals: 8, Tick: decimal.RequireFromString("0.1"),
			OrderMin: decimal.RequireFromString("0.0001"), CostMin: decimal.RequireFromString("0.5")},
		Last: decimal.NewFromInt(50000), HasLast: true,
	}
	now := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	// A buy 1.5% below the last trade, sized with too many decimals: it is truncated to the lot.
	o, err := strategy.CheckOrder(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit,
		Qty: decimal.RequireFromString("0.0123456789"), PriceSpec: "-1.5%"}, m, now, strategy.CheckOptions{})
	fmt.Println(o.Qty, o.Price, err)
	_, err = strategy.CheckOrder(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit,
		Qty: decimal.RequireFromString("0.00005"), Price: decimal.NewFromInt(49000)}, m, now, strategy.CheckOptions{})
	fmt.Println(err, errors.Is(err, strategy.ErrOrderMinimum))
	// Output:
	// 0.01234567 49250 <nil>
	// EGeneral:Invalid arguments:volume minimum not met true
}
