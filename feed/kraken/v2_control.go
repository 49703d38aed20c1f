package kraken

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// v2AckJSON is a v2 method response: subscribe/unsubscribe acks, pongs, error acks.
type v2AckJSON struct {
	Method  string          `json:"method"`
	ReqID   json.Number     `json:"req_id"`
	Success *bool           `json:"success"`
	Error   string          `json:"error"`
	Symbol  json.RawMessage `json:"symbol"` // a string on public acks; not read otherwise
	Status  string          `json:"status"`
	TimeIn  string          `json:"time_in"`
	TimeOut string          `json:"time_out"`
	Result  json.RawMessage `json:"result"`
}

var v2AckKeys = []string{"method", "req_id", "success", "error", "symbol", "status", "time_in", "time_out", "result"}

// v2AckResultJSON is the result of a subscribe/unsubscribe ack.
type v2AckResultJSON struct {
	Channel      string      `json:"channel"`
	Symbol       string      `json:"symbol"`
	Depth        json.Number `json:"depth"`
	Interval     json.Number `json:"interval"`
	Snapshot     *bool       `json:"snapshot"`
	Warnings     []string    `json:"warnings"`
	EventTrigger string      `json:"event_trigger"`
}

// v2Method decodes a frame with "method": an ack (KindAck), a pong (KindPong) or the failure
// of another request, such as a rejected ping (KindError). Acks are one per symbol; correlate
// them by ReqID, not by Method (Kraken answers a failed unsubscribe with "method":"subscribe").
func (d *Decoder) v2Method(frame []byte, method string, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	var m v2AckJSON
	if err := unmarshal(frame, &m); err != nil {
		return dst, err
	}
	var symbol string
	if len(m.Symbol) > 0 && m.Symbol[0] == '"' {
		if err := json.Unmarshal(m.Symbol, &symbol); err != nil {
			return dst, inPath(jsonError(err), "symbol")
		}
	}
	ack := &feed.Ack{Method: m.Method, Error: m.Error, Status: m.Status, Success: m.Success == nil || *m.Success}
	if m.Success == nil && m.Error != "" {
		ack.Success = false
	}
	var err error
	if ack.ReqID, ack.HasReqID, err = reqID(m.ReqID, "req_id"); err != nil {
		return dst, err
	}
	if ack.TimeIn, err = optTime(m.TimeIn, "time_in"); err != nil {
		return dst, err
	}
	if ack.TimeOut, err = optTime(m.TimeOut, "time_out"); err != nil {
		return dst, err
	}
	if len(m.Result) > 0 && m.Result[0] == '{' && (method == "subscribe" || method == "unsubscribe") {
		var r v2AckResultJSON
		if err := json.Unmarshal(m.Result, &r); err != nil {
			return dst, inPath(jsonError(err), "result")
		}
		ack.Channel, ack.Warnings = r.Channel, r.Warnings
		if r.Symbol != "" {
			symbol = r.Symbol
		}
		if r.Snapshot != nil {
			ack.Snapshot = *r.Snapshot
		}
		depth, err := optInt(r.Depth, "result.depth", 1<<20)
		if err != nil {
			return dst, err
		}
		interval, err := optInt(r.Interval, "result.interval", maxIntervalMinutes)
		if err != nil {
			return dst, err
		}
		ack.Depth, ack.Interval = int(depth), int(interval)
	}
	ack.Pair = d.ackPair(feed.APIV2, symbol)
	ev := feed.Event{API: feed.APIV2, Pair: ack.Pair, Time: ack.TimeOut, Recv: recv, Ack: ack}
	switch {
	case method == "pong":
		ev.Kind = feed.KindPong
	case method == "subscribe" || method == "unsubscribe":
		ev.Kind = feed.KindAck
	case !ack.Success:
		ev.Kind = feed.KindError
	default:
		d.unknown(feed.APIV2, "method", method)
		return dst, nil
	}
	d.countUnknownKeys(frame, v2AckKeys)
	return append(dst, ev), nil
}

// v2StatusJSON is the status channel: one entry per status (in practice one).
type v2StatusJSON struct {
	Data []struct {
		APIVersion   string            `json:"api_version"`
		ConnectionID json.Number       `json:"connection_id"`
		System       string            `json:"system"`
		Version      string            `json:"version"`
		Upcoming     []maintenanceJSON `json:"upcoming_maintenance"`
		Emergency    []maintenanceJSON `json:"emergency"`
	} `json:"data"`
}

// v2Status decodes a status frame. connection_id is absent during maintenance and exceeds
// int64 otherwise.
func (d *Decoder) v2Status(frame []byte, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	var m v2StatusJSON
	if err := unmarshal(frame, &m); err != nil {
		return dst, err
	}
	n0 := len(dst)
	for i, e := range m.Data {
		path := "data[" + strconv.Itoa(i) + "]"
		st := &feed.Status{System: feed.SystemState(e.System), Version: e.Version}
		var err error
		if st.ConnectionID, err = optUint64(e.ConnectionID, path+".connection_id"); err != nil {
			return dst[:n0], err
		}
		if st.Upcoming, err = maintenances(e.Upcoming, path+".upcoming_maintenance"); err != nil {
			return dst[:n0], err
		}
		if st.Emergency, err = maintenances(e.Emergency, path+".emergency"); err != nil {
			return dst[:n0], err
		}
		dst = append(dst, feed.Event{Kind: feed.KindStatus, API: feed.APIV2, Recv: recv, Status: st})
	}
	return dst, nil
}

// v2InstrumentJSON is the instrument channel. data is an object {assets, pairs}; assets are
// not needed (a pair's precisions are on the pair).
type v2InstrumentJSON struct {
	Data struct {
		Pairs []v2InstrumentPairJSON `json:"pairs"`
	} `json:"data"`
}

type v2InstrumentPairJSON struct {
	Symbol         string      `json:"symbol"`
	Base           string      `json:"base"`
	Quote          string      `json:"quote"`
	Status         string      `json:"status"`
	PricePrecision json.Number `json:"price_precision"`
	QtyPrecision   json.Number `json:"qty_precision"`
	CostPrecision  json.Number `json:"cost_precision"`
	PriceIncrement json.Number `json:"price_increment"`
	TickSize       json.Number `json:"tick_size"` // deprecated for price_increment
	QtyIncrement   json.Number `json:"qty_increment"`
	QtyMin         json.Number `json:"qty_min"`
	CostMin        json.Number `json:"cost_min"`
}

// v2Instrument decodes an instrument frame into one KindInstrument event listing the pairs
// (a snapshot lists all; an update only the changed ones). Numbers may be in exponent form
// ("1e-08") and are read exactly.
func (d *Decoder) v2Instrument(frame []byte, snapshot bool, recv time.Time, dst []feed.Event) ([]feed.Event, error) {
	var m v2InstrumentJSON
	if err := unmarshal(frame, &m); err != nil {
		return dst, err
	}
	in := &feed.Instrument{Snapshot: snapshot, Pairs: make([]feed.PairInfo, len(m.Data.Pairs))}
	for i := range m.Data.Pairs {
		if err := d.instrumentPair(&m.Data.Pairs[i], &in.Pairs[i]); err != nil {
			return dst, inField(err, "data.pairs", i)
		}
	}
	return append(dst, feed.Event{Kind: feed.KindInstrument, API: feed.APIV2, Recv: recv, Instrument: in}), nil
}

func (d *Decoder) instrumentPair(p *v2InstrumentPairJSON, o *feed.PairInfo) error {
	pair, ok := d.syms.pair(feed.APIV2, []byte(p.Symbol))
	if !ok {
		return &DecodeError{Reason: ReasonSymbol, Offset: -1, Path: "symbol", Msg: fmt.Sprintf("pair %q is not BASE/QUOTE", p.Symbol)}
	}
	o.Pair, o.WSName = pair, V2ToV1(pair)
	o.Base, o.Quote, o.Status = p.Base, p.Quote, feed.PairStatus(p.Status)
	for _, f := range []struct {
		n    json.Number
		name string
		dst  *int32
	}{
		{p.PricePrecision, "price_precision", &o.PriceDecimals},
		{p.QtyPrecision, "qty_precision", &o.LotDecimals},
		{p.CostPrecision, "cost_precision", &o.CostDecimals},
	} {
		v, err := optInt(f.n, f.name, feed.MaxScale)
		if err != nil {
			return err
		}
		*f.dst = int32(v)
	}
	tick := p.PriceIncrement
	if tick == "" {
		tick = p.TickSize
	}
	var err error
	if o.Tick, err = optDecimal(tick, "price_increment"); err != nil {
		return err
	}
	if o.LotStep, err = optDecimal(p.QtyIncrement, "qty_increment"); err != nil {
		return err
	}
	if o.OrderMin, err = optDecimal(p.QtyMin, "qty_min"); err != nil {
		return err
	}
	if o.CostMin, err = optDecimal(p.CostMin, "cost_min"); err != nil {
		return err
	}
	return nil
}
