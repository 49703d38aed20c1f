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
// it is made (default 50 ms), plus a seeded random jitter in [0, Config.Jitter], and always
// strictly after the instant it was made: events with the same time belong to the sweep the
// strategy was reacting to (Kraken stamps all trades of one taker order alike), so even
// without latency a request cannot trade on them. Requests
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
// Submit checks an order at once with strategy.CheckOrder — the one validator, which
// strategytest's fake Context runs too (FuzzSimAndFakeContextAgree holds them to the same
// verdicts) — and returns Kraken's error text as a *strategy.KrakenError (see
// strategy/errors.go): unknown pair ("EQuery:Unknown asset pair"); inconsistent side,
// type, time in force or flags ("EGeneral:Invalid arguments"); non-positive quantity
// ("EGeneral:Invalid arguments:volume"); quantity, after truncation to lot_decimals (and the
// pair's quantity step), below ordermin ("EGeneral:Invalid arguments:volume minimum not met",
// v2's text; errors.Is matches strategy.ErrOrderMinimum); non-positive price
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
//     at the price reduce it, and a book message showing less at that price lowers it (the
//     orders ahead are in the book, so the queue cannot exceed it: cancels ahead show up this
//     way). The queue is known only while the book shows the order's price: with no usable
//     book, or a price beyond the deepest level the subscription shows (a full-depth side),
//     the queue is unknown and the order must be traded through. A known queue survives a
//     re-snapshot that still shows its level; a snapshot or update that pushes the level out
//     of view makes it unknown again. An unknown queue whose price a snapshot shows again
//     assumes everything the book shows there is ahead of it;
//   - one printed trade is shared among this account's orders (resting ones and takers
//     waiting for prints), best price first, then in arrival order; the same printed quantity
//     never fills two orders.
//
// Resting fills pay the maker fee.
//
// # Fills: taking liquidity (taker)
//
// A market order, a limit order priced through the market on arrival, and a triggered stop
// take liquidity. Liquidity is never invented: a taker fills only from quantity the book showed
// or that was printed after it arrived.
//
//   - With a usable book (a snapshot applied, no error or gap since, not crossed: a copy whose
//     best bid is at or above its best ask has missed a message) it walks it best level
//     first, up to the limit price if any, one fill per level at the level's price. A level
//     gives what the book shows minus what this account already took there and what prints
//     took since the book last re-stated it. This account's consumption is kept until the book
//     shows the level at or below what the account left there (a message re-stating the old
//     size does not bring it back); a print's consumption until the book re-states the level
//     (Kraken's trade and book channels are not ordered with each other, so a book message
//     may already include the print: then the level is briefly under-counted, never
//     over-counted). A limit's remainder then rests (an IOC order's is cancelled); a market
//     order's remainder waits for prints.
//   - Waiting for prints, each later print on the pair (whatever its side) fills it up to the
//     print's quantity (shared by this account's orders), at the print's price moved against
//     it by Config.SlippageBps, rounded to the tick against it, and never better than the
//     market the order found: the deepest level it took, else the best opposite quote (book
//     or ticker), else the last trade, at arrival. A limit fills no worse than its limit; a
//     print beyond the limit ends its taking and it rests.
//   - Without a usable book, a market order waits for prints as above; a limit order through
//     the last trade ("priced through the market" without a book) and an IOC market order
//     take from the first print after arrival only; then the limit rests with an unknown queue
//     and the IOC remainder is cancelled.
//   - Market price protection: a market-priced order (market, stop-loss, take-profit,
//     trailing-stop) never fills further than Config.MarketProtectionPct (default 1%, an
//     assumption: Kraken does not publish its threshold) from the price it found on arrival or
//     trigger; when its next fill would, the rest is cancelled ("market price protection").
//     strategy.Order.NoMPP or Config.NoMarketProtection turn it off.
//   - Self-trade prevention: before a taker fills at a price that reaches one of this
//     account's resting orders on the other side, strategy.Order.STP applies: cancel-newest
//     (Kraken's default) cancels the taker, cancel-oldest the resting orders it reaches,
//     cancel-both both ("self trade prevented"). The public book does not contain this
//     account's orders, so the check is on price alone (the queue ahead of the resting order
//     at its price is not credited to the taker).
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
// from the trade that triggered it, and it executes against the book after that trade's
// effect: the liquidity the triggering print took is not available to it.
//
// # Fill models
//
// Config.Model changes the fill rules so that reports can show the range of results that fill
// assumptions alone explain. Optimistic relaxes the rules and says so: it fills a resting
// order completely as soon as a trade touches its price (no queue, no printed-quantity cap)
// and uses no slippage. Pessimistic is adverse on every axis: a resting order fills only from
// trades at least one tick through it; this account gets at most Config.PessimisticFraction
// (default one half) of each print, across all its orders; when taking it sees only that
// fraction of each book level, pays 2 × Config.SlippageBps + Config.PessimisticSlippageBps
// (default 5 bp) on every taker fill (book walks included, within a limit), a limit taking
// without a book fills at its limit, and every request takes the worst-case latency
// (Latency + Jitter). For a strategy that only takes and whose orders fill completely,
// pessimistic ≤ default ≤ optimistic in PnL (a property test holds it to that); with makers
// or partial fills the models can rank either way, so reports show a range, not an order.
// Every fill names its model and evidence in strategy.Provenance: "default", "optimistic" or
// "pessimistic" for resting fills (with the trade id and the queue ahead at acceptance),
// "book" for book walks (with the level), "next-trade" for fills from prints (with the trade
// id and the slippage).
//
// Accounts are independent: each exchange keeps its own copy of the book and its own
// consumption, as separate Kraken accounts would not see each other's paper orders. Sharing
// consumption between strategies would make one account's fills depend on the others' and
// on the order the engine's parallel workers reach an event, so it is not offered.
//
// # Order types and flags
//
// market, limit, stop-loss, take-profit, stop-loss-limit, take-profit-limit, trailing-stop and
// trailing-stop-limit, with Kraken's meanings of Price and Price2 (see strategy.Order).
// Post-only (limit orders only) is checked on arrival: if it would take liquidity then (at or
// through the best opposite quote, or through the last trade without a book) it is cancelled
// with reason "Post only order", as Kraken reports it (accepted, then cancelled). IOC
// cancels whatever does not fill on arrival (without a book: at the next trade). GTD expires at ExpireTime, even before arrival. A conditional close
// (Order.Close) is placed by the exchange when its parent ends having filled: the close's type
// and prices, the opposite side, the quantity filled; it arrives at once but cannot match the
// event that ended its parent, and it is validated like any order (it can be rejected). Its
// type may be any but market, trailing types included (CloseOrder.Offset).
//
// Kraken's other AddOrder fields (see strategy.Order): StartTime (starttm) keeps an order
// pending until event time reaches it, even after its latency; relative prices (PriceSpec,
// Price2Spec: "+", "-", "#", "%") are resolved against the last trade when the order reaches
// the exchange, and its buy reservation follows (rejected then if funds fall short);
// FeeInBase (fcib) charges fees in base; QuoteQty (viqc) sizes a market buy in quote: it
// reserves the quote amount plus the taker fee on it, its Qty is set on arrival to the most it
// could buy at the price it found (every fill is at that price or worse), each fill is cut to
// what the unspent quote buys, and when the rest buys less than one lot step its Qty becomes
// what it bought and it closes. CancelAllOrdersAfter is the dead man's switch, in event time.
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
// cost_decimals, and at least one unit of them, as Kraken charges (see Fee); with
// Order.FeeInBase it is charged in base on the quantity, at lot_decimals. The cost itself is
// booked exactly. With Config.RollingFeeVolume the tier follows the account's own fills of the
// last 30 days of event time (in the fee volume currency, plus FeeVolume), re-evaluated at
// every fill; otherwise it does not move with the simulated volume.
//
// # Margin
//
// Kraken spot margin (strategy.Order.Leverage, ReduceOnly, strategy.SettlePosition): margin
// orders hold no balance and are checked against free margin ("EOrder:Margin level too low")
// and the pair's position limits ("EOrder:Margin position size exceeded"); a fill closes an
// opposite position first, realising its PnL in quote, and opens the rest; the margin
// opening fee and a rollover fee every 4 hours of event time are charged at
// Config.MarginRates (Kraken's published USD 0.025% and BTC 0.01% by default); reduce_only
// and settle-position follow Kraken's texts; below the pair's margin_call the account is
// called (a MarginEvent report), at margin_stop every position is liquidated by a reduce-only
// market order the exchange places, which takes liquidity through the ordinary taker path
// (no invented liquidity). Every fill's and fee's effect is reported as a MarginEvent
// (ReportMargin), which the journal keeps so a resumed account restores its positions. The
// rules, each with its source, are in margin.go; testdata/scenarios/margin_*.txt show them.
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
