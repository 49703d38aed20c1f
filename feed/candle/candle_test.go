package candle_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/candle"
	"github.com/shopspring/decimal"
)

var t0 = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func trade(at time.Time, price, qty string) feed.Trade {
	return feed.Trade{Pair: "BTC/USD", Side: feed.Buy, Price: dec(price), Qty: dec(qty), Time: at}
}

type wantCandle struct {
	start                             time.Time
	open, high, low, close, vwap, vol string
	trades                            int64
}

func checkCandle(t *testing.T, got feed.Candle, want wantCandle, iv time.Duration) {
	t.Helper()
	if !got.Start.Equal(want.start) || got.Interval != iv || got.Pair != "BTC/USD" || !got.Closed || got.Trades != want.trades ||
		!got.Open.Equal(dec(want.open)) || !got.High.Equal(dec(want.high)) || !got.Low.Equal(dec(want.low)) ||
		!got.Close.Equal(dec(want.close)) || !got.VWAP.Equal(dec(want.vwap)) || !got.Volume.Equal(dec(want.vol)) {
		t.Errorf("candle = %s %v O%s H%s L%s C%s VWAP%s V%s n%d closed %v\nwant     %s O%s H%s L%s C%s VWAP%s V%s n%d",
			got.Start.Format(time.RFC3339Nano), got.Interval, got.Open, got.High, got.Low, got.Close, got.VWAP, got.Volume, got.Trades, got.Closed,
			want.start.Format(time.RFC3339Nano), want.open, want.high, want.low, want.close, want.vwap, want.vol, want.trades)
	}
}

// A candle is delivered by the first trade at or after its end — never by a trade inside it —
// and a trade at exactly the end belongs to the next candle.
func TestBuilderNoLookAhead(t *testing.T) {
	b := candle.New("BTC/USD", time.Minute)
	inside := []feed.Trade{
		trade(t0, "100.0", "1"),
		trade(t0.Add(10*time.Second), "101.5", "0.5"),
		trade(t0.Add(30*time.Second), "99.5", "2"),
		trade(t0.Add(time.Minute-time.Nanosecond), "100.2", "0.25"),
	}
	for i, tr := range inside {
		if c, ok := b.Add(tr); ok {
			t.Fatalf("trade %d inside the candle delivered %v", i, c)
		}
	}
	if c, ok := b.Advance(t0.Add(time.Minute - time.Nanosecond)); ok {
		t.Fatalf("Advance before the end delivered %v", c)
	}
	if f, ok := b.Forming(); !ok || f.Closed || f.Trades != 4 {
		t.Fatalf("Forming = %+v, %v", f, ok)
	}
	c, ok := b.Add(trade(t0.Add(time.Minute), "100.4", "1"))
	if !ok {
		t.Fatal("trade at the end did not close the candle")
	}
	// VWAP = (100·1 + 101.5·0.5 + 99.5·2 + 100.2·0.25) / 3.75 = 374.8/3.75 = 99.9466… → 99.9
	checkCandle(t, c, wantCandle{t0, "100.0", "101.5", "99.5", "100.2", "99.9", "3.75", 4}, time.Minute)
	if f, _ := b.Forming(); !f.Start.Equal(t0.Add(time.Minute)) || f.Trades != 1 || !f.Open.Equal(dec("100.4")) {
		t.Errorf("next candle = %+v, want it to start at the boundary with the boundary trade", f)
	}
	// Advance at exactly the end closes the second candle.
	c, ok = b.Advance(t0.Add(2 * time.Minute))
	if !ok {
		t.Fatal("Advance at the end did not close the candle")
	}
	checkCandle(t, c, wantCandle{t0.Add(time.Minute), "100.4", "100.4", "100.4", "100.4", "100.4", "1", 1}, time.Minute)
	if _, ok := b.Advance(t0.Add(time.Hour)); ok {
		t.Error("Advance with nothing forming delivered a candle")
	}
	if b.Closed() != 2 {
		t.Errorf("Closed() = %d, want 2", b.Closed())
	}
}

// Intervals without trades produce no candle.
func TestBuilderSkipsEmptyIntervals(t *testing.T) {
	b := candle.New("BTC/USD", time.Minute)
	b.Add(trade(t0.Add(10*time.Second), "5", "1"))
	c, ok := b.Add(trade(t0.Add(5*time.Minute+10*time.Second), "6", "1"))
	if !ok {
		t.Fatal("no candle")
	}
	checkCandle(t, c, wantCandle{t0, "5", "5", "5", "5", "5", "1", 1}, time.Minute)
	c, ok = b.Advance(t0.Add(10 * time.Minute))
	if !ok {
		t.Fatal("no second candle")
	}
	checkCandle(t, c, wantCandle{t0.Add(5 * time.Minute), "6", "6", "6", "6", "6", "1", 1}, time.Minute)
}

func TestBuilderAlignment(t *testing.T) {
	tests := []struct {
		iv   time.Duration
		at   time.Time
		want time.Time
	}{
		{time.Minute, t0.Add(59 * time.Second), t0},
		{15 * time.Minute, t0.Add(29*time.Minute + time.Second), t0.Add(15 * time.Minute)},
		{time.Hour, t0.Add(-time.Nanosecond), t0.Add(-time.Hour)},
		{24 * time.Hour, t0, time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)},
		// Weeks are aligned to the epoch, which was a Thursday.
		{7 * 24 * time.Hour, t0, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
		{7 * time.Minute, time.Unix(0, 0).Add(20 * time.Minute), time.Unix(0, 0).Add(14 * time.Minute).UTC()},
		{time.Minute, time.Unix(-30, 0), time.Unix(-60, 0).UTC()}, // before 1970
		{time.Second, time.Unix(100, 999999999), time.Unix(100, 0).UTC()},
		// Non-UTC trade times give the same candles.
		{time.Hour, t0.In(time.FixedZone("X", 5*3600+1800)).Add(10 * time.Minute), t0},
	}
	for _, tt := range tests {
		b := candle.New("BTC/USD", tt.iv)
		b.Add(trade(tt.at, "1", "1"))
		f, _ := b.Forming()
		if !f.Start.Equal(tt.want) || f.Start.Location() != time.UTC {
			t.Errorf("%v candle for %v starts %v, want %v UTC", tt.iv, tt.at, f.Start, tt.want)
		}
	}
}

func TestBuilderMixedPrecision(t *testing.T) {
	// Kraken v2 drops trailing zeros: 85755 and 85754.8 must compare as numbers.
	b := candle.New("BTC/USD", time.Minute)
	for i, p := range []string{"85754.8", "85755", "85754.75", "85754.8", "85755.10", "1e4"} {
		b.Add(trade(t0.Add(time.Duration(i)*time.Second), p, []string{"0.5", "0.00126522", "1", "2.0", "0.1", "0.000001"}[i]))
	}
	c, _ := b.Advance(t0.Add(time.Minute))
	vol := dec("0.5").Add(dec("0.00126522")).Add(dec("1")).Add(dec("2.0")).Add(dec("0.1")).Add(dec("0.000001"))
	notional := dec("85754.8").Mul(dec("0.5")).Add(dec("85755").Mul(dec("0.00126522"))).Add(dec("85754.75")).
		Add(dec("85754.8").Mul(dec("2.0"))).Add(dec("85755.10").Mul(dec("0.1"))).Add(dec("1e4").Mul(dec("0.000001")))
	checkCandle(t, c, wantCandle{t0, "85754.8", "85755.10", "1e4", "1e4", notional.DivRound(vol, 2).String(), vol.String(), 6}, time.Minute)
}

func TestBuilderLateTrades(t *testing.T) {
	b := candle.New("BTC/USD", time.Minute)
	b.Add(trade(t0.Add(70*time.Second), "10", "1")) // starts [1m, 2m)
	b.Add(trade(t0.Add(50*time.Second), "12", "1")) // stamped in the previous minute
	if b.Late() != 1 {
		t.Errorf("Late() = %d, want 1", b.Late())
	}
	c, _ := b.Advance(t0.Add(2 * time.Minute))
	checkCandle(t, c, wantCandle{t0.Add(time.Minute), "10", "12", "10", "12", "11", "2", 2}, time.Minute)
}

func TestBuilderHugeNumbers(t *testing.T) {
	// More than 18 significant digits take the exact slow path.
	b := candle.New("BTC/USD", time.Minute)
	b.Add(trade(t0, "12345678901234567890.5", "0.1234567890123456789"))
	b.Add(trade(t0.Add(time.Second), "3", "1"))
	c, _ := b.Advance(t0.Add(time.Minute))
	vol := dec("0.1234567890123456789").Add(dec("1"))
	notional := dec("12345678901234567890.5").Mul(dec("0.1234567890123456789")).Add(dec("3"))
	checkCandle(t, c, wantCandle{t0, "12345678901234567890.5", "12345678901234567890.5", "3", "3", notional.DivRound(vol, 1).String(), vol.String(), 2}, time.Minute)
}

// Sums beyond 128 bits, scale changes that overflow, and negative terms all fall back to
// exact big arithmetic.
func TestBuilderExtremeSums(t *testing.T) {
	cases := map[string][]feed.Trade{}
	var big []feed.Trade
	for i := range 400 {
		big = append(big, trade(t0.Add(time.Duration(i)*time.Millisecond), "999999999999999999", "999999999999999999"))
	}
	cases["overflow 128 bits"] = big
	cases["scale overflow"] = []feed.Trade{
		trade(t0, "999999999999999999", "1"),
		trade(t0.Add(1), "1", "0.000000000000000001"), // rescaling the sum by 10^18 overflows int64 terms
		trade(t0.Add(2), "12345.6", "0.00000001"),
	}
	cases["negative"] = []feed.Trade{
		trade(t0, "5", "1"),
		trade(t0.Add(1), "-3.5", "2"),
		trade(t0.Add(2), "7", "-0.5"),
		trade(t0.Add(3), "1", "1"),
	}
	for name, trades := range cases {
		b := candle.New("BTC/USD", time.Minute)
		for _, tr := range trades {
			b.Add(tr)
		}
		got, _ := b.Advance(t0.Add(time.Minute))
		want := naiveCandles(trades, time.Minute)[0]
		if !got.Volume.Equal(want.Volume) || !got.VWAP.Equal(want.VWAP) || !got.High.Equal(want.High) || !got.Low.Equal(want.Low) {
			t.Errorf("%s: got V=%s VWAP=%s H=%s L=%s, want V=%s VWAP=%s H=%s L=%s", name,
				got.Volume, got.VWAP, got.High, got.Low, want.Volume, want.VWAP, want.High, want.Low)
		}
	}
}

func TestBuilderZeroVolume(t *testing.T) {
	b := candle.New("BTC/USD", time.Minute)
	b.Add(trade(t0, "7.5", "0"))
	c, _ := b.Advance(t0.Add(time.Minute))
	checkCandle(t, c, wantCandle{t0, "7.5", "7.5", "7.5", "7.5", "7.5", "0", 1}, time.Minute)
}

func TestBuilderPanicsOnBadInterval(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a zero interval")
		}
	}()
	candle.New("BTC/USD", 0)
}

// naiveCandles aggregates trades the obvious way, with decimal arithmetic throughout.
func naiveCandles(trades []feed.Trade, iv time.Duration) []feed.Candle {
	var out []feed.Candle
	var cur *feed.Candle
	var notional decimal.Decimal
	var scale int32
	flush := func() {
		if cur == nil {
			return
		}
		cur.VWAP = cur.Close
		if !cur.Volume.IsZero() {
			cur.VWAP = notional.DivRound(cur.Volume, scale)
		}
		out = append(out, *cur)
		cur = nil
	}
	for _, tr := range trades {
		start := tr.Time.Truncate(iv) // the test's times are after 1970 and iv divides a day
		if cur != nil && !tr.Time.Before(cur.Start.Add(iv)) {
			flush()
		}
		if cur == nil {
			cur = &feed.Candle{Pair: tr.Pair, Interval: iv, Start: start.UTC(), Open: tr.Price, High: tr.Price, Low: tr.Price, Closed: true}
			notional, scale = decimal.Zero, 0
		}
		if tr.Price.GreaterThan(cur.High) {
			cur.High = tr.Price
		}
		if tr.Price.LessThan(cur.Low) {
			cur.Low = tr.Price
		}
		cur.Close = tr.Price
		cur.Volume = cur.Volume.Add(tr.Qty)
		notional = notional.Add(tr.Price.Mul(tr.Qty))
		scale = max(scale, -tr.Price.Exponent())
		cur.Trades++
	}
	flush()
	return out
}

// randomTrades is a seeded stream with varied precisions, bursts and gaps.
func randomTrades(seed uint64, n int) []feed.Trade {
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]feed.Trade, n)
	at := t0
	mant := int64(300000) // 30000.0
	for i := range out {
		switch r.IntN(10) {
		case 0:
			at = at.Add(time.Duration(r.IntN(600)) * time.Second) // gap
		default:
			at = at.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
		}
		mant += int64(r.IntN(21) - 10)
		price := decimal.New(mant, -1)
		if mant%10 == 0 && r.IntN(2) == 0 {
			price = decimal.New(mant/10, 0) // v2 style: trailing zero dropped
		}
		qty := decimal.New(int64(1+r.IntN(50000000)), -int32(r.IntN(9)))
		out[i] = feed.Trade{Pair: "BTC/USD", Side: feed.Side(1 + r.IntN(2)), Price: price, Qty: qty, Time: at}
	}
	return out
}

func TestBuilderMatchesNaive(t *testing.T) {
	for _, iv := range []time.Duration{time.Second, time.Minute, 5 * time.Minute, time.Hour} {
		for seed := uint64(1); seed <= 3; seed++ {
			trades := randomTrades(seed, 3000)
			want := naiveCandles(trades, iv)
			b := candle.New("BTC/USD", iv)
			var got []feed.Candle
			for _, tr := range trades {
				if c, ok := b.Add(tr); ok {
					if tr.Time.Before(c.End()) {
						t.Fatalf("candle ending %v delivered by a trade at %v", c.End(), tr.Time)
					}
					got = append(got, c)
				}
			}
			if c, ok := b.Advance(trades[len(trades)-1].Time.Add(iv)); ok {
				got = append(got, c)
			}
			if len(got) != len(want) {
				t.Fatalf("%v seed %d: %d candles, want %d", iv, seed, len(got), len(want))
			}
			for i := range want {
				g, w := got[i], want[i]
				if !g.Start.Equal(w.Start) || !g.Open.Equal(w.Open) || !g.High.Equal(w.High) || !g.Low.Equal(w.Low) ||
					!g.Close.Equal(w.Close) || !g.Volume.Equal(w.Volume) || !g.VWAP.Equal(w.VWAP) || g.Trades != w.Trades {
					t.Fatalf("%v seed %d candle %d:\n got %+v\nwant %+v", iv, seed, i, g, w)
				}
				if g.VWAP.LessThan(g.Low) || g.VWAP.GreaterThan(g.High) {
					t.Fatalf("VWAP %s outside [%s, %s]", g.VWAP, g.Low, g.High)
				}
			}
		}
	}
}

func TestBuilderAddDoesNotAllocate(t *testing.T) {
	trades := randomTrades(4, 1000)
	for i := range trades { // keep everything inside one long candle
		trades[i].Time = t0.Add(time.Duration(i) * time.Millisecond)
	}
	b := candle.New("BTC/USD", 24*time.Hour)
	for _, tr := range trades { // grow the accumulators
		b.Add(tr)
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		b.Add(trades[i%len(trades)])
		i++
	})
	if allocs != 0 {
		t.Errorf("Add allocates %v times per trade, want 0", allocs)
	}
}

func ExampleBuilder() {
	b := candle.New("BTC/USD", time.Minute)
	at := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tr := range []struct {
		sec        int
		price, qty string
	}{{5, "27119.9", "0.5"}, {20, "27125.0", "0.1"}, {59, "27110.2", "0.4"}, {61, "27111.0", "1"}} {
		c, ok := b.Add(feed.Trade{Pair: "BTC/USD", Price: dec(tr.price), Qty: dec(tr.qty), Time: at.Add(time.Duration(tr.sec) * time.Second)})
		if ok { // only the trade at 12:01:01 closes the 12:00 candle
			fmt.Printf("%s O=%s H=%s L=%s C=%s V=%s VWAP=%s trades=%d\n",
				c.Start.Format("15:04"), c.Open, c.High, c.Low, c.Close, c.Volume, c.VWAP, c.Trades)
		}
	}
	// Output:
	// 12:00 O=27119.9 H=27125 L=27110.2 C=27110.2 V=1 VWAP=27116.5 trades=3
}
