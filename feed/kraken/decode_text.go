package kraken

import (
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/internal/jsonstr"
	"github.com/shopspring/decimal"
)

// AppendEventJSON appends ev as one JSON object (without a newline) in the format of
// `papertrade decode`: fields in a fixed order, so the output is deterministic; prices and
// quantities as strings at the precision they were sent with ("0.12290"); times in RFC 3339
// with nanoseconds, UTC; pairs in their v2 spelling. Zero-valued optional fields are left out.
//
//	{"kind":"trade","api":"v2","pair":"BTC/USD","time":"…","side":"buy","ord_type":"limit","price":"68500.0","qty":"0.01044926","trade_id":70635299}
//	{"kind":"book","api":"v1","pair":"BTC/USD","time":"…","snapshot":false,"depth":10,"bids":[["27119.90000","13.54109952"]],"asks":[],"checksum":3572756970}
func AppendEventJSON(dst []byte, ev *feed.Event) []byte {
	w := jsonObj{b: append(dst, '{')}
	w.str("kind", ev.Kind.String())
	if ev.API != feed.APINone {
		w.str("api", ev.API.String())
	}
	if ev.Pair != "" {
		w.str("pair", string(ev.Pair))
	}
	w.time("time", ev.Time)
	w.time("recv", ev.Recv)
	switch ev.Kind {
	case feed.KindTrade:
		t := &ev.Trade
		w.str("side", t.Side.String())
		w.str("ord_type", t.OrdType.String())
		w.dec("price", t.Price)
		w.dec("qty", t.Qty)
		if t.ID != 0 {
			w.uint("trade_id", t.ID)
		}
	case feed.KindBook:
		if u := ev.Book; u != nil {
			w.bool("snapshot", u.Snapshot)
			if u.Depth != 0 {
				w.int("depth", int64(u.Depth))
			}
			w.levels("bids", u.Bids)
			w.levels("asks", u.Asks)
			if u.HasChecksum {
				w.uint("checksum", uint64(u.Checksum))
			}
		}
	case feed.KindTicker:
		if t := ev.Ticker; t != nil {
			w.dec("bid", t.Bid)
			w.dec("bid_qty", t.BidQty)
			w.dec("ask", t.Ask)
			w.dec("ask_qty", t.AskQty)
			w.dec("last", t.Last)
			if ev.API == feed.APIV1 {
				w.dec("last_qty", t.LastQty)
			}
			w.dec("volume", t.Volume)
			w.dec("vwap", t.VWAP)
			w.dec("low", t.Low)
			w.dec("high", t.High)
			if ev.API == feed.APIV1 {
				w.dec("open", t.Open)
			} else {
				w.dec("change", t.Change)
				w.dec("change_pct", t.ChangePct)
			}
			if t.Trades != 0 {
				w.int("trades", t.Trades)
			}
		}
	case feed.KindCandle:
		if c := ev.Candle; c != nil {
			w.int("interval", int64(c.Interval/time.Minute))
			w.time("start", c.Start)
			w.dec("open", c.Open)
			w.dec("high", c.High)
			w.dec("low", c.Low)
			w.dec("close", c.Close)
			w.dec("vwap", c.VWAP)
			w.dec("volume", c.Volume)
			w.int("trades", c.Trades)
			w.bool("closed", c.Closed)
		}
	case feed.KindSpread:
		if s := ev.Spread; s != nil {
			w.dec("bid", s.Bid)
			w.dec("ask", s.Ask)
			w.dec("bid_qty", s.BidQty)
			w.dec("ask_qty", s.AskQty)
		}
	case feed.KindStatus:
		if s := ev.Status; s != nil {
			w.str("system", string(s.System))
			w.str("version", s.Version)
			if s.ConnectionID != 0 {
				w.uint("connection_id", s.ConnectionID)
			}
			w.maintenance("upcoming_maintenance", s.Upcoming)
			w.maintenance("emergency", s.Emergency)
		}
	case feed.KindInstrument:
		if in := ev.Instrument; in != nil {
			w.bool("snapshot", in.Snapshot)
			w.key("pairs")
			w.b = append(w.b, '[')
			for i := range in.Pairs {
				if i > 0 {
					w.b = append(w.b, ',')
				}
				w.b = appendPairInfo(w.b, &in.Pairs[i])
			}
			w.b = append(w.b, ']')
		}
	case feed.KindAck, feed.KindPong, feed.KindError:
		if a := ev.Ack; a != nil {
			w.str("method", a.Method)
			w.str("channel", a.Channel)
			w.bool("success", a.Success)
			w.str("error", a.Error)
			w.str("status", a.Status)
			if a.HasReqID {
				w.int("req_id", a.ReqID)
			}
			if a.Depth != 0 {
				w.int("depth", int64(a.Depth))
			}
			if a.Interval != 0 {
				w.int("interval", int64(a.Interval))
			}
			if a.Snapshot {
				w.bool("snapshot", true)
			}
			if a.Warnings != nil {
				w.strs("warnings", a.Warnings)
			}
			if a.ChannelID != 0 {
				w.int("channel_id", a.ChannelID)
			}
			w.time("time_in", a.TimeIn)
			w.time("time_out", a.TimeOut)
		}
	case feed.KindGap:
		if g := ev.Gap; g != nil {
			w.str("channel", g.Channel)
			if g.FromID != 0 || g.ToID != 0 {
				w.uint("from_id", g.FromID)
				w.uint("to_id", g.ToID)
			}
			w.uint("missing", g.Missing)
			w.time("from", g.From)
			w.time("to", g.To)
			w.str("reason", g.Reason)
		}
	}
	return append(w.b, '}')
}

func appendPairInfo(dst []byte, p *feed.PairInfo) []byte {
	w := jsonObj{b: append(dst, '{')}
	w.str("pair", string(p.Pair))
	w.str("ws_name", p.WSName)
	w.str("base", p.Base)
	w.str("quote", p.Quote)
	w.str("status", string(p.Status))
	w.int("price_decimals", int64(p.PriceDecimals))
	w.int("lot_decimals", int64(p.LotDecimals))
	w.int("cost_decimals", int64(p.CostDecimals))
	w.dec("tick", p.Tick)
	w.dec("lot_step", p.LotStep)
	w.dec("order_min", p.OrderMin)
	w.dec("cost_min", p.CostMin)
	return append(w.b, '}')
}

// jsonObj writes the members of a JSON object in call order.
type jsonObj struct {
	b []byte
	n int
}

func (w *jsonObj) key(k string) {
	if w.n > 0 {
		w.b = append(w.b, ',')
	}
	w.n++
	w.b = jsonstr.Append(w.b, k)
	w.b = append(w.b, ':')
}

// str writes a string member, leaving out empty strings.
func (w *jsonObj) str(k, v string) {
	if v == "" {
		return
	}
	w.key(k)
	w.b = jsonstr.Append(w.b, v)
}

func (w *jsonObj) strs(k string, v []string) {
	w.key(k)
	w.b = append(w.b, '[')
	for i, s := range v {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = jsonstr.Append(w.b, s)
	}
	w.b = append(w.b, ']')
}

func (w *jsonObj) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jsonObj) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *jsonObj) uint(k string, v uint64) {
	w.key(k)
	w.b = strconv.AppendUint(w.b, v, 10)
}

// time writes an RFC 3339 time, leaving out the zero time.
func (w *jsonObj) time(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
}

// dec writes a decimal as a string at its own precision (trailing zeros kept).
func (w *jsonObj) dec(k string, d decimal.Decimal) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = append(w.b, DecimalText(d)...)
	w.b = append(w.b, '"')
}

func (w *jsonObj) levels(k string, lv []feed.BookLevel) {
	w.key(k)
	w.b = append(w.b, '[')
	for i := range lv {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = append(w.b, '[', '"')
		w.b = lv[i].Price.AppendText(w.b)
		w.b = append(w.b, '"', ',', '"')
		w.b = lv[i].Qty.AppendText(w.b)
		w.b = append(w.b, '"')
		if lv[i].Republish {
			w.b = append(w.b, ',', '"', 'r', '"')
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, ']')
}

func (w *jsonObj) maintenance(k string, ms []feed.Maintenance) {
	if ms == nil {
		return
	}
	w.key(k)
	w.b = append(w.b, '[')
	for i := range ms {
		m := &ms[i]
		if i > 0 {
			w.b = append(w.b, ',')
		}
		o := jsonObj{b: append(w.b, '{')}
		o.int("event_id", m.EventID)
		o.str("title", m.Title)
		o.str("phase", m.Phase)
		o.str("recommended_action", m.RecommendedAction)
		o.str("order_submission", m.OrderSubmission)
		if m.AffectedServices != nil {
			o.strs("affected_services", m.AffectedServices)
		}
		o.str("source_url", m.SourceURL)
		o.time("cancel_before", m.CancelBefore)
		o.time("expected_start", m.ExpectedStart)
		o.time("expected_end", m.ExpectedEnd)
		o.int("time_to_start_s", int64(m.TimeToStart/time.Second))
		w.b = append(o.b, '}')
	}
	w.b = append(w.b, ']')
}

// DecimalText formats d at its own precision, keeping trailing zeros ("0.12290", "40.0"),
// unlike decimal.Decimal.String, which trims them.
func DecimalText(d decimal.Decimal) string {
	if e := d.Exponent(); e < 0 {
		return d.StringFixed(-e)
	}
	return d.String()
}
