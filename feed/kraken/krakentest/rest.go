package krakentest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/shopspring/decimal"
)

// restTradesMax is the most trades one REST Trades page returns, as on Kraken.
const restTradesMax = 1000

// serveREST answers the public REST subset: Time, SystemStatus, Assets, AssetPairs, Ticker,
// OHLC, Depth and Trades, with Kraken's envelope {"error":[...],"result":...}. ccxt's
// loadMarkets calls Assets and AssetPairs; its fetch* methods the others.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	var body []byte
	status := http.StatusOK
	switch r.URL.Path {
	case "/0/public/Time":
		now := s.now().UTC()
		b := []byte(`{"unixtime":`)
		b = strconv.AppendInt(b, now.Unix(), 10)
		b = append(b, `,"rfc1123":`...)
		b = jsonstr.Append(b, now.Format("Mon, 02 Jan 06 15:04:05 -0700"))
		body = restOK(append(b, '}'))
	case "/0/public/SystemStatus":
		b := []byte(`{"status":`)
		b = jsonstr.Append(b, string(s.SystemStatus()))
		b = append(b, `,"timestamp":`...)
		b = jsonstr.Append(b, s.now().UTC().Format(time.RFC3339))
		body = restOK(append(b, '}'))
	case "/0/public/AssetPairs":
		body = s.restAssetPairs(r.URL.Query().Get("pair"))
	case "/0/public/Trades":
		body = s.restTrades(r)
	case "/0/public/Assets":
		body = s.restAssetsList(r.URL.Query().Get("asset"))
	case "/0/public/Ticker":
		body = s.restTicker(r.URL.Query().Get("pair"))
	case "/0/public/OHLC":
		body = s.restOHLC(r)
	case "/0/public/Depth":
		body = s.restDepth(r)
	default:
		status = http.StatusNotFound
		body = restErr("EGeneral:Unknown method")
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body) //nolint:errcheck // the client went away; nothing to do
}

func restOK(result []byte) []byte {
	b := []byte(`{"error":[],"result":`)
	b = append(b, result...)
	return append(b, '}')
}

func restErr(text string) []byte {
	b := []byte(`{"error":[`)
	b = jsonstr.Append(b, text)
	return append(b, `],"result":{}}`...)
}

// restKey is the key a pair has in REST results: its AssetPairs id, else its altname.
func restKey(p *feed.PairInfo) string {
	switch {
	case p.ID != "":
		return p.ID
	case p.AltName != "":
		return p.AltName
	}
	return strings.ReplaceAll(string(p.Pair), "/", "")
}

// restPair is a pair named in a REST request and the key its result goes under.
type restPair struct {
	ps  *pairState
	key string
}

// resultKey is the key a result for a pair requested as name goes under: the name itself
// when it is a v1/v2 name with a slash (2026 responses to pair=BTC/USD are keyed "BTC/USD"),
// else the pair's AssetPairs key (pair=XBTUSD is answered under "XXBTZUSD", as always).
func resultKey(ps *pairState, name string) string {
	if strings.Contains(name, "/") {
		return name
	}
	return restKey(&ps.info)
}

// lookupREST resolves a comma-separated pair list (all pairs when empty), sorted by key. s.mu
// held.
func (s *Server) lookupREST(names string) ([]restPair, bool) {
	var out []restPair
	if names == "" {
		for _, ps := range s.pairs {
			out = append(out, restPair{ps, restKey(&ps.info)})
		}
	} else {
		for _, n := range strings.Split(names, ",") {
			n = strings.TrimSpace(n)
			ps := s.byREST[n]
			if ps == nil {
				return nil, false
			}
			out = append(out, restPair{ps, resultKey(ps, n)})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, true
}

func (s *Server) restAssetPairs(names string) []byte { return s.restPerPair(names, appendAssetPair) }

// restPerPair answers a REST call whose result is one object per pair requested (all pairs
// when names is empty), keyed as lookupREST names them, each written by one.
func (s *Server) restPerPair(names string, one func([]byte, *pairState) []byte) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	pss, ok := s.lookupREST(names)
	if !ok {
		return restErr("EQuery:Unknown asset pair")
	}
	b := []byte{'{'}
	for i, rp := range pss {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, rp.key)
		b = append(b, ':')
		b = one(b, rp.ps)
	}
	return restOK(append(b, '}'))
}

// legacyAssets are Kraken's X/Z-prefixed REST asset ids, by v1 asset code: every pair that
// trades them names them so (XBTUSDT's base is XXBT), whatever the pair's own key.
var legacyAssets = map[string]string{
	"XBT": "XXBT", "ETH": "XETH", "XDG": "XXDG", "LTC": "XLTC", "XMR": "XXMR", "XRP": "XXRP",
	"ETC": "XETC", "ZEC": "XZEC", "XLM": "XXLM", "MLN": "XMLN", "REP": "XREP",
	"USD": "ZUSD", "EUR": "ZEUR", "GBP": "ZGBP", "CAD": "ZCAD", "JPY": "ZJPY", "AUD": "ZAUD",
}

// restAssets returns the REST asset ids of a pair: the legacy ids inside an X/Z style pair id
// (XXBTZUSD → XXBT, ZUSD), else the v1 names' halves with legacy codes prefixed.
func restAssets(ps *pairState) (base, quote string) {
	id := ps.info.ID
	if len(id) == 8 && (id[0] == 'X' || id[0] == 'Z') && (id[4] == 'X' || id[4] == 'Z') {
		return id[:4], id[4:]
	}
	if i := strings.IndexByte(ps.v1Name, '/'); i > 0 {
		base, quote = ps.v1Name[:i], ps.v1Name[i+1:]
	} else {
		base, quote = ps.info.Pair.Base(), ps.info.Pair.Quote()
	}
	if l, ok := legacyAssets[base]; ok {
		base = l
	}
	if l, ok := legacyAssets[quote]; ok {
		quote = l
	}
	return base, quote
}

func appendAssetPair(b []byte, ps *pairState) []byte {
	p := &ps.info
	base, quote := restAssets(ps)
	alt := p.AltName
	if alt == "" {
		alt = strings.ReplaceAll(ps.v1Name, "/", "")
	}
	status := string(p.Status)
	if status == "" {
		status = string(feed.PairOnline)
	}
	tick := p.Tick
	if tick.IsZero() {
		tick = decimal.New(1, -p.PriceDecimals)
	}
	fvc := p.FeeVolumeCurrency
	if fvc == "" {
		fvc = "ZUSD"
	}
	str := func(b []byte, key, v string) []byte {
		b = appendKey(b, key)
		b = jsonstr.Append(b, v)
		return append(b, ',')
	}
	num := func(b []byte, key string, v int64) []byte {
		b = appendKey(b, key)
		b = strconv.AppendInt(b, v, 10)
		return append(b, ',')
	}
	fees := func(b []byte, key string, tiers []feed.FeeTier) []byte {
		b = appendKey(b, key)
		b = append(b, '[')
		for i, t := range tiers {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = append(b, t.Volume.String()...)
			b = append(b, ',')
			b = append(b, t.Percent.String()...)
			b = append(b, ']')
		}
		return append(b, "],"...)
	}
	b = append(b, '{')
	b = str(b, "altname", alt)
	b = str(b, "wsname", ps.v1Name)
	b = str(b, "aclass_base", "currency")
	b = str(b, "base", base)
	b = str(b, "aclass_quote", "currency")
	b = str(b, "quote", quote)
	b = str(b, "lot", "unit")
	b = num(b, "cost_decimals", int64(p.CostDecimals))
	b = num(b, "pair_decimals", int64(p.PriceDecimals))
	b = num(b, "lot_decimals", int64(p.LotDecimals))
	b = num(b, "lot_multiplier", 1)
	b = append(b, `"leverage_buy":[],"leverage_sell":[],`...)
	b = fees(b, "fees", p.Taker)
	b = fees(b, "fees_maker", p.Maker)
	b = str(b, "fee_volume_currency", fvc)
	b = num(b, "margin_call", 80)
	b = num(b, "margin_stop", 40)
	b = str(b, "ordermin", p.OrderMin.String())
	b = str(b, "costmin", p.CostMin.String())
	b = str(b, "tick_size", tick.String())
	b = appendKey(b, "status")
	b = jsonstr.Append(b, status)
	return append(b, '}')
}

// restTrades answers Trades?pair=&since=&count=. since is a nanosecond cursor (values below
// 1e12 are taken as seconds, as Kraken also accepts); trades at or after it are returned, so
// the boundary trade repeats from page to page, and "last" is the cursor for the next page.
func (s *Server) restTrades(r *http.Request) []byte {
	q := r.URL.Query()
	name := q.Get("pair")
	if name == "" || strings.Contains(name, ",") {
		return restErr("EGeneral:Invalid arguments")
	}
	var since int64
	if v := q.Get("since"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return restErr("EGeneral:Invalid arguments:since")
		}
		if n < 1e12 {
			n *= 1e9
		}
		since = n
	}
	count := restTradesMax
	if v := q.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > restTradesMax {
			return restErr("EGeneral:Invalid arguments:count")
		}
		count = n
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ps := s.byREST[name]
	if ps == nil {
		return restErr("EQuery:Unknown asset pair")
	}
	recs := ps.tradesSince(since, count)
	b := make([]byte, 0, 64+90*len(recs))
	b = append(b, '{')
	b = jsonstr.Append(b, resultKey(ps, name))
	b = append(b, ":["...)
	for i, t := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		b = appendFixedQ(b, t.price, ps.v1PScale)
		b = append(b, ',')
		b = appendFixedQ(b, t.qty, ps.qScale)
		b = append(b, ',')
		b = appendRESTTime(b, t.time)
		b = append(b, ",\""...)
		b = append(b, t.side.String()[0])
		b = append(b, "\",\""...)
		b = append(b, t.ord.String()[0])
		b = append(b, "\",\"\","...)
		b = strconv.AppendUint(b, t.id, 10)
		b = append(b, ']')
	}
	last := since
	if len(recs) > 0 {
		last = recs[len(recs)-1].timeKey
	}
	b = append(b, `],"last":"`...)
	b = strconv.AppendInt(b, last, 10)
	b = append(b, `"}`...)
	return restOK(b)
}
