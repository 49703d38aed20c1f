package strategy

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// CheckOptions tunes CheckOrder.
type CheckOptions struct {
	// StrictLot rejects quantities with more decimals than the pair's lot step
	// ("EGeneral:Invalid arguments:volume") instead of truncating them to it.
	StrictLot bool
}

// pctDecimals is the most decimals a trailing percentage offset may have (it must also be below 100).
const pctDecimals = 6

// CheckOrder is papertrade's one order validator: the simulator (engine/sim) and
// strategytest's fake Context both call it, so a strategy sees the same rejections in its unit
// tests as in a backtest. It checks o against the pair's rules and the market as m describes
// it (m.Pair empty means an unknown pair) at event time now, the way Kraken's AddOrder does,
// and returns the order normalised: quantity truncated to the lot step, prices at exactly
// the pair's decimals, relative prices (PriceSpec, Price2Spec) resolved against m.Last into
// Price and Price2 (and the specs cleared), unused prices zeroed. A rejection is a *KrakenError with Kraken's text.
//
// Checks, in order: pair known ("EQuery:Unknown asset pair"); side, type, time in force,
// start and expire times, flags (post-only only on a non-IOC limit, not both fee flags, a
// known self-trade rule, a known offset kind; "EGeneral:Invalid arguments"); margin (a
// leverage the pair offers on the side, "EGeneral:Invalid arguments:leverage"; reduce-only
// and settle-position only with leverage; no viqc margin order; a settle-position order is
// complete after this check); a quote-sized
// market buy (QuoteQty: positive, at least costmin); quantity positive
// ("EGeneral:Invalid arguments:volume"), truncated to the lot step (or refused with
// opt.StrictLot), at least ordermin ("EGeneral:Invalid arguments:volume minimum not met");
// price forms and prices: positive ("EGeneral:Invalid arguments:price"), within
// pair_decimals ("EOrder:Invalid price:<pair> price can only be specified up to N
// decimals."), on the tick ("EOrder:Tick size check failed"); trailing offsets (a quote
// amount within pair_decimals, or a percentage below 100 with at most 6 decimals); the
// conditional close (any type but market, its prices checked the same way); cost at least
// costmin ("EOrder:Cost minimum not met", market-priced orders valued at the market); a
// market-priced buy needs a price to value it ("EService:Unavailable:no price known for
// <pair>"); and last the market status (StatusError).
//
// Funds are not checked here: each account reserves by its own rule after validation.
// Post-only is not checked here either: whether it would take is decided when the order
// reaches the exchange (see ReasonPostOnly).
func CheckOrder(o Order, m MarketInfo, now time.Time, opt CheckOptions) (Order, error) {
	if m.Pair == "" || (o.Pair != "" && o.Pair != m.Pair) {
		return o, ErrUnknownAssetPair
	}
	if o.Side != feed.Buy && o.Side != feed.Sell {
		return o, ErrInvalidArguments
	}
	if o.Type < Market || o.Type > SettlePosition {
		return o, ErrInvalidArguments
	}
	if !o.StartTime.IsZero() && !o.StartTime.After(now) {
		o.StartTime = time.Time{} // already reached: starts now
	}
	switch o.TimeInForce {
	case GTC, IOC:
	case GTD:
		if !o.ExpireTime.After(now) || (!o.StartTime.IsZero() && !o.ExpireTime.After(o.StartTime)) {
			return o, ErrInvalidArguments
		}
	default:
		return o, ErrInvalidArguments
	}
	if o.PostOnly && (o.Type != Limit || o.TimeInForce == IOC) {
		return o, ErrInvalidArguments
	}
	if o.Offset != OffsetQuote && o.Offset != OffsetPercent {
		return o, ErrInvalidArguments
	}
	if o.FeeInBase && o.FeeInQuote {
		return o, ErrInvalidArguments
	}
	if o.STP > STPCancelBoth {
		return o, ErrInvalidArguments
	}
	if err := checkMargin(&o, &m); err != nil || o.Type == SettlePosition {
		if err == nil {
			err = StatusError(&o, m)
		}
		return o, err
	}

	r := rules{m: &m}
	if !o.QuoteQty.IsZero() {
		// viqc: a market buy sized in quote.
		if o.Type != Market || o.Side != feed.Buy || !o.Qty.IsZero() || o.Close != nil {
			return o, ErrInvalidArguments
		}
		if o.QuoteQty.Sign() < 0 {
			return o, ErrInvalidVolume
		}
		if o.PriceSpec != "" || o.Price2Spec != "" {
			return o, ErrInvalidArguments
		}
		o.Price, o.Price2 = decimal.Decimal{}, decimal.Decimal{}
		if m.CostMin.Sign() > 0 && o.QuoteQty.Cmp(m.CostMin) < 0 {
			return o, ErrCostMinimum
		}
		if _, ok := r.marketRef(feed.Buy); !ok {
			return o, r.noPrice()
		}
		return o, StatusError(&o, m)
	}

	if o.Qty.Sign() <= 0 {
		return o, ErrInvalidVolume
	}
	q := r.truncLot(o.Qty)
	if opt.StrictLot && !q.Equal(o.Qty) {
		return o, ErrInvalidVolume
	}
	o.Qty = q
	if q.Sign() <= 0 || q.Cmp(m.OrderMin) < 0 {
		return o, ErrOrderMinimum
	}

	if err := r.resolveSpecs(&o); err != nil {
		return o, err
	}
	var err error
	switch o.Type {
	case Market:
		o.Price, o.Price2 = decimal.Decimal{}, decimal.Decimal{}
	case Limit, StopLoss, TakeProfit:
		o.Price2 = decimal.Decimal{}
		err = r.checkPrice(&o.Price)
	case StopLossLimit, TakeProfitLimit:
		if err = r.checkPrice(&o.Price); err == nil {
			err = r.checkPrice(&o.Price2)
		}
	case TrailingStop:
		o.Price2 = decimal.Decimal{}
		err = r.checkOffset(&o.Price, o.Offset, false)
	case TrailingStopLimit:
		if err = r.checkOffset(&o.Price, o.Offset, false); err == nil {
			err = r.checkOffset(&o.Price2, o.Offset, true)
		}
	}
	if err != nil {
		return o, err
	}

	if o.Close != nil {
		c := *o.Close
		switch c.Type {
		case Limit, StopLoss, TakeProfit:
			c.Price2 = decimal.Decimal{}
			err = r.checkPrice(&c.Price)
		case StopLossLimit, TakeProfitLimit:
			if err = r.checkPrice(&c.Price); err == nil {
				err = r.checkPrice(&c.Price2)
			}
		case TrailingStop, TrailingStopLimit:
			if c.Offset != OffsetQuote && c.Offset != OffsetPercent {
				return o, ErrInvalidArguments
			}
			if c.Type == TrailingStop {
				c.Price2 = decimal.Decimal{}
			}
			if err = r.checkOffset(&c.Price, c.Offset, false); err == nil && c.Type == TrailingStopLimit {
				err = r.checkOffset(&c.Price2, c.Offset, true)
			}
		default:
			return o, ErrInvalidArguments
		}
		if err != nil {
			return o, err
		}
		o.Close = &c
	}

	if m.CostMin.Sign() > 0 {
		if ref, ok := r.costRef(&o); ok && ref.Mul(o.Qty).Cmp(m.CostMin) < 0 {
			return o, ErrCostMinimum
		}
	}
	if o.Side == feed.Buy && (o.Type == Market || o.Type == TrailingStop || o.Type == TrailingStopLimit) {
		if _, ok := r.marketRef(feed.Buy); !ok {
			return o, r.noPrice()
		}
	}
	return o, StatusError(&o, m)
}

// checkMargin applies Kraken's margin rules to an order: a leverage the pair offers on the
// order's side (AssetPairs leverage_buy / leverage_sell), reduce_only and settle-position only
// with leverage, no quote-sized margin orders (Kraken's AddOrder documents viqc as "not
// available for leveraged orders"). A margin order's fees are in quote: its fee flags are
// cleared. A settle-position order is normalised here: its quantity truncated to the lot
// (zero: the whole position), no prices, no close, good till cancelled.
func checkMargin(o *Order, m *MarketInfo) error {
	if o.Leverage < 0 || (o.Leverage == 0 && (o.ReduceOnly || o.Type == SettlePosition)) {
		return ErrInvalidArguments
	}
	if o.Leverage == 0 {
		return nil
	}
	if !m.Marginable(o.Side, o.Leverage) {
		return ErrLeverage
	}
	if !o.QuoteQty.IsZero() {
		return ErrInvalidArguments
	}
	o.FeeInBase, o.FeeInQuote = false, false
	if o.Type != SettlePosition {
		return nil
	}
	if o.Qty.Sign() < 0 {
		return ErrInvalidVolume
	}
	if o.PostOnly || o.TimeInForce != GTC || o.Close != nil || o.PriceSpec != "" || o.Price2Spec != "" {
		return ErrInvalidArguments
	}
	r := rules{m: m}
	o.Qty = r.truncLot(o.Qty)
	o.Price, o.Price2 = decimal.Decimal{}, decimal.Decimal{}
	return nil
}

// StatusError is the rejection, if any, of a new or amended order under the market status m
// reports (Kraken's SystemStatus and pair status rules): maintenance (system, or a pair in
// maintenance, work in progress or delisted) refuses everything ("EService:Unavailable");
// cancel_only refuses orders ("EService:Market in cancel_only mode"); post_only accepts only
// post-only limit orders ("... post_only mode"); a limit_only pair refuses market-priced
// orders ("... limit_only mode").
func StatusError(o *Order, m MarketInfo) error {
	sys := m.System
	switch {
	case sys == feed.SystemMaintenance || m.Status == feed.PairMaintenance || m.Status == feed.PairWIP || m.Status == feed.PairDelisted:
		return ErrUnavailable
	case sys == feed.SystemCancelOnly || m.Status == feed.PairCancelOnly:
		return ErrCancelOnly
	case (sys == feed.SystemPostOnly || m.Status == feed.PairPostOnly) && !(o.Type == Limit && o.PostOnly):
		return ErrPostOnlyMode
	case m.Status == feed.PairLimitOnly && MarketPriced(o.Type):
		return ErrLimitOnlyMode
	}
	return nil
}

// MarketPriced reports whether an order type executes at market (refused in limit_only).
func MarketPriced(t OrderType) bool {
	return t == Market || t == StopLoss || t == TakeProfit || t == TrailingStop
}

// Trigger reports whether an order type waits for a trigger (stops, take-profits, trailing).
func Trigger(t OrderType) bool {
	return t != Market && t != Limit && t != SettlePosition
}

// rules wraps the pair's rules with the arithmetic CheckOrder needs.
type rules struct{ m *MarketInfo }

func (r rules) noPrice() error {
	return &KrakenError{Code: ErrUnavailable.Code, Detail: "no price known for " + string(r.m.Pair)}
}

// truncLot truncates q down to the quantity step, at exactly lot_decimals.
func (r rules) truncLot(q decimal.Decimal) decimal.Decimal {
	lot := r.m.LotDecimals
	t := q.Truncate(lot)
	if step := r.m.QtyStep(); !step.Equal(decimal.New(1, -lot)) {
		t = floorTo(q, step).Truncate(lot)
	}
	if t.Exponent() != -lot {
		t = t.Round(lot) // same value, canonical exponent
	}
	return t
}

// tick is the price step prices must be a multiple of: the pair's tick when it lies on the
// pair_decimals grid, else one unit of pair_decimals.
func (r rules) tick() decimal.Decimal {
	unit := decimal.New(1, -r.m.PriceDecimals)
	if t := r.m.Tick; t.Sign() > 0 && t.Truncate(r.m.PriceDecimals).Equal(t) {
		return t
	}
	return unit
}

// fits reports whether p, at pair_decimals, is a price the exchange can represent (an int64
// count of units).
func (r rules) fits(p decimal.Decimal) bool {
	return p.Abs().Cmp(decimal.New(math.MaxInt64, -r.m.PriceDecimals)) <= 0
}

func (r rules) tooManyDecimals() error {
	return &KrakenError{Code: ErrInvalidPrice.Code,
		Detail: fmt.Sprintf("%s price can only be specified up to %d decimals.", r.m.Pair, r.m.PriceDecimals)}
}

// checkPrice validates a price and sets it to exactly the pair's decimals.
func (r rules) checkPrice(p *decimal.Decimal) error {
	if p.Sign() <= 0 || !r.fits(*p) {
		return ErrInvalidArgumentsPrice
	}
	pd := r.m.PriceDecimals
	if !p.Truncate(pd).Equal(*p) {
		return r.tooManyDecimals()
	}
	if _, rem := p.QuoRem(r.tick(), 0); !rem.IsZero() {
		return ErrTickSize
	}
	*p = p.Round(pd)
	return nil
}

// checkOffset validates a trailing offset: a quote amount within the pair's decimals, or a
// percentage below 100 with at most 6 decimals. The limit offset of a trailing-stop-limit
// (limit=true) may be zero or negative (the limit on the other side of the trigger).
func (r rules) checkOffset(p *decimal.Decimal, kind OffsetKind, limit bool) error {
	if (p.Sign() < 0 && !limit) || (p.Sign() == 0 && !limit) {
		return ErrInvalidArgumentsPrice
	}
	if kind == OffsetPercent {
		if !p.Truncate(pctDecimals).Equal(*p) || p.Abs().Cmp(decimal.New(100, 0)) >= 0 {
			return ErrInvalidArgumentsPrice
		}
		*p = p.Round(pctDecimals)
		return nil
	}
	if !r.fits(*p) {
		return ErrInvalidArgumentsPrice
	}
	if !p.Truncate(r.m.PriceDecimals).Equal(*p) {
		return r.tooManyDecimals()
	}
	*p = p.Round(r.m.PriceDecimals)
	return nil
}

// marketRef is the price a market order on side would trade near now: the best opposite
// quote when a book (or ticker) is known, else the last trade.
func (r rules) marketRef(side feed.Side) (decimal.Decimal, bool) {
	m := r.m
	if m.HasBook {
		if side == feed.Buy && m.Ask.Sign() > 0 {
			return m.Ask, true
		}
		if side == feed.Sell && m.Bid.Sign() > 0 {
			return m.Bid, true
		}
	}
	if m.HasLast && m.Last.Sign() > 0 {
		return m.Last, true
	}
	return decimal.Decimal{}, false
}

// costRef is the price costmin is checked at: the limit price for limit types, the trigger
// for stops, the market for market and trailing orders. ok is false when none is known.
func (r rules) costRef(o *Order) (decimal.Decimal, bool) {
	switch o.Type {
	case Limit, StopLoss, TakeProfit:
		return o.Price, true
	case StopLossLimit, TakeProfitLimit:
		return o.Price2, true
	}
	return r.marketRef(o.Side)
}

// ---- relative prices --------------------------------------------------------------------

// PriceForm is a parsed Kraken price string: an absolute price, or an amount relative to a
// reference price.
type PriceForm struct {
	Prefix  byte            // 0 (absolute), '+', '-' or '#'
	Amount  decimal.Decimal // the number, never negative
	Percent bool            // "%" suffix: Amount is a percentage of the reference
}

// ParsePriceForm parses Kraken's price string: [+|-|#]number[%]. A "%" needs a prefix.
func ParsePriceForm(s string) (PriceForm, error) {
	var f PriceForm
	if s == "" {
		return f, ErrInvalidArgumentsPrice
	}
	switch s[0] {
	case '+', '-', '#':
		f.Prefix, s = s[0], s[1:]
	}
	if strings.HasSuffix(s, "%") {
		if f.Prefix == 0 {
			return f, ErrInvalidArgumentsPrice
		}
		f.Percent, s = true, s[:len(s)-1]
	}
	// Digits and one point only: no exponents, signs, spaces or words.
	if s == "" || len(s) > 32 || strings.Count(s, ".") > 1 || strings.Trim(s, "0123456789.") != "" || s == "." {
		return f, ErrInvalidArgumentsPrice
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return f, ErrInvalidArgumentsPrice
	}
	f.Amount = d
	return f, nil
}

// hashDown reports whether '#' subtracts for an order of this side and type: the direction
// that does not execute at once.
func hashDown(side feed.Side, t OrderType) bool {
	switch t {
	case StopLoss, StopLossLimit:
		return side == feed.Sell
	}
	return side == feed.Buy // limit, take-profit, take-profit-limit
}

// resolve returns the price the form gives against ref for an order of side and type:
// absolute forms give their amount; relative ones ref ± amount (or ± amount% of ref),
// rounded to the nearest tick, halves away from ref.
func (f PriceForm) resolve(ref decimal.Decimal, side feed.Side, t OrderType, tick decimal.Decimal) decimal.Decimal {
	if f.Prefix == 0 {
		return f.Amount
	}
	off := f.Amount
	if f.Percent {
		off = ref.Mul(off).Shift(-2)
	}
	down := f.Prefix == '-' || (f.Prefix == '#' && hashDown(side, t))
	p := ref.Add(off)
	if down {
		p = ref.Sub(off)
	}
	// Nearest tick; a half tick goes away from the reference (the less aggressive side).
	q, rem := p.QuoRem(tick, 0)
	if rem.Sign() != 0 {
		twice := rem.Abs().Mul(decimal.NewFromInt(2))
		up := twice.Cmp(tick) > 0 || (twice.Cmp(tick) == 0 && !down)
		if up {
			q = q.Add(decimal.NewFromInt(int64(rem.Sign())))
		}
	}
	return q.Mul(tick)
}

// resolveSpecs turns PriceSpec and Price2Spec into Price and Price2.
func (r rules) resolveSpecs(o *Order) error {
	if o.PriceSpec == "" && o.Price2Spec == "" {
		return nil
	}
	err := r.resolve(o)
	o.PriceSpec, o.Price2Spec = "", ""
	return err
}

func (r rules) resolve(o *Order) error {
	_, want2 := priceFields(o.Type)
	if o.Type == Market || (o.Price2Spec != "" && !want2) {
		return ErrInvalidArguments
	}
	trailing := o.Type == TrailingStop || o.Type == TrailingStopLimit
	if trailing {
		kind, set := o.Offset, false
		if o.PriceSpec != "" {
			f, err := ParsePriceForm(o.PriceSpec)
			if err != nil || f.Prefix != '+' {
				return ErrInvalidArgumentsPrice
			}
			o.Price, kind, set = f.Amount, offsetKind(f.Percent), true
		}
		if o.Price2Spec != "" {
			f, err := ParsePriceForm(o.Price2Spec)
			if err != nil || (f.Prefix != '+' && f.Prefix != '-') {
				return ErrInvalidArgumentsPrice
			}
			if set && offsetKind(f.Percent) != kind {
				return ErrInvalidArguments // one Offset kind for both offsets
			}
			kind = offsetKind(f.Percent)
			// Price2 is measured away from the trigger toward a fill (down for a sell):
			// Kraken's "+" is up whatever the side.
			v := f.Amount
			if (f.Prefix == '+') == (o.Side == feed.Sell) {
				v = v.Neg()
			}
			o.Price2 = v
		}
		o.Offset = kind
		return nil
	}
	var ref decimal.Decimal
	needRef := false
	forms := [2]PriceForm{}
	for i, s := range [2]string{o.PriceSpec, o.Price2Spec} {
		if s == "" {
			continue
		}
		f, err := ParsePriceForm(s)
		if err != nil {
			return err
		}
		forms[i] = f
		needRef = needRef || f.Prefix != 0
	}
	if needRef {
		if !r.m.HasLast || r.m.Last.Sign() <= 0 {
			return r.noPrice()
		}
		ref = r.m.Last
	}
	tick := r.tick()
	if o.PriceSpec != "" {
		o.Price = forms[0].resolve(ref, o.Side, o.Type, tick)
	}
	if o.Price2Spec != "" {
		o.Price2 = forms[1].resolve(ref, o.Side, o.Type, tick)
	}
	return nil
}

func offsetKind(pct bool) OffsetKind {
	if pct {
		return OffsetPercent
	}
	return OffsetQuote
}

// priceFields reports which of Price and Price2 an order type uses.
func priceFields(t OrderType) (price, price2 bool) {
	switch t {
	case Market:
		return false, false
	case StopLossLimit, TakeProfitLimit, TrailingStopLimit:
		return true, true
	}
	return true, false
}
