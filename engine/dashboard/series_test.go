package dashboard

import (
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// A chart series holds the whole session in a bounded number of buckets: after 10 hours of
// one trade a second, the first candle is still the session's first second and every price
// seen is inside some candle's range (issue 18 item 10: a page left open showed ~80 s).
func TestSeriesKeepsWholeSession(t *testing.T) {
	s := series{limit: maxCandles}
	lo, hi := 1e18, -1e18
	const n = 10 * 3600
	for i := range n {
		v := 100 + float64((i*37)%1000)/10
		if i == n/2 {
			v = 5000 // one spike in the middle must survive every merge
		}
		lo, hi = min(lo, v), max(hi, v)
		s.add(t0.Add(time.Duration(i)*time.Second), v)
	}
	if len(s.pts) > maxCandles || len(s.pts) < maxCandles/2 {
		t.Fatalf("%d candles, want %d..%d", len(s.pts), maxCandles/2, maxCandles)
	}
	if first := s.pts[0].T; first > t0.Unix() || first+s.width() <= t0.Unix() {
		t.Errorf("first candle at %d (width %d s), want the bucket of the session start %d", first, s.width(), t0.Unix())
	}
	gotLo, gotHi := s.pts[0].L, s.pts[0].H
	for i, p := range s.pts {
		gotLo, gotHi = min(gotLo, p.L), max(gotHi, p.H)
		if p.T%s.width() != 0 || (i > 0 && p.T <= s.pts[i-1].T) {
			t.Fatalf("candle %d at %d: not on a %d s boundary or not after the one before", i, p.T, s.width())
		}
	}
	if gotLo != lo || gotHi != hi {
		t.Errorf("candles span %v..%v, the prices %v..%v", gotLo, gotHi, lo, hi)
	}
	if last := s.pts[len(s.pts)-1]; last.V != 100+float64(((n-1)*37)%1000)/10 {
		t.Errorf("last close %v", last.V)
	}
}

// A page that has a series receives what is new, and the whole series again (reset) once the
// buckets it holds were merged.
func TestSeriesCursor(t *testing.T) {
	h := testHub()
	c := newCursor()
	at := func(sec int) []feed.Event { return []feed.Event{trade("BTC/USD", sec, "50000")} }
	h.Observe(at(0))
	m := h.message(c, true)
	if len(m.Prices["BTC/USD"]) != 1 || len(m.ResetPrices) != 1 || m.Buckets["BTC/USD"] != 1 {
		t.Fatalf("first message: %v reset %v buckets %v", m.Prices, m.ResetPrices, m.Buckets)
	}
	h.Observe(at(1))
	if m = h.message(c, false); len(m.Prices["BTC/USD"]) != 2 || len(m.ResetPrices) != 0 {
		t.Fatalf("update: %v reset %v", m.Prices["BTC/USD"], m.ResetPrices)
	}
	for sec := 2; sec <= maxCandles; sec++ { // one more second than the series holds
		h.Observe(at(sec))
	}
	m = h.message(c, false)
	if p := m.Prices["BTC/USD"]; len(m.ResetPrices) != 1 || m.Buckets["BTC/USD"] != 2 || len(p) != maxCandles/2+1 || p[0].T != t0.Unix() {
		t.Fatalf("after re-bucketing: %d points from %v, reset %v, buckets %v", len(p), p[0], m.ResetPrices, m.Buckets)
	}
}
