package strategy

// KrakenError is an order rejection with Kraken's error text, so that a strategy written
// against the simulator reacts to the same strings it would see from Kraken. Code is the
// Kraken error ("EOrder:Insufficient funds"); Detail is the suffix Kraken appends for some
// errors ("BTC/USD price can only be specified up to 1 decimals.").
//
// Test for a kind of rejection with errors.Is against the exported values below; Is
// compares Code only, so a detailed error still matches its plain value:
//
//	if errors.Is(err, strategy.ErrInsufficientFunds) { ... }
type KrakenError struct {
	Code   string
	Detail string
	// Text, when set, is what Kraken answers today for this error where it differs from the
	// historical (REST v1) Code: Error returns it, while errors.Is still matches on Code, so
	// code written against the old text keeps working.
	Text string
}

// Error returns Kraken's text: Text (or Code), then ":Detail" when there is a detail.
func (e *KrakenError) Error() string {
	t := e.Code
	if e.Text != "" {
		t = e.Text
	}
	if e.Detail == "" {
		return t
	}
	return t + ":" + e.Detail
}

// Is reports whether target is a *KrakenError with the same Code.
func (e *KrakenError) Is(target error) bool {
	t, ok := target.(*KrakenError)
	return ok && t.Code == e.Code
}

// Kraken's order errors as the simulator returns them. Texts follow Kraken's documented error
// list (docs.kraken.com "Spot Error Messages"); where Kraken's exact wording for a case is not
// documented the nearest documented text is used, as noted.
var (
	// ErrUnknownAssetPair: the pair is not known.
	ErrUnknownAssetPair = &KrakenError{Code: "EQuery:Unknown asset pair"}
	// ErrInvalidArguments: a malformed request (unknown side or order type, flags that do not
	// apply to the order type, a GTD order without a future expire time).
	ErrInvalidArguments = &KrakenError{Code: "EGeneral:Invalid arguments"}
	// ErrInvalidVolume: a quantity that is zero, negative or (with strict lot checking) has more
	// decimals than the pair's lot_decimals.
	ErrInvalidVolume = &KrakenError{Code: "EGeneral:Invalid arguments:volume"}
	// ErrInvalidArgumentsPrice: a price (or trailing offset) that is zero or negative.
	ErrInvalidArgumentsPrice = &KrakenError{Code: "EGeneral:Invalid arguments:price"}
	// ErrInvalidPrice: a price with more decimals than the pair allows. Kraken appends a
	// detail: "EOrder:Invalid price:XBTUSD price can only be specified up to 1 decimals.".
	ErrInvalidPrice = &KrakenError{Code: "EOrder:Invalid price"}
	// ErrTickSize: a price that is not a multiple of the pair's tick size.
	ErrTickSize = &KrakenError{Code: "EOrder:Tick size check failed"}
	// ErrOrderMinimum: quantity below the pair's ordermin. Its text is what Kraken's
	// WebSocket v2 add_order (and REST AddOrder) answer today, "EGeneral:Invalid
	// arguments:volume minimum not met" (seen in 2025–2026 reports from live traders); its
	// Code stays v1's "EOrder:Order minimum not met", which errors.Is matches.
	ErrOrderMinimum = &KrakenError{Code: "EOrder:Order minimum not met", Text: "EGeneral:Invalid arguments:volume minimum not met"}
	// ErrCostMinimum: price × quantity below the pair's costmin.
	ErrCostMinimum = &KrakenError{Code: "EOrder:Cost minimum not met"}
	// ErrInsufficientFunds: the account cannot reserve what the order needs.
	ErrInsufficientFunds = &KrakenError{Code: "EOrder:Insufficient funds"}
	// ErrPostOnly: an amend that would make a post-only order take liquidity. (A new post-only
	// order that would take is accepted and then cancelled with ReasonPostOnly, as on Kraken.)
	ErrPostOnly = &KrakenError{Code: "EOrder:Post only order"}
	// ErrUnknownOrder: cancel or amend of an order that does not exist or is no longer open.
	ErrUnknownOrder = &KrakenError{Code: "EOrder:Unknown order"}
	// ErrCancelOnly: the market (system or pair) accepts only cancellations.
	ErrCancelOnly = &KrakenError{Code: "EService:Market in cancel_only mode"}
	// ErrPostOnlyMode: the market accepts only post-only limit orders (and cancellations).
	ErrPostOnlyMode = &KrakenError{Code: "EService:Market in post_only mode"}
	// ErrLimitOnlyMode: the market accepts only limit-priced orders (and cancellations).
	ErrLimitOnlyMode = &KrakenError{Code: "EService:Market in limit_only mode"}
	// ErrUnavailable: the exchange or pair is in maintenance (or, in the simulator, no price
	// is known yet to value an order that needs one).
	ErrUnavailable = &KrakenError{Code: "EService:Unavailable"}

	// Margin errors, from Kraken's "Spot Error Messages" (docs.kraken.com/api/docs/guides/
	// spot-errors):
	//
	// ErrMarginLevel: "Client has insufficient equity or collateral": a margin order whose
	// margin exceeds the account's free margin.
	ErrMarginLevel = &KrakenError{Code: "EOrder:Margin level too low"}
	// ErrMarginPositionSize: "Client would exceed the maximum position size for this pair"
	// (AssetPairs long_position_limit / short_position_limit).
	ErrMarginPositionSize = &KrakenError{Code: "EOrder:Margin position size exceeded"}
	// ErrReduceOnlyNoPosition: "When trying to submit a reduce-only order (new or via
	// trigger) for a market that has no open positions".
	ErrReduceOnlyNoPosition = &KrakenError{Code: "EOrder:Reduce only:No position exists"}
	// ErrReduceOnlyClosed: "When submitting a reduce-only order that would flip a position,
	// order will match as much as possible and cancel back the rest with this error".
	ErrReduceOnlyClosed = &KrakenError{Code: "EOrder:Reduce only:Position is closed"}
	// ErrUnknownPosition: a settle-position order with no margin position to settle.
	ErrUnknownPosition = &KrakenError{Code: "EOrder:Unknown position"}
	// ErrLeverage: a leverage the pair does not offer on the order's side (not in
	// leverage_buy / leverage_sell). Kraken's exact text for this case is not in its error
	// list; this follows its "EGeneral:Invalid arguments:<field>" form (":volume", ":price").
	ErrLeverage = &KrakenError{Code: "EGeneral:Invalid arguments:leverage"}
)
