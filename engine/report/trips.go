package report

import (
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Trip is one round trip on one pair: the position (net of the account's fills on the pair
// since the start; deposited inventory does not count) leaves zero and comes back to it. A
// fill that crosses zero closes the trip with the part that reaches zero and opens the next
// with the rest, its fee split pro rata.
type Trip struct {
	Pair  feed.Pair
	Side  feed.Side // Buy: a long trip (bought first); Sell: a short one (sold inventory first)
	Open  time.Time
	Close time.Time
	Qty   decimal.Decimal // base bought (long) or sold (short) to open it
	// PnL is in the pair's quote currency: sell proceeds − buy costs − fees.
	PnL   decimal.Decimal
	Fees  decimal.Decimal
	Fills int
}

// tripBook follows one pair's position and builds its trips.
type tripBook struct {
	pair feed.Pair
	pos  decimal.Decimal // net base traded since the start
	cur  Trip
	open bool
}

// add books a fill and returns the trip it closed, if any (at most one: a crossing fill
// closes one trip and opens the next).
func (b *tripBook) add(f *strategy.Fill) (Trip, bool) {
	q, fee := f.Qty, f.Fee
	if f.FeeAsset != "" && f.FeeAsset == f.Pair.Base() {
		fee = fee.Mul(f.Price) // a fee charged in base (Kraken's fcib), in quote at the fill price
	}
	if q.Sign() <= 0 {
		return Trip{}, false
	}
	dir := 1
	if f.Side == feed.Sell {
		dir = -1
	}
	var closed Trip
	done := false
	if b.open && b.pos.Sign() == -dir && q.GreaterThanOrEqual(b.pos.Abs()) {
		c := b.pos.Abs() // the part that brings the position back to zero
		part := fee
		if !c.Equal(q) {
			part = fee.Mul(c).DivRound(q, 16)
		}
		b.book(f, c, part)
		b.pos = decimal.Zero // exact, whatever the representation of the sum
		b.cur.Close = f.Time
		closed, done = b.cur, true
		b.open = false
		q, fee = q.Sub(c), fee.Sub(part)
		if q.Sign() == 0 {
			return closed, done
		}
	}
	if !b.open {
		b.cur = Trip{Pair: b.pair, Side: f.Side, Open: f.Time}
		b.open = true
	}
	b.book(f, q, fee)
	return closed, done
}

// book adds qty of f (with its share of the fee) to the current trip.
func (b *tripBook) book(f *strategy.Fill, qty, fee decimal.Decimal) {
	cost := f.Price.Mul(qty)
	if f.Side == feed.Buy {
		b.pos = b.pos.Add(qty)
		b.cur.PnL = b.cur.PnL.Sub(cost)
	} else {
		b.pos = b.pos.Sub(qty)
		b.cur.PnL = b.cur.PnL.Add(cost)
	}
	if f.Side == b.cur.Side {
		b.cur.Qty = b.cur.Qty.Add(qty)
	}
	b.cur.PnL = b.cur.PnL.Sub(fee)
	b.cur.Fees = b.cur.Fees.Add(fee)
	b.cur.Fills++
}
