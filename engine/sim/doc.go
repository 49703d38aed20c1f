// Package sim is papertrade's simulated Kraken spot exchange: one Exchange per strategy
// account validates orders the way Kraken does, delays them by a network latency, matches
// them against the recorded or live market, charges Kraken's fees and books the result in the
// account's ledger (engine/ledger).
//
// Its purpose is that a paper fill is a fill that would have happened on Kraken. Where the
// data cannot prove a fill, the default rules assume it did not happen. The rules below are
// the contract; the golden scenarios in testdata/scenarios show each of them on concrete data.
//
// # Time
//
// The exchange reads time only from events (Event.Time) and from the times passed to Submit,
// Cancel, Amend and Advance; never from the wall clock. Time never goes backwards: an earlier
// or zero event time counts as the latest time seen.
//
// Every request (submit, cancel, amend, cancel-all) reaches the exchange Config.Latency after
// it is made (default 50 ms), plus a seeded random jitter in [0, Config.Jitter]. Requests
// arrive in the order they were made, as on one connection. Until it arrives an order is
// "pending": it cannot fill, and a cancel does not stop fills that happen before the cancel
// arrives.
//
// OnEvent processes one event in this order:
//
//  1. requests whose arrival time is at or before the event's time arrive, in order;
//  2. the event itself: a trade can fill orders and trigger stops, a book message updates the
//     exchange's copy of the book, status messages and the status of pairs in instrument
//     messages change what may trade (other instrument fields are not applied: pair rules
//     come from the lookup given to New);
//  3. GTD orders whose expire time is at or before the event's time expire.
//
// A strategy reacts to an event after OnEvent has processed it, so an order it submits then
// arrives at a later time and can never match the event that caused it (even with latency
// switched off).
//
// # Validation (Submit)
//
// Submit checks an order at once and returns Kraken's error text as a *strategy.KrakenError
// (see strategy/errors.go): unknown pair ("EQuery:Unknown asset pair"); inconsistent side,
// type, time in force or flags ("EGeneral:Invalid arguments"); non-positive quantity
// ("EGeneral:Invalid arguments:volume"); quantity, after truncation to lot_decimals (and the
// pair's quantity step), below ordermin ("EOrder:Order minimum not met"); non-positive price
// ("EGeneral:Invalid arguments:price"); more decimals than pair_decimals ("EOrder:Invalid
// price:<pair> price can only be specified up to N decimals."); not a multiple of the tick
// ("EOrder:Tick size check failed"); price × quantity below costmin ("EOrder:Cost minimum not
// met", market orders checked at the current market price); a system or pair status that
// refuses it ("EService:Unavailable", "EService:Market in cancel_only mode", "... post_only
// mode", "... limit_only mode"); funds ("EOrder:Insufficient funds"). Quantities with too many
// decimals are truncated, not refused, unless Config.StrictLot is set.
//
// Funds are reserved at acceptance: a sell reserves its base quantity; a buy reserves quantity
// × limit price plus the taker fee on that (rounded up), and a buy without a limit price
// (market, stop, trailing) reserves 1% above the price it would trade near. A buy whose fills
// cost more than the account can pay fills what it can pay; the rest is cancelled with
// "EOrder:Insufficient funds". Reservations shrink as orders fill and are released when orders
// end.
//
// # Fills: resting limit orders (maker)
//
// A limit order that does not take liquidity on arrival rests. Under the default model it
// fills only from trades whose taker was on the other side:
//
//   - a trade strictly through its price (a sell at less than a buy limit, a buy at more than
//     a sell limit) fills it at its own limit price, for at most the trade's printed
//     quantity;
//   - a trade exactly at its price fills it only after the queue ahead of it has traded. The
//     queue ahead is the book's quantity at that price when the order started resting; trades
//     at the price reduce it, and a book update showing less at that price lowers it (the
//     orders ahead are in the book, so the queue cannot exceed it). With no usable book the
//     queue is unknown and the order must be traded through, until a book snapshot arrives:
//     then everything the book shows at its price is assumed to be ahead of it;
//   - one printed trade is shared among this account's orders, best price first, then in
//     arrival order; the same printed quantity never fills two orders.
//
// Resting fills pay the maker fee.
//
// # Fills: taking liquidity (taker)
//
// A market order, a limit order priced through the market on arrival, and a triggered stop
// take liquidity:
//
//   - with a usable book (a snapshot applied, no error or gap since) they walk it best level
//     first, up to the limit price if any, one fill per level at the level's price. What this
//     account takes from a level is remembered until a book message re-states that level, so
//     the same liquidity is not taken twice. A limit's remainder then rests (an IOC order's
//     is cancelled); a market order's remainder waits for the next trade;
//   - without a usable book they fill at the price of the next trade on the pair after they
//     arrived (whatever its side), moved against them by Config.SlippageBps and rounded to the
//     tick against them, for their whole remaining quantity. A limit order fills no worse than
//     its limit; if that next trade is beyond its limit it stops taking and rests. Without a
//     book, "priced through the market" means strictly through the last trade price.
//
// Taker fills pay the taker fee.
//
// # Stops
//
// Stops and take-profits trigger on the last trade price: a sell stop-loss (and a buy
// take-profit) when a trade is at or below its trigger, a buy stop-loss (and a sell
// take-profit) at or above. A trailing stop tracks the best trade price since it arrived
// (highest for a sell, lowest for a buy) and triggers when a trade retraces by its offset
// (a quote amount, or a percentage with strategy.OffsetPercent), the level rounded to the tick
// against the trigger. On trigger a stop becomes a taker as above: it walks the book at once
// or fills at the next trade, so a market that gaps through the trigger fills at the gapped
// price, not the trigger. A *-limit stop becomes a limit order at Price2 (a trailing-stop-limit
// at its trigger level minus Price2 for a sell, plus for a buy, rounded to the tick away from
// the trigger) that takes if marketable and otherwise rests. A stop never fills as a maker
// from the trade that triggered it.
//
// # Fill models
//
// Config.Model changes the fill rules so that reports can show the band of PnL that fill
// assumptions alone explain: Optimistic fills a resting order completely as soon as a trade
// touches its price (no queue, no printed-quantity cap) and uses no slippage. Pessimistic
// fills a resting order only from trades at least one tick through it and for at most
// Config.PessimisticFraction (default one half) of each print; when taking it sees only that
// fraction of each book level; and it doubles the slippage. Every fill names its model and
// evidence in strategy.Provenance: "default", "optimistic" or "pessimistic" for resting
// fills (with the trade id and the queue ahead at acceptance), "book" for book walks (with
// the level), "next-trade" for next-trade fills (with the trade id and the slippage).
//
// # Order types and flags
//
// market, limit, stop-loss, take-profit, stop-loss-limit, take-profit-limit, trailing-stop and
// trailing-stop-limit, with Kraken's meanings of Price and Price2 (see strategy.Order).
// Post-only (limit orders only) is checked on arrival: if it would take liquidity then (at or
// through the best opposite quote, or through the last trade without a book) it is rejected
// with "EOrder:Post only order". IOC cancels whatever does not fill on arrival (without a book:
// at the next trade). GTD expires at ExpireTime, even before arrival. A conditional close
// (Order.Close) is placed by the exchange when its parent ends having filled: the close's type
// and prices, the opposite side, the quantity filled; it arrives at once but cannot match the
// event that ended its parent, and it is validated like any order (it can be rejected).
//
// Cancel, CancelAll and Amend take the latency. Amend changes quantity, limit price or
// trigger; an order keeps its queue position only if its price is unchanged and its quantity
// not increased; otherwise it queues behind the book's quantity at its price again. A limit
// amended through the market takes liquidity like a new order (a post-only one is refused and
// keeps its price).
//
// # Status
//
// Orders match only while both the system status and the pair's status are online. In
// maintenance nothing is accepted, cancels included ("EService:Unavailable"); cancel_only
// accepts cancels; post_only accepts post-only limit orders; limit_only (pair) refuses
// market-priced orders. An order that arrives into a status that refuses it is rejected then.
// Resting orders survive any status.
//
// # Fees
//
// Fees follow the pair's Kraken maker/taker schedule at the tier of Config.FeeVolume (entry
// tier by default: 0.25% maker, 0.40% taker), or Config.MakerFee/TakerFee with FeeOverride;
// pairs without a schedule use DefaultMakerTiers/DefaultTakerTiers. A fill's fee is charged in
// the quote currency: price × quantity × percent / 100, rounded half-up to the pair's
// cost_decimals (see Fee). The cost itself is booked exactly. The tier does not move with the
// simulated volume.
//
// # Determinism
//
// Identical events, requests, configuration and seed produce identical reports, byte for
// byte: the only randomness is the latency jitter, drawn from a PCG source seeded with
// Config.Seed, and order ids ("OQCLML-BW3P3-BUCMWZ") derive from the seed and a counter.
// No map iteration reaches an output.
//
// # Concurrency and cost
//
// An Exchange is not safe for concurrent use; one engine worker owns it. OnEvent does not
// allocate when nothing fills or changes state, and a trade only visits the orders whose
// price it reaches: resting orders and stops are kept sorted per pair, and prices are
// compared as integers at the pair's precision.
package sim
