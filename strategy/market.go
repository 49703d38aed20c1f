package strategy

import (
	"math"

	"github.com/shopspring/decimal"
)

// These helpers turn a wanted price or quantity (often computed from float64 indicators)
// into one the exchange accepts: on the price tick, on the lot step, above the minimums.
// Kraken rejects prices off the tick and quantities with more than lot_decimals decimals
// rather than rounding them, so strategies round before they submit.

// PriceStep returns the pair's price increment: Tick when known, else 10^-PriceDecimals.
func (m MarketInfo) PriceStep() decimal.Decimal {
	if m.Tick.Sign() > 0 {
		return m.Tick
	}
	return decimal.New(1, -m.PriceDecimals)
}

// QtyStep returns the pair's quantity increment: LotStep when known, else 10^-LotDecimals.
func (m MarketInfo) QtyStep() decimal.Decimal {
	if m.LotStep.Sign() > 0 {
		return m.LotStep
	}
	return decimal.New(1, -m.LotDecimals)
}

// FloorPrice returns the largest price on the tick that is <= p (for buy limits: never pay
// more than intended).
func (m MarketInfo) FloorPrice(p decimal.Decimal) decimal.Decimal {
	return floorTo(p, m.PriceStep())
}

// CeilPrice returns the smallest price on the tick that is >= p (for sell limits: never
// sell for less than intended).
func (m MarketInfo) CeilPrice(p decimal.Decimal) decimal.Decimal {
	step := m.PriceStep()
	f := floorTo(p, step)
	if f.Equal(p) {
		return f
	}
	return f.Add(step)
}

// RoundPrice returns the price on the tick nearest to p, halves rounded up.
func (m MarketInfo) RoundPrice(p decimal.Decimal) decimal.Decimal {
	step := m.PriceStep()
	return floorTo(p.Add(step.Div(decimal.NewFromInt(2))), step)
}

// FloorQty returns q truncated to the lot step, as Kraken's lot_decimals require.
func (m MarketInfo) FloorQty(q decimal.Decimal) decimal.Decimal {
	return floorTo(q, m.QtyStep())
}

// MinQty returns the smallest quantity on the lot step that meets both OrderMin (base) and
// CostMin (quote) at price. With a non-positive price only OrderMin is considered.
func (m MarketInfo) MinQty(price decimal.Decimal) decimal.Decimal {
	step := m.QtyStep()
	q := m.OrderMin
	if m.CostMin.Sign() > 0 && price.Sign() > 0 {
		byCost := m.CostMin.DivRound(price, m.LotDecimals+8)
		if byCost.GreaterThan(q) {
			q = byCost
		}
	}
	f := floorTo(q, step)
	if f.LessThan(q) {
		f = f.Add(step)
	}
	// DivRound may have rounded the cost quotient down onto a step boundary.
	if m.CostMin.Sign() > 0 && price.Sign() > 0 && f.Mul(price).LessThan(m.CostMin) {
		f = f.Add(step)
	}
	return f
}

// Tradable reports whether an order of qty at price meets the pair's minimums (OrderMin,
// CostMin) and lot step. Use it to skip orders that Kraken would reject as too small.
func (m MarketInfo) Tradable(qty, price decimal.Decimal) bool {
	if qty.Sign() <= 0 || !floorTo(qty, m.QtyStep()).Equal(qty) {
		return false
	}
	if qty.LessThan(m.OrderMin) {
		return false
	}
	return m.CostMin.Sign() <= 0 || price.Sign() <= 0 || qty.Mul(price).GreaterThanOrEqual(m.CostMin)
}

// Mid returns the middle of the best bid and ask when the book is known, else the last trade
// price; ok is false when neither is known.
func (m MarketInfo) Mid() (mid decimal.Decimal, ok bool) {
	if m.HasBook && m.Bid.Sign() > 0 && m.Ask.Sign() > 0 {
		return m.Bid.Add(m.Ask).Div(decimal.NewFromInt(2)), true
	}
	if m.HasLast {
		return m.Last, true
	}
	return decimal.Decimal{}, false
}

// FloatPrice converts a price computed in float64 (an indicator value) to a decimal, rounded
// to six decimals beyond the pair's price precision: enough to keep every tick, and it drops
// the float noise that would otherwise push 99.80000000000001 a whole tick up in CeilPrice.
// It returns zero for NaN and infinities, which no order should carry. Round the result
// with FloorPrice, CeilPrice or RoundPrice before submitting.
func (m MarketInfo) FloatPrice(x float64) decimal.Decimal {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return decimal.Zero
	}
	return decimal.NewFromFloat(x).Round(m.PriceDecimals + 6)
}

// floorTo returns the largest multiple of step that is <= x; x itself when step <= 0.
func floorTo(x, step decimal.Decimal) decimal.Decimal {
	if step.Sign() <= 0 {
		return x
	}
	q, r := x.QuoRem(step, 0) // exact: q integer, x = q*step + r, r has x's sign
	if r.Sign() < 0 {
		q = q.Sub(decimal.NewFromInt(1))
	}
	return q.Mul(step)
}
