package krakentest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/papertrade/papertrade/internal/pow10"
)

// The REST market-data endpoints (Assets, Ticker, OHLC, Depth) in the shapes of real 2025-11
// responses for XBTUSDT (nautilus_trader test_data/http_*.json, read by TestRESTShapes):
// prices as strings at the v1 (cost) precision, except OHLC rows at the pair's precision;
// times as integer seconds.

// ohlcRows is how many candles REST OHLC returns at most, as on Kraken.
const ohlcRows = 720

// depthMax is the most levels per side REST Depth returns.
const depthMax = 500

// restAsset is one entry of the Assets result.
type restAsset struct {
	id, alt  string
	decimals int32
}

// assetAlt is an asset's altname: a legacy X/Z-prefixed four-letter id loses its prefix.
func assetAlt(id string) string {
	if len(id) == 4 && (id[0] == 'X' || id[0] == 'Z') {
		return id[1:]
	}
	return id
}

func isFiat(alt string) bool {
	switch alt {
	case "USD", "EUR", "GBP", "CAD", "JPY", "CHF", "AUD", "AED":
		return true
	}
	return false
}

// restAssetsList answers Assets[?asset=A,B]: every asset of the pair table, under its REST id.
func (s *Server) restAssetsList(names string) []byte {
	s.mu.Lock()
	byID := map[string]*restAsset{}
	for _, ps := range s.pairs {
		base, quote := restAssets(ps)
		for i, id := range []string{base, quote} {
			a := byID[id]
			if a == nil {
				a = &restAsset{id: id, alt: assetAlt(id), decimals: 10}
				byID[id] = a
			}
			if i == 0 {
				a.decimals = max(a.decimals, ps.info.LotDecimals)
			}
		}
	}
	s.mu.Unlock()
	var list []*restAsset
	if names == "" {
		for _, a := range byID {
			list = append(list, a)
		}
	} else {
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			var found *restAsset
			for _, a := range byID {
				if a.id == n || a.alt == n {
					found = a
				}
			}
			if found == nil {
				return restErr("EQuery:Unknown asset")
			}
			list = append(list, found)
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].id < list[j].id })
	b := []byte{'{'}
	for i, a := range list {
		if i > 0 {
			b = append(b, ',')
		}
		dec, disp := a.decimals, int32(5)
		if isFiat(a.alt) {
			dec, disp = 4, 2
		}
		b = jsonstr.Append(b, a.id)
		b = append(b, `:{"aclass":"currency","altname":`...)
		b = jsonstr.Append(b, a.alt)
		b = append(b, `,"decimals":`...)
		b = strconv.AppendInt(b, int64(dec), 10)
		b = append(b, `,"display_decimals":`...)
		b = strconv.AppendInt(b, int64(disp), 10)
		b = append(b, `,"collateral_value":1.0,"status":"enabled"}`...)
	}
	return restOK(append(b, '}'))
}

// restTicker answers Ticker[?pair=…]: the v1 ticker's figures, with "o" a single string.
func (s *Server) restTicker(names string) []byte { return s.restPerPair(names, appendRESTTicker) }

func appendRESTTicker(b []byte, ps *pairState) []byte {
	bid, ask := ps.bbo()
	t := &ps.tick
	last, lastQty, low, high, open := t.last, t.lastQty, t.low, t.high, t.open
	if !t.has {
		last, low, high, open = bid.Price, bid.Price, bid.Price, bid.Price
		lastQty = feed.Fixed{Scale: ps.qScale}
	}
	vol := t.volume
	pair2 := func(b []byte, key string, f func([]byte) []byte) []byte {
		b = appendKey(b, key)
		b = append(b, '[')
		b = f(b)
		b = append(b, ',')
		b = f(b)
		return append(b, "],"...)
	}
	lvl := func(b []byte, key string, l feed.BookLevel) []byte {
		b = appendKey(b, key)
		b = append(b, '[')
		b = appendFixedQ(b, l.Price, ps.v1PScale)
		whole := l.Qty.Mant
		if l.Qty.Scale > 0 {
			whole /= pow10.Int64(l.Qty.Scale)
		}
		b = append(b, `,"`...)
		b = strconv.AppendInt(b, max(whole, 1), 10)
		b = append(b, `",`...)
		b = appendFixedQ(b, l.Qty, 3)
		return append(b, "],"...)
	}
	b = append(b, '{')
	b = lvl(b, "a", ask)
	b = lvl(b, "b", bid)
	b = append(b, `"c":[`...)
	b = appendFixedQ(b, last, ps.v1PScale)
	b = append(b, ',')
	b = appendFixedQ(b, lastQty, ps.qScale)
	b = append(b, "],"...)
	b = pair2(b, "v", func(b []byte) []byte { return appendDecQ(b, vol, ps.qScale) })
	b = pair2(b, "p", func(b []byte) []byte { return appendDecQ(b, vwap(t.pv, vol, last), ps.v1PScale) })
	b = pair2(b, "t", func(b []byte) []byte { return strconv.AppendInt(b, t.count, 10) })
	b = pair2(b, "l", func(b []byte) []byte { return appendFixedQ(b, low, ps.v1PScale) })
	b = pair2(b, "h", func(b []byte) []byte { return appendFixedQ(b, high, ps.v1PScale) })
	b = append(b, `"o":`...)
	b = appendFixedQ(b, open, ps.v1PScale)
	return append(b, '}')
}

// restOHLC answers OHLC?pair=&interval=[&since=]: candles built from the trade history,
// oldest first, at most 720, the last one still forming; "last" is the start of the last
// closed candle (the cursor for the next call), as on Kraken.
func (s *Server) restOHLC(r *http.Request) []byte {
	q := r.URL.Query()
	name := q.Get("pair")
	if name == "" || strings.Contains(name, ",") {
		return restErr("EGeneral:Invalid arguments")
	}
	interval := 1
	if v := q.Get("interval"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || intervalIndex(n) < 0 {
			return restErr("EGeneral:Invalid arguments")
		}
		interval = n
	}
	var since int64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return restErr("EGeneral:Invalid arguments:since")
		}
		since = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.byREST[name]
	if ps == nil {
		return restErr("EQuery:Unknown asset pair")
	}
	cs := restCandles(ps.trades, interval)
	if len(cs) > ohlcRows {
		cs = cs[len(cs)-ohlcRows:]
	}
	var last int64
	if n := len(cs); n >= 2 {
		last = cs[n-2].start.Unix()
	} else if n == 1 {
		last = cs[0].start.Unix()
	}
	b := []byte{'{'}
	b = jsonstr.Append(b, resultKey(ps, name))
	b = append(b, ":["...)
	first := true
	for i := range cs {
		c := &cs[i]
		if c.start.Unix() <= since && since != 0 {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, '[')
		b = strconv.AppendInt(b, c.start.Unix(), 10)
		for _, f := range [...]feed.Fixed{c.open, c.high, c.low, c.close} {
			b = append(b, ',')
			b = appendFixedQ(b, f, ps.pScale)
		}
		b = append(b, ',')
		b = appendDecQ(b, vwap(c.pv, c.volume, c.close), ps.pScale)
		b = append(b, ',')
		b = appendDecQ(b, c.volume, ps.qScale)
		b = append(b, ',')
		b = strconv.AppendInt(b, c.count, 10)
		b = append(b, ']')
	}
	b = append(b, `],"last":`...)
	b = strconv.AppendInt(b, last, 10)
	return restOK(append(b, '}'))
}

// restCandles buckets trades (oldest first) into candles of interval minutes.
func restCandles(trades []tradeRec, interval int) []candle {
	var out []candle
	for _, r := range trades {
		if n := len(out); n > 0 {
			c := &out[n-1]
			width := int64(interval) * 60
			sec := r.time.Unix()
			if time.Unix(sec-((sec%width)+width)%width, 0).UTC().Equal(c.start) {
				c.add(r)
				continue
			}
		}
		out = append(out, candle{intervalMinute: interval})
		out[len(out)-1].add(r)
	}
	return out
}

// restDepth answers Depth?pair=[&count=]: the top count levels (default 100, at most 500) of
// the full book, each [price, volume, last change in seconds].
func (s *Server) restDepth(r *http.Request) []byte {
	q := r.URL.Query()
	name := q.Get("pair")
	if name == "" || strings.Contains(name, ",") {
		return restErr("EGeneral:Invalid arguments")
	}
	count := 100
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return restErr("EGeneral:Invalid arguments:count")
		}
		if n > 0 {
			count = min(n, depthMax)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.byREST[name]
	if ps == nil {
		return restErr("EQuery:Unknown asset pair")
	}
	side := func(b []byte, sd feed.Side) []byte {
		b = append(b, '[')
		for i := range min(count, ps.book.Len(sd)) {
			l := ps.book.Level(sd, i)
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendFixedQ(b, l.Price, ps.v1PScale)
			b = append(b, ',')
			b = jsonstr.Append(b, l.Qty.Decimal().String()) // trimmed, as in the capture ("0.136")
			b = append(b, ',')
			b = strconv.AppendInt(b, ps.levelTime(sd, l.Price).Unix(), 10)
			b = append(b, ']')
		}
		return append(b, ']')
	}
	b := []byte{'{'}
	b = jsonstr.Append(b, resultKey(ps, name))
	b = append(b, `:{"asks":`...)
	b = side(b, feed.Sell)
	b = append(b, `,"bids":`...)
	b = side(b, feed.Buy)
	return restOK(append(b, "}}"...))
}
