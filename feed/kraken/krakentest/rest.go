package krakentest

import (
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// restTradesMax is the most trades one REST Trades page returns, as on Kraken.
const restTradesMax = 1000

// serveREST answers the public REST subset: Time, SystemStatus, AssetPairs, Trades, with
// Kraken's envelope {"error":[...],"result":...}.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	var body []byte
	status := http.StatusOK
	switch r.URL.Path {
	case "/0/public/Time":
		now := s.now().UTC()
		b := []byte(`{"unixtime":`)
		b = strconv.AppendInt(b, now.Unix(), 10)
		b = append(b, `,"rfc1123":`...)
		b = appendString(b, now.Format("Mon, 02 Jan 06 15:04:05 -0700"))
		body = restOK(append(b, '}'))
	case "/0/public/SystemStatus":
		b := []byte(`{"status":`)
		b = appendString(b, string(s.SystemStatus()))
		b = append(b, `,"timestamp":`...)
		b = appendString(b, s.now().UTC().Format(time.RFC3339))
		body = restOK(append(b, '}'))
	case "/0/public/AssetPairs":
		body = s.restAssetPairs(r.URL.Query().Get("pair"))
	case "/0/public/Trades":
		body = s.restTrades(r)
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
	b = appendString(b, text)
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

func (s *Server) lookupREST(names string) ([]*pairState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if names == "" {
		return append([]*pairState(nil), s.pairs...), true
	}
	var out []*pairState
	for _, n := range strings.Split(names, ",") {
		ps := s.byREST[strings.TrimSpace(n)]
		if ps == nil {
			return nil, false
		}
		out = append(out, ps)
	}
	return out, true
}

func (s *Server) restAssetPairs(names string) []byte {
	pss, ok := s.lookupREST(names)
	if !ok {
		return restErr("EQuery:Unknown asset pair")
	}
	sort.SliceStable(pss, func(i, j int) bool { return restKey(&pss[i].info) < restKey(&pss[j].info) })
	b := []byte{'{'}
	for i, ps := range pss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, restKey(&ps.info))
		b = append(b, ':')
		b = appendAssetPair(b, ps)
	}
	return restOK(append(b, '}'))
}

// restAssets returns the REST asset ids of a pair: the legacy ids inside an X/Z style pair id
// (XXBTZUSD → XXBT, ZUSD), else the v1 names' halves.
func restAssets(ps *pairState) (base, quote string) {
	id := ps.info.ID
	if len(id) == 8 && (id[0] == 'X' || id[0] == 'Z') && (id[4] == 'X' || id[4] == 'Z') {
		return id[:4], id[4:]
	}
	if i := strings.IndexByte(ps.v1Name, '/'); i > 0 {
		return ps.v1Name[:i], ps.v1Name[i+1:]
	}
	return ps.info.Pair.Base(), ps.info.Pair.Quote()
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
		b = appendString(b, v)
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
	b = appendString(b, status)
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
	b = appendString(b, restKey(&ps.info))
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
