package sim_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
)

// The simulator and strategytest's fake Context must validate orders with the same rules
// (strategy.CheckOrder): a strategy unit-tested against the fake must see the rejections the
// simulator will give it. These tests submit the same order, on the same pair and market, to
// both and compare accept/reject and the error text.

var agreeT0 = time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)

// agreeBook is the book both sides see when a case asks for one: bid 49990, ask 50010.
func agreeBook(p feed.Pair) *feed.BookUpdate {
	lv := func(price, qty string) feed.BookLevel {
		pf, _ := feed.ParseFixed([]byte(price))
		qf, _ := feed.ParseFixed([]byte(qty))
		return feed.BookLevel{Price: pf, Qty: qf}
	}
	return &feed.BookUpdate{Pair: p, Snapshot: true, Time: agreeT0,
		Bids: []feed.BookLevel{lv("49990", "1")}, Asks: []feed.BookLevel{lv("50010", "1")}}
}

// submitSim submits o to a fresh exchange after one trade at last (and the book, when
// withBook), with ample funds.
func submitSim(t testing.TB, info feed.PairInfo, last decimal.Decimal, withBook bool, o strategy.Order) error {
	led := ledger.New("USD")
	for _, a := range []string{info.Base, info.Quote} {
		if err := led.Deposit(a, decimal.New(1, 12)); err != nil {
			t.Fatal(err)
		}
	}
	ex := sim.New(sim.Config{Seed: 1}, func(p feed.Pair) (*feed.PairInfo, bool) {
		if p != info.Pair {
			return nil, false
		}
		return &info, true
	}, led)
	if withBook {
		ex.OnEvent(&feed.Event{Seq: 1, Kind: feed.KindBook, Pair: info.Pair, Time: agreeT0, Book: agreeBook(info.Pair)})
	}
	if last.Sign() > 0 {
		ex.OnEvent(&feed.Event{Seq: 2, Kind: feed.KindTrade, Pair: info.Pair, Time: agreeT0,
			Trade: feed.Trade{Pair: info.Pair, Side: feed.Buy, Price: last, Qty: decimal.New(1, 0), Time: agreeT0}})
	}
	_, err := ex.Submit(agreeT0, 1, o)
	return err
}

// submitFake submits o through strategytest's fake Context, from OnTrade of a trade at last.
func submitFake(t testing.TB, info feed.PairInfo, last decimal.Decimal, withBook bool, o strategy.Order) error {
	var got error
	s := strategy.StrategyFunc(func(c strategy.Context, _ feed.Trade) error {
		_, got = c.Submit(o)
		return nil
	})
	big := decimal.New(1, 12).String()
	c := strategytest.NewContext(nil, s, strategytest.WithPair(info), strategytest.WithTime(agreeT0),
		strategytest.WithBalance(info.Base, big), strategytest.WithBalance(info.Quote, big))
	if withBook {
		if err := c.Book(agreeBook(info.Pair)); err != nil {
			t.Fatal(err)
		}
	}
	price := last
	if price.Sign() <= 0 {
		price = decimal.New(50000, 0)
	}
	if err := c.Trade(feed.Trade{Pair: info.Pair, Side: feed.Buy, Price: price, Qty: decimal.New(1, 0), Time: agreeT0}); err != nil {
		t.Fatal(err)
	}
	return got
}

func errText(err error) string {
	if err == nil {
		return "accepted"
	}
	return err.Error()
}

func TestSimAndFakeContextAgreeOnEdgeCases(t *testing.T) {
	info := strategytest.BTCUSD()
	last := decimal.New(50000, 0)
	d := decimal.RequireFromString
	limit := func(o strategy.Order) strategy.Order {
		o.Pair, o.Side, o.Type, o.Qty, o.Price = "BTC/USD", feed.Buy, strategy.Limit, d("0.01"), d("49000")
		return o
	}
	tests := []struct {
		name string
		o    strategy.Order
	}{
		{"post-only with IOC", func() strategy.Order {
			o := limit(strategy.Order{})
			o.PostOnly, o.TimeInForce = true, strategy.IOC
			return o
		}()},
		{"market conditional close", func() strategy.Order {
			o := limit(strategy.Order{})
			o.Close = &strategy.CloseOrder{Type: strategy.Market}
			return o
		}()},
		{"trailing offset of 150%", strategy.Order{Pair: "BTC/USD", Side: feed.Sell, Type: strategy.TrailingStop, Qty: d("0.01"), Price: d("150"), Offset: strategy.OffsetPercent}},
		{"quantity off the lot step", func() strategy.Order {
			o := limit(strategy.Order{})
			o.Qty = d("0.0100000001")
			return o
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, f := errText(submitSim(t, info, last, false, tt.o)), errText(submitFake(t, info, last, false, tt.o))
			if s != f {
				t.Errorf("simulator: %s; fake Context: %s", s, f)
			}
		})
	}
}

// FuzzSimAndFakeContextAgree: any order, on any pair rules, gets the same verdict and the same
// error text from the simulator and from the fake Context.
func FuzzSimAndFakeContextAgree(f *testing.F) {
	f.Add(uint8(1), uint8(2), int64(1000000), int64(490000), int64(0), uint8(0), false, uint8(0), int32(1), int32(8), "", "", uint8(0), int64(0), uint8(0))
	f.Add(uint8(2), uint8(8), int64(123456789), int64(1500), int64(-300), uint8(1), true, uint8(1), int32(2), int32(6), "+5%", "-1", uint8(3), int64(5), uint8(3))
	f.Add(uint8(1), uint8(5), int64(1), int64(490001), int64(490000), uint8(2), false, uint8(2), int32(1), int32(8), "#2%", "", uint8(4), int64(0), uint8(12))
	f.Add(uint8(2), uint8(1), int64(50000000), int64(0), int64(0), uint8(0), false, uint8(0), int32(1), int32(8), "", "", uint8(0), int64(100), uint8(16))
	f.Add(uint8(1), uint8(2), int64(1000000), int64(490000), int64(0), uint8(2), false, uint8(0), int32(1), int32(8), "", "", uint8(17), int64(0), uint8(48))
	f.Add(uint8(2), uint8(1), int64(1000), int64(0), int64(0), uint8(0), false, uint8(0), int32(1), int32(8), "", "", uint8(0), int64(0), uint8(64))
	f.Add(uint8(1), uint8(7), int64(1000), int64(100), int64(0), uint8(0), false, uint8(1), int32(1), int32(8), "", "", uint8(0), int64(0), uint8(64))
	f.Fuzz(func(t *testing.T, side, typ uint8, qty, price, price2 int64, tif uint8, post bool, offset uint8,
		pd, lot int32, spec, spec2 string, closeType uint8, quoteQty int64, flags uint8) {
		if pd < 0 || pd > 8 || lot < 0 || lot > 10 || len(spec) > 20 || len(spec2) > 20 {
			return
		}
		info := strategytest.BTCUSD()
		info.PriceDecimals, info.LotDecimals = pd, lot
		info.Tick, info.LotStep = decimal.New(1, -pd), decimal.New(1, -lot)
		o := strategy.Order{
			Pair: "BTC/USD", Side: feed.Side(side % 3), Type: strategy.OrderType(typ % 10),
			Qty: decimal.New(qty, -8), Price: decimal.New(price, -2), Price2: decimal.New(price2, -2),
			TimeInForce: strategy.TimeInForce(tif % 4), PostOnly: post, Offset: strategy.OffsetKind(offset % 3),
			PriceSpec: spec, Price2Spec: spec2,
		}
		if o.TimeInForce == strategy.GTD {
			o.ExpireTime = agreeT0.Add(time.Duration(qty%7200) * time.Second)
		}
		// flags: fcib, fciq, stptype (2 bits, 3 is unknown), a start time ahead or behind, a book.
		o.FeeInBase, o.FeeInQuote = flags&1 != 0, flags&2 != 0
		o.STP = strategy.SelfTradePrevention(flags >> 2 & 3)
		switch flags >> 4 & 3 {
		case 1:
			o.StartTime = agreeT0.Add(time.Duration(price%3600) * time.Second)
		case 2:
			o.StartTime = agreeT0.Add(-time.Minute)
		}
		if closeType%10 != 0 {
			o.Close = &strategy.CloseOrder{Type: strategy.OrderType(closeType % 10), Price: decimal.New(price, -2), Price2: decimal.New(price2, -1),
				Offset: strategy.OffsetKind(closeType / 10 % 3)}
		}
		if quoteQty != 0 {
			o.QuoteQty = decimal.New(quoteQty, -2)
		}
		last := decimal.New(50000, 0)
		withBook := flags&64 != 0
		s, fk := errText(submitSim(t, info, last, withBook, o)), errText(submitFake(t, info, last, withBook, o))
		if s != fk {
			t.Fatalf("order %s: simulator: %s; fake Context: %s", fmt.Sprintf("%+v", o), s, fk)
		}
	})
}
