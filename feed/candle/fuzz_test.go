package candle_test

import (
	"encoding/binary"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/candle"
	"github.com/shopspring/decimal"
)

// FuzzBuilder decodes arbitrary bytes into a trade stream — any mantissas and
// exponents, gaps, bursts, late trades — and checks the builder against the naive decimal
// aggregation, candle by candle, and that no candle is delivered early.
func FuzzBuilder(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Add([]byte("\xff\xff\xff\xff\xff\xff\xff\x7f\x00\x12\xff\xff\xff\xff\xff\xff\xff\x7f\x12\x00"))
	f.Add(make([]byte, 200))
	f.Fuzz(func(t *testing.T, data []byte) {
		const rec = 20
		var trades []feed.Trade
		at := t0
		for len(data) >= rec {
			r := data[:rec]
			data = data[rec:]
			at = at.Add(time.Duration(r[0]) * 700 * time.Millisecond)
			pm := int64(binary.LittleEndian.Uint64(r[1:9]) >> 1) // non-negative
			qm := int64(binary.LittleEndian.Uint64(r[9:17]) >> 1)
			pe := -int32(r[17] % 20)
			qe := -int32(r[18] % 20)
			if r[19]%7 == 0 {
				pe = int32(r[19] % 3) // an occasional positive exponent
			}
			trades = append(trades, feed.Trade{Pair: "BTC/USD", Price: decimal.New(pm, pe), Qty: decimal.New(qm, qe), Time: at})
		}
		if len(trades) == 0 {
			return
		}
		want := naiveCandles(trades, time.Minute)
		b := candle.New("BTC/USD", time.Minute)
		var got []feed.Candle
		for _, tr := range trades {
			if c, ok := b.Add(tr); ok {
				if tr.Time.Before(c.End()) {
					t.Fatalf("candle ending %v delivered at %v", c.End(), tr.Time)
				}
				got = append(got, c)
			}
		}
		if c, ok := b.Advance(trades[len(trades)-1].Time.Add(time.Minute)); ok {
			got = append(got, c)
		}
		if len(got) != len(want) {
			t.Fatalf("%d candles, want %d", len(got), len(want))
		}
		for i := range want {
			g, w := got[i], want[i]
			if !g.Start.Equal(w.Start) || !g.Open.Equal(w.Open) || !g.High.Equal(w.High) || !g.Low.Equal(w.Low) ||
				!g.Close.Equal(w.Close) || !g.Volume.Equal(w.Volume) || !g.VWAP.Equal(w.VWAP) || g.Trades != w.Trades {
				t.Fatalf("candle %d:\n got %+v\nwant %+v", i, g, w)
			}
		}
	})
}
