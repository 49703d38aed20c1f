package strategy

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// OrderType is one of Kraken's spot order types.
type OrderType uint8

const (
	Market OrderType = iota + 1
	Limit
	StopLoss          // market order when the last trade reaches Price
	TakeProfit        // market order when the last trade reaches Price (the favourable side)
	StopLossLimit     // limit order at Price2 when the last trade reaches Price
	TakeProfitLimit   // limit order at Price2 when the last trade reaches Price
	TrailingStop      // market order when the last trade retraces Price (the offset) from its best
	TrailingStopLimit // limit order, offset Price2 from the trigger, when the trailing trigger fires
	// SettlePosition is Kraken's settle-position: it closes (part of) a margin position
	// without a trade, by paying back what Kraken lent from the account's balance. It needs
	// Leverage; its side is the one that closes the position (buy settles a short); Qty zero
	// settles the whole position.
	SettlePosition
)

var orderTypeNames = [...]string{"", "market", "limit", "stop-loss", "take-profit", "stop-loss-limit", "take-profit-limit", "trailing-stop", "trailing-stop-limit", "settle-position"}

// String returns Kraken's name for the type ("stop-loss-limit").
func (t OrderType) String() string {
	if int(t) < len(orderTypeNames) && t != 0 {
		return orderTypeNames[t]
	}
	return fmt.Sprintf("ordertype(%d)", uint8(t))
}

// ParseOrderType accepts Kraken's names.
func ParseOrderType(s string) (OrderType, error) {
	for i, n := range orderTypeNames {
		if i > 0 && n == s {
			return OrderType(i), nil
		}
	}
	return 0, fmt.Errorf("strategy: unknown order type %q", s)
}

// TimeInForce says how long an order may rest.
type TimeInForce uint8

const (
	GTC TimeInForce = iota // good till cancelled (default)
	IOC                    // immediate or cancel: whatever does not fill on arrival is cancelled
	GTD                    // good till Order.ExpireTime
)

// String returns "GTC", "IOC" or "GTD".
func (t TimeInForce) String() string {
	switch t {
	case IOC:
		return "IOC"
	case GTD:
		return "GTD"
	}
	return "GTC"
}

// OffsetKind says how a trailing order's offset is expressed.
type OffsetKind uint8

const (
	OffsetQuote   OffsetKind = iota // an amount in quote currency (Kraken "+100")
	OffsetPercent                   // a percentage of the price (Kraken "+2%")
)

// OrderID identifies an order within one simulated account, in Kraken's format
// (e.g. "OQCLML-BW3P3-BUCMWZ").
type OrderID string

// Order is an order request and, once accepted, the order itself. Prices are quote per base,
// Qty is base. Which price fields matter depends on Type:
//
//	market                  Price, Price2 unused
//	limit                   Price = limit price
//	stop-loss, take-profit  Price = trigger price
//	*-limit                 Price = trigger price, Price2 = limit price
//	trailing-stop           Price = trailing offset (see Offset)
//	trailing-stop-limit     Price = trailing offset, Price2 = limit offset from the trigger
//
// The trailing-stop-limit's limit offset Price2 is measured away from the trigger in the
// direction that makes the limit easier to fill (below the trigger for a sell, above for a
// buy); a negative Price2 puts the limit on the other side. Price2Spec takes Kraken's signed
// form instead ("+50": limit = trigger + 50, "-1%": limit = trigger − 1%), whatever the side.
//
// Every order is checked by CheckOrder (the same function in the simulator and in
// strategytest's fake Context) and rejected with Kraken's error text when it breaks a rule.
type Order struct {
	ID          OrderID // set by the exchange; ignored on submit
	Pair        feed.Pair
	Side        feed.Side
	Type        OrderType
	Qty         decimal.Decimal
	Price       decimal.Decimal
	Price2      decimal.Decimal
	Offset      OffsetKind // for trailing types
	TimeInForce TimeInForce
	ExpireTime  time.Time // GTD only; event time
	PostOnly    bool      // limit orders only (not IOC); see below
	UserRef     int32     // free for the strategy; echoed on updates and fills

	// PriceSpec and Price2Spec are Kraken's string form of price and price2. When set they
	// replace Price and Price2 (whatever those hold); the accepted order has them resolved
	// into Price and Price2 and the specs cleared. A plain number is an absolute price. A
	// relative price is a prefix and an amount, with an optional "%" suffix for a percentage:
	// "+" adds it to the reference price, "-" subtracts it, and "#" picks the direction by side
	// and type as Kraken documents — the direction that does not execute at once: below the
	// market for a buy limit, buy take-profit and sell stop-loss, above it for a sell limit,
	// sell take-profit and buy stop-loss. The reference is the last trade price on the pair
	// when the order reaches the exchange (after the latency, or at StartTime); the resolved
	// price is rounded to the nearest tick (halves away from the reference), and Price/Price2
	// of the accepted order show it. At submission the last trade known then is used for the
	// checks (minimums, funds); with no trade seen yet the order is refused
	// ("EService:Unavailable"). For trailing types Price is always an offset and PriceSpec must
	// be "+N" or "+N%"; a trailing-stop-limit's Price2Spec must be "+N" or "-N" (optionally
	// with "%", of the trigger price), the limit offset in both directions. A malformed form is
	// refused with "EGeneral:Invalid arguments:price".
	PriceSpec, Price2Spec string

	// StartTime is Kraken's starttm: the order reaches the exchange no earlier than this event
	// time (it waits as pending until then, and can be cancelled meanwhile). Zero, or a time
	// already reached, means now. A GTD order's ExpireTime must be after its StartTime.
	StartTime time.Time

	// FeeInBase is Kraken's fcib flag: fees are charged in the base asset (a buy receives its
	// quantity minus the fee, a sell delivers its quantity plus the fee). FeeInQuote is fciq,
	// which is also the default when neither is set. Both at once are refused
	// ("EGeneral:Invalid arguments").
	FeeInBase, FeeInQuote bool

	// QuoteQty is Kraken's viqc (v2 cash_order_qty): a market buy sized in quote currency
	// instead of Qty (which must then be zero). Only market buys may use it; it must be
	// positive and at least the pair's costmin.
	QuoteQty decimal.Decimal

	// Close is Kraken's conditional close: an order placed for the filled quantity, on the
	// opposite side, when this order fills. Its type may be any but market.
	Close *CloseOrder
	// NoMPP turns off Kraken's market price protection for this order (oflags "nompp", v2
	// no_mpp). With it on (the default), a market-priced order (market, stop-loss, take-profit,
	// trailing-stop) does not fill further than the simulator's protection threshold from the
	// price it found on arrival; the rest is cancelled.
	NoMPP bool
	// STP is the self-trade prevention rule (Kraken's stptype): what happens when this order,
	// taking liquidity, would trade against a resting order of the same account.
	STP SelfTradePrevention

	// Leverage is Kraken's leverage (REST AddOrder "leverage", v2 add_order "leverage"):
	// zero for a spot order; otherwise the order trades on margin and must name one of the
	// pair's levels for its side (PairInfo.LeverageBuy for a buy, LeverageSell for a sell),
	// else it is refused with "EGeneral:Invalid arguments:leverage". A margin order opens or
	// adds to a margin position on its side; an order against an open position closes it
	// first and opens the rest on its own side (as on Kraken, unless ReduceOnly). Margin
	// orders are checked against the account's free margin, not its balances, and may not be
	// quote-sized (QuoteQty); their fees are charged in quote (FeeInBase is ignored).
	Leverage int
	// ReduceOnly is Kraken's reduce_only: the order may only reduce the margin position it is
	// against. Refused with "EOrder:Reduce only:No position exists" when there is none (for
	// stops, when they trigger); the part beyond the position is cancelled with "EOrder:Reduce
	// only:Position is closed". It needs Leverage.
	ReduceOnly bool
}

// SelfTradePrevention is Kraken's stptype.
type SelfTradePrevention uint8

const (
	STPCancelNewest SelfTradePrevention = iota // the incoming (taking) order is cancelled; Kraken's default
	STPCancelOldest                            // the resting order is cancelled and the taker goes on
	STPCancelBoth                              // both are cancelled
)

var stpNames = [...]string{"cancel-newest", "cancel-oldest", "cancel-both"}

// String returns Kraken's name ("cancel-newest").
func (s SelfTradePrevention) String() string {
	if int(s) < len(stpNames) {
		return stpNames[s]
	}
	return fmt.Sprintf("stptype(%d)", uint8(s))
}

// PostOnly: a post-only limit order that would take liquidity when it reaches the exchange is
// accepted and then cancelled, as Kraken does: an OrderUpdate with StatusCanceled and Reason
// "Post only order" (ReasonPostOnly), not a rejection of Submit.
const ReasonPostOnly = "Post only order"

// CloseOrder is the conditional close attached to an order. Prices mean what they mean on an
// Order of the close's type; Offset applies to trailing close types.
type CloseOrder struct {
	Type   OrderType
	Price  decimal.Decimal
	Price2 decimal.Decimal
	Offset OffsetKind
}

// OrderStatus is an order's lifecycle state, in Kraken's words.
type OrderStatus uint8

const (
	StatusPending  OrderStatus = iota + 1 // submitted, not yet live (latency)
	StatusOpen                            // live on the simulated book (or waiting for its trigger)
	StatusClosed                          // completely filled
	StatusCanceled                        // cancelled by the strategy, by IOC, or by the exchange
	StatusExpired                         // GTD reached its expire time
	StatusRejected                        // refused; OrderUpdate.Reason has Kraken's error text
)

var orderStatusNames = [...]string{"", "pending", "open", "closed", "canceled", "expired", "rejected"}

// String returns Kraken's name for the status.
func (s OrderStatus) String() string {
	if int(s) < len(orderStatusNames) && s != 0 {
		return orderStatusNames[s]
	}
	return fmt.Sprintf("status(%d)", uint8(s))
}

// Done reports whether the status is final.
func (s OrderStatus) Done() bool { return s >= StatusClosed }

// OrderUpdate reports a change in an order's state.
type OrderUpdate struct {
	Order    Order
	Status   OrderStatus
	Filled   decimal.Decimal // base filled so far
	AvgPrice decimal.Decimal // volume-weighted fill price so far
	Fee      decimal.Decimal // fees so far, in FeeAsset
	Reason   string          // Kraken's error or cancel reason text, when any
	Time     time.Time       // event time of the change
}

// Liquidity says whether a fill added liquidity (maker) or took it (taker).
type Liquidity uint8

const (
	Maker Liquidity = iota + 1
	Taker
)

// String returns "maker" or "taker".
func (l Liquidity) String() string {
	if l == Maker {
		return "maker"
	}
	if l == Taker {
		return "taker"
	}
	return ""
}

// Fill is one execution of a simulated order.
type Fill struct {
	OrderID   OrderID
	UserRef   int32
	Pair      feed.Pair
	Side      feed.Side
	Price     decimal.Decimal
	Qty       decimal.Decimal
	Fee       decimal.Decimal
	FeeAsset  string
	Liquidity Liquidity
	Time      time.Time // event time of the fill
	Seq       uint64    // sequence number of the event that caused it
	// Provenance says why the simulator believes this fill would have happened.
	Provenance Provenance
	// Leverage is the order's leverage: non-zero for a margin fill, which moves no balance
	// but the realised PnL and fees (see MarginEvent).
	Leverage int
}

// Provenance is the evidence behind a fill.
type Provenance struct {
	Model      string           // fill model name: default, book, next-trade, optimistic, pessimistic
	TradeIDs   []uint64         // exchange trades that made the fill (when they have ids)
	Levels     []feed.BookLevel // book levels walked (book model)
	QueueAhead decimal.Decimal  // base quantity ahead of the order at its price when it was accepted
	Note       string           // free text, e.g. "slippage 5bp"
}

// Balance is one asset's balance in a simulated account.
type Balance struct {
	Asset    string
	Total    decimal.Decimal
	Reserved decimal.Decimal // held by open orders
}

// Free returns what is available for new orders: Total - Reserved.
func (b Balance) Free() decimal.Decimal { return b.Total.Sub(b.Reserved) }

// Position is the account's holding in a pair's base asset, with its cost basis.
type Position struct {
	Pair          feed.Pair
	Qty           decimal.Decimal // base held because of trading this pair (spot: never negative)
	AvgEntry      decimal.Decimal // average entry price of Qty
	RealizedPnL   decimal.Decimal // quote, after fees
	UnrealizedPnL decimal.Decimal // quote, at the last trade price
	// Margin is the account's spot margin position in the pair (zero Side: none). Spot
	// fields above do not include it.
	Margin MarginPosition
}

// MarginPosition is an open Kraken spot margin position, consolidated per pair (Kraken's
// OpenPositions with consolidation=market): Side Buy is long (Kraken lent the quote that
// bought Qty), Sell is short (Kraken lent Qty base, sold for Cost). Amounts are in quote.
type MarginPosition struct {
	Side          feed.Side       // 0 when there is no position
	Qty           decimal.Decimal // base, positive
	Cost          decimal.Decimal // quote: what the open quantity was bought or sold for
	AvgPrice      decimal.Decimal // Cost / Qty
	Leverage      int             // the leverage it was opened with
	UsedMargin    decimal.Decimal // Cost / Leverage (a short's at the last price: Kraken lends base)
	UnrealizedPnL decimal.Decimal // at the last trade price; fees excluded (already charged)
	OpenFees      decimal.Decimal // margin opening fees charged so far
	Rollover      decimal.Decimal // rollover fees charged so far
	TradeFees     decimal.Decimal // trading fees of its opening and closing fills
	RealizedPnL   decimal.Decimal // PnL of the parts closed or settled, fees excluded
	Opened        time.Time       // event time of the first opening fill
	NextRollover  time.Time       // when the next rollover fee is due (every 4 h from Opened)
}

// Open reports whether there is a margin position.
func (m MarginPosition) Open() bool { return m.Side != 0 && m.Qty.Sign() > 0 }

// MarginEventKind says what a MarginEvent reports.
type MarginEventKind uint8

const (
	MarginFill        MarginEventKind = iota + 1 // a margin fill was booked: what it did to the position and the quote balance
	MarginRollover                               // a rollover fee was charged
	MarginSettle                                 // a position was settled (settle-position)
	MarginCall                                   // the margin level fell below margin_call
	MarginLiquidation                            // a position is being liquidated (margin_stop reached)
)

var marginEventNames = [...]string{"", "fill", "rollover", "settle", "margin call", "liquidation"}

// String returns the kind's name ("rollover", "margin call", ...).
func (k MarginEventKind) String() string {
	if int(k) < len(marginEventNames) && k != 0 {
		return marginEventNames[k]
	}
	return fmt.Sprintf("margin(%d)", uint8(k))
}

// ParseMarginEventKind accepts the names String returns.
func ParseMarginEventKind(s string) (MarginEventKind, error) {
	for i, n := range marginEventNames {
		if i > 0 && n == s {
			return MarginEventKind(i), nil
		}
	}
	return 0, fmt.Errorf("strategy: unknown margin event %q", s)
}

// MarginEvent is a margin happening in a simulated account, beyond fills and order updates;
// the journal keeps them so that a resumed account rebuilds its margin positions exactly.
//
//	fill         Order, Pair, Side, Qty at Price for Cost, Fee (trading) and OpenFee (margin
//	             opening fee) in quote, Leverage, PnL realised by the part that closed
//	rollover     Pair, Side, Qty of the position, Fee charged (quote), Time its due time
//	settle       Order, Pair, Side of the position, Qty settled, Cost it was valued at
//	margin call  Level, Equity, UsedMargin (account currency)
//	liquidation  Pair, Side, Qty of the position, Order liquidating it, Level, Equity, UsedMargin
type MarginEvent struct {
	Kind                      MarginEventKind
	Order                     OrderID
	Pair                      feed.Pair
	Side                      feed.Side
	Qty, Price, Cost          decimal.Decimal
	Fee, OpenFee, PnL         decimal.Decimal
	Leverage                  int
	Level, Equity, UsedMargin decimal.Decimal
	Time                      time.Time
}

// MarginAccount is the account's margin summary, as Kraken's TradeBalance reports it, in the
// account currency: Equity is the value of the balances plus the unrealised PnL of the margin
// positions; UsedMargin the sum of their margins; FreeMargin Equity − UsedMargin; Level
// Equity / UsedMargin × 100 (zero without positions).
type MarginAccount struct {
	Equity, UsedMargin, FreeMargin, Level decimal.Decimal
	Positions                             int
}

// MarketInfo is what a strategy may know about a pair: the exchange's rules and the latest
// prices seen by its own worker.
type MarketInfo struct {
	feed.PairInfo
	Last    decimal.Decimal // last trade price; zero when none seen yet
	Bid     decimal.Decimal // best bid when a book or ticker is known; zero otherwise
	Ask     decimal.Decimal // best ask when a book or ticker is known; zero otherwise
	HasLast bool
	HasBook bool
	Online  bool // system and pair status both online: orders can match
	// System is the exchange's system status when known ("" counts as online); the pair's
	// own status is PairInfo.Status.
	System feed.SystemState
}
