package report

import (
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/strategy"
)

// The CSV files' headers. Each is a stable format (see the README): columns are only ever
// added at the end.
var (
	FillsHeader  = []string{"strategy", "order_id", "time", "pair", "side", "price", "qty", "fee", "fee_asset", "liquidity", "model", "provenance"}
	OrdersHeader = []string{"strategy", "order_id", "pair", "side", "type", "qty", "price", "price2", "time_in_force", "post_only", "userref", "created", "updated", "status", "filled", "avg_price", "fee", "reason"}
	EquityHeader = []string{"strategy", "time", "equity"}
)

// Time formats event times in the CSV files: RFC 3339 in UTC with nanoseconds when needed.
func Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}

func dec(d decimal.Decimal) string {
	if d.Sign() == 0 && d.Exponent() == 0 {
		return "0"
	}
	return d.String()
}

// FillRow is one fills.csv row. model is the fill model the instance ran under; the
// provenance column is the simulator's evidence (Provenance: its rule, then trade ids,
// book levels walked, the queue ahead and a note).
func FillRow(instance, model string, f *strategy.Fill) []string {
	return []string{
		instance, string(f.OrderID), Time(f.Time), string(f.Pair), f.Side.String(),
		dec(f.Price), dec(f.Qty), dec(f.Fee), f.FeeAsset, f.Liquidity.String(), model,
		ProvenanceText(&f.Provenance),
	}
}

// ProvenanceText formats a fill's provenance as "rule key=value ...":
// "default trades=1234 queue=0.5", "book levels=60000.1x0.2+60000.2x0.05",
// "next-trade trades=99 note=slippage 2bp".
func ProvenanceText(p *strategy.Provenance) string {
	var b strings.Builder
	b.WriteString(p.Model)
	if len(p.TradeIDs) > 0 {
		b.WriteString(" trades=")
		for i, id := range p.TradeIDs {
			if i > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strconv.FormatUint(id, 10))
		}
	}
	if len(p.Levels) > 0 {
		b.WriteString(" levels=")
		for i, l := range p.Levels {
			if i > 0 {
				b.WriteByte('+')
			}
			b.WriteString(l.Price.String())
			b.WriteByte('x')
			b.WriteString(l.Qty.String())
		}
	}
	if p.QueueAhead.Sign() != 0 {
		b.WriteString(" queue=")
		b.WriteString(p.QueueAhead.String())
	}
	if p.Note != "" {
		b.WriteString(" note=")
		b.WriteString(p.Note)
	}
	return b.String()
}

// OrderRow is one orders.csv row: the order's request, when it was first and last seen, and
// its final (or, at the end of the run, current) state. A rejection has no order id and
// Kraken's error text as its reason.
func OrderRow(instance string, created time.Time, u *strategy.OrderUpdate) []string {
	o := &u.Order
	price, price2 := "", ""
	if o.Price.Sign() != 0 {
		price = o.Price.String()
	}
	if o.Price2.Sign() != 0 {
		price2 = o.Price2.String()
	}
	if o.Offset == strategy.OffsetPercent && price != "" {
		price += "%"
	}
	avg := ""
	if u.Filled.Sign() != 0 {
		avg = u.AvgPrice.String()
	}
	if created.IsZero() {
		created = u.Time
	}
	return []string{
		instance, string(o.ID), string(o.Pair), o.Side.String(), o.Type.String(), dec(o.Qty),
		price, price2, o.TimeInForce.String(), strconv.FormatBool(o.PostOnly),
		strconv.FormatInt(int64(o.UserRef), 10), Time(created), Time(u.Time), u.Status.String(),
		dec(u.Filled), avg, dec(u.Fee), u.Reason,
	}
}

// EquityRow is one equity.csv row.
func EquityRow(instance string, t time.Time, equity decimal.Decimal) []string {
	return []string{instance, Time(t), dec(equity)}
}
