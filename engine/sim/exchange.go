package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// ReportKind says which field of a Report is set.
type ReportKind uint8

const (
	ReportFill   ReportKind = iota + 1 // Report.Fill
	ReportUpdate                       // Report.Update
	ReportMargin                       // Report.Margin: rollover fee, margin call, liquidation
)

// Report is one thing that happened to the account: a fill or an order update. Reports come
// in the order they happened, so an order's "open" update precedes its first fill and its
// "closed" update follows its last.
type Report struct {
	Kind   ReportKind
	Fill   strategy.Fill
	Update strategy.OrderUpdate
	Margin MarginEvent
}

// Reasons reported in OrderUpdate.Reason for changes that are not Kraken errors.
const (
	ReasonUser      = "User requested"    // cancelled by Cancel or CancelAll
	ReasonIOC       = "IOC unfilled"      // the part of an IOC order that did not fill on arrival
	ReasonAmended   = "amended"           // an Amend took effect (status unchanged)
	ReasonTriggered = "triggered"         // a stop or trailing stop reached its trigger
	ReasonNoFill    = "no liquidity"      // an IOC market order that found nothing to take
	ReasonExpired   = "GTD expire time"   // a GTD order reached its expire time
	ReasonClose     = "conditional close" // an order placed as the conditional close of its parent
	// ReasonDeadMan: cancelled because the CancelAllOrdersAfter timer ran out. Kraken's
	// cancel reason for this case is not documented; this text is the simulator's.
	ReasonDeadMan = "cancel all orders after timeout"
	// ReasonPostOnly: a post-only order that would have taken liquidity when it reached the
	// exchange, cancelled as Kraken does (strategy.ReasonPostOnly).
	ReasonPostOnly  = strategy.ReasonPostOnly
	reasonFundsFill = "EOrder:Insufficient funds"
)

// Exchange is one simulated Kraken spot account's view of the exchange: it validates and
// accepts orders, applies latency, matches them against market events and books the fills
// in its ledger. It is driven only by event time.
//
// An Exchange is not safe for concurrent use: one engine worker owns it and calls every
// method from its goroutine. The slice returned by OnEvent and Advance is owned by the
// Exchange and valid only until the next OnEvent or Advance (Submit, Cancel, CancelAll, Amend
// and the queries do not touch it); copy what must be kept.
type Exchange struct {
	cfg     Config
	log     *zap.Logger
	pairs   func(feed.Pair) (*feed.PairInfo, bool)
	led     *ledger.Ledger
	rng     *rand.Rand
	latency time.Duration
	frac    decimal.Decimal // pessimistic share of prints and levels
	slip    decimal.Decimal // effective next-trade slippage, bps

	markets map[feed.Pair]*market
	lastM   *market

	orders map[strategy.OrderID]*order // live orders (pending or open)
	live   []*order                    // live orders in submission order
	gtd    []*order                    // GTD orders by expire time (may hold finished ones)

	sched  []action // requests in flight, in arrival order
	lastAt time.Time

	system feed.SystemState
	now    time.Time // latest event time seen
	at     time.Time // time stamped on what is being produced
	seq    uint64    // Seq of the event being processed
	evn    uint64    // events processed; an order created during event n never matches event n
	nids   uint64
	prio   uint64
	bad    uint64

	reports []Report
	trig    []*order // stops triggered by the trade being processed
	spawn   []*order // conditional closes waiting to be placed

	matching // per-print and protection state (match.go)

	starts []*order // orders on the exchange waiting for their StartTime, by StartTime

	dmsAt time.Time // CancelAllOrdersAfter deadline, when dmsOn
	dmsOn bool

	vol    []volFill       // RollingFeeVolume: fills of the last 30 days, in time order
	volSum decimal.Decimal // their volume, in the fee volume currency

	margin marginState // spot margin: calls, liquidations (margin.go)
}

// volFill is one fill's contribution to the rolling 30-day fee volume.
type volFill struct {
	at  time.Time
	vol decimal.Decimal
}

type listKind uint8

const (
	inNone     listKind = iota
	inBids              // resting buy limit
	inAsks              // resting sell limit
	inTrigLE            // waiting for a trade at or below trigKey
	inTrigGE            // waiting for a trade at or above trigKey
	inTrailing          // trailing stop, not yet triggered
	inAwaiting          // taker waiting for the next trade (no usable book)
)

type order struct {
	o      strategy.Order
	m      *market
	seq    uint64 // Seq of the event the strategy was handling when it submitted
	prio   uint64 // time priority among this account's orders at one price
	status strategy.OrderStatus
	filled decimal.Decimal
	cost   decimal.Decimal
	fees   decimal.Decimal
	list   listKind

	limit    decimal.Decimal // limit price once known (limit, *-limit after trigger)
	limitKey int64
	hasLimit bool

	trigKey   int64 // stop-loss / take-profit trigger
	triggered bool

	ext    int64 // trailing: best price since activation (max for sells, min for buys)
	hasExt bool
	level  int64 // trailing: trigger level on the tick grid
	offKey int64 // trailing quote offset, at price scale
	pct    int64 // trailing percent offset × 10^pctScale

	resPrice decimal.Decimal // per-unit price the buy reservation is computed at

	queue      decimal.Decimal // base ahead of the order at its price (real book orders)
	queue0     decimal.Decimal // queue ahead when it started resting
	queueKnown bool
	lateQueue  bool // queue first estimated from a snapshot after it started resting

	noMatchEv  uint64 // must not match this event (created while processing it)
	cancelling bool
	closed     bool // conditional close placed

	taking // taker state (match.go)

	req    *strategy.Order // the order as submitted, when its prices are relative (resolved on arrival)
	parked bool            // reached the exchange, waiting for its StartTime
	liq    bool            // placed by the exchange to liquidate a margin position
}

const pctScale = 6

type actKind uint8

const (
	actArrive actKind = iota + 1
	actCancel
	actAmend
)

type action struct {
	at    time.Time
	kind  actKind
	o     *order
	amend Amendment
}

// Amendment is an amend request. Zero fields are left unchanged.
type Amendment struct {
	// Qty is the new total quantity, filled part included; it must exceed what has filled.
	Qty decimal.Decimal
	// LimitPrice is the limit price: Price of a limit order, Price2 of a *-limit order
	// (the limit offset for trailing-stop-limit).
	LimitPrice decimal.Decimal
	// TriggerPrice is the trigger: Price of a stop or take-profit order (the trailing offset
	// for trailing types). It cannot change once the order has triggered.
	TriggerPrice decimal.Decimal
}

// New returns an exchange for one account. pairs looks up a pair's rules (its result is
// copied on first use; status changes arrive as instrument events); led is the account's
// ledger, funded by the caller.
func New(cfg Config, pairs func(feed.Pair) (*feed.PairInfo, bool), led *ledger.Ledger) *Exchange {
	e := &Exchange{
		cfg:     cfg,
		log:     cfg.Log,
		pairs:   pairs,
		led:     led,
		rng:     rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x6a09e667f3bcc909)),
		latency: cfg.Latency,
		frac:    cfg.PessimisticFraction,
		slip:    cfg.SlippageBps,
		markets: make(map[feed.Pair]*market),
		orders:  make(map[strategy.OrderID]*order),
		system:  feed.SystemOnline,
	}
	if e.log == nil {
		e.log = zap.NewNop()
	}
	if e.latency == 0 {
		e.latency = DefaultLatency
	} else if e.latency < 0 {
		e.latency = 0
	}
	if e.frac.Sign() <= 0 || e.frac.Cmp(decimal.NewFromInt(1)) > 0 {
		e.frac = half
	}
	e.initMatching()
	switch cfg.Model {
	case Optimistic:
		e.slip = decimal.Zero
	case Pessimistic:
		extra := cfg.PessimisticSlippageBps
		if extra.Sign() <= 0 {
			extra = DefaultPessimisticSlippageBps
		}
		e.slip = e.slip.Add(e.slip).Add(extra)
	}
	return e
}

// Ledger returns the account's ledger.
func (e *Exchange) Ledger() *ledger.Ledger { return e.led }

// BadInput returns how many market events the exchange ignored because they could not be
// used (unknown pairs, prices out of range, book updates that did not apply).
func (e *Exchange) BadInput() uint64 { return e.bad }

func (e *Exchange) market(p feed.Pair) *market {
	if e.lastM != nil && e.lastM.pair == p {
		return e.lastM
	}
	m, ok := e.markets[p]
	if !ok {
		info, found := e.pairs(p)
		if !found || info == nil {
			return nil
		}
		m = newMarket(p, info, &e.cfg)
		if e.cfg.RollingFeeVolume {
			m.maker, m.taker = e.cfg.feePercentsAt(&m.info, e.FeeVolume())
		}
		e.markets[p] = m
	}
	e.lastM = m
	return m
}

func (e *Exchange) orderAt(now time.Time) time.Time {
	if now.Before(e.now) || now.IsZero() {
		return e.now
	}
	return now
}

// schedule queues a request made at now; it reaches the exchange after the latency, and
// never before a request made earlier (one connection delivers in order).
func (e *Exchange) schedule(now time.Time, a action) {
	lat := e.latency
	if e.cfg.Jitter > 0 {
		j := time.Duration(e.rng.Int64N(int64(e.cfg.Jitter) + 1))
		if e.cfg.Model == Pessimistic {
			j = e.cfg.Jitter // the worst case of the configured latency
		}
		lat += j
	}
	// A request takes effect strictly after the instant it was made: events with the same
	// time belong to the sweep the strategy was reacting to (Kraken stamps all trades of one
	// taker order alike), so even without latency it cannot trade on them.
	lat = max(lat, time.Nanosecond)
	at := now.Add(lat)
	if at.Before(e.lastAt) {
		at = e.lastAt
	}
	e.lastAt = at
	a.at = at
	e.sched = append(e.sched, a)
}

// Submit validates o as Kraken would and, if it passes, reserves its funds and returns its
// id; it reaches the exchange (and becomes open) after the latency. now is the event time of
// the decision, seq the Seq of the event being handled. A rejection is a *strategy.KrakenError
// with Kraken's text (test with errors.Is against strategy.Err*).
//
// Checks: strategy.CheckOrder (the one validator, shared with strategytest's fake Context:
// pair, flags, quantity, prices, minimums, market status), then funds can be reserved.
// Post-only is checked on arrival, not here. Relative prices (Order.PriceSpec) are resolved
// now against the last trade for these checks, and again when the order reaches the exchange.
// An order with a StartTime reaches the exchange after its latency, but opens no earlier than
// its StartTime.
func (e *Exchange) Submit(now time.Time, seq uint64, o strategy.Order) (strategy.OrderID, error) {
	now = e.orderAt(now)
	m := e.market(o.Pair)
	if m == nil {
		return "", strategy.ErrUnknownAssetPair
	}
	o.ID = ""
	req := o
	if err := e.validate(m, &o, now); err != nil {
		return "", err
	}
	if err := e.admit(m, &o); err != nil {
		return "", err
	}
	if o.Leverage > 0 {
		if err := e.marginAdmit(m, &o, nil); err != nil {
			return "", err
		}
	}
	id := e.newID()
	o.ID = id
	ord := &order{o: o, m: m, seq: seq, status: strategy.StatusPending}
	if req.PriceSpec != "" || req.Price2Spec != "" {
		ord.req = &req
	}
	e.initOrder(ord)
	asset, amount := e.required(ord, o.Qty)
	if err := e.led.Reserve(id, asset, amount); err != nil {
		if errors.Is(err, strategy.ErrInsufficientFunds) {
			return "", strategy.ErrInsufficientFunds
		}
		return "", fmt.Errorf("sim: reserve for %s: %w", id, err)
	}
	e.orders[id] = ord
	e.live = append(e.live, ord)
	if o.TimeInForce == strategy.GTD {
		e.addGTD(ord)
	}
	e.schedule(now, action{kind: actArrive, o: ord})
	return id, nil
}

func (e *Exchange) newID() strategy.OrderID {
	for {
		e.nids++
		id := orderID(e.cfg.Seed, e.nids)
		if _, dup := e.orders[id]; !dup {
			return id
		}
	}
}

// Cancel asks to cancel order id; the cancel takes effect after the latency, and the order
// may still fill until then. It fails with strategy.ErrUnknownOrder for an id that is not
// open or pending (or already being cancelled), and with strategy.ErrUnavailable while the
// exchange is in maintenance.
func (e *Exchange) Cancel(now time.Time, id strategy.OrderID) error {
	now = e.orderAt(now)
	o, ok := e.orders[id]
	if !ok || o.cancelling {
		return strategy.ErrUnknownOrder
	}
	if e.inMaintenance(o.m) {
		return strategy.ErrUnavailable
	}
	o.cancelling = true
	e.schedule(now, action{kind: actCancel, o: o})
	return nil
}

// CancelAll asks to cancel every open or pending order and returns how many it will cancel.
// Like Kraken's CancelAll it is one request: one latency for all.
func (e *Exchange) CancelAll(now time.Time) (int, error) {
	now = e.orderAt(now)
	if e.system == feed.SystemMaintenance {
		return 0, strategy.ErrUnavailable
	}
	n := 0
	var at time.Time
	for _, o := range e.live {
		if o.cancelling {
			continue
		}
		o.cancelling = true
		if n == 0 {
			e.schedule(now, action{kind: actCancel, o: o})
			at = e.lastAt
		} else {
			e.sched = append(e.sched, action{at: at, kind: actCancel, o: o})
		}
		n++
	}
	return n, nil
}

// Amend asks to change an open or pending order's quantity and/or prices (see Amendment);
// it takes effect after the latency. The new values are validated now like a submit;
// funds for a larger reservation are checked again when it takes effect. The order keeps its
// queue position only when its limit price is unchanged and its quantity is not increased;
// otherwise it queues behind everything at its (new) price, as if just placed.
func (e *Exchange) Amend(now time.Time, id strategy.OrderID, a Amendment) error {
	now = e.orderAt(now)
	o, ok := e.orders[id]
	if !ok || o.cancelling {
		return strategy.ErrUnknownOrder
	}
	m := o.m
	if err := e.statusErr(m, false, false); err != nil {
		return err
	}
	n := o.o
	if !a.Qty.IsZero() {
		n.Qty = a.Qty
	}
	if !a.LimitPrice.IsZero() {
		switch n.Type {
		case strategy.Limit:
			n.Price = a.LimitPrice
		case strategy.StopLossLimit, strategy.TakeProfitLimit, strategy.TrailingStopLimit:
			n.Price2 = a.LimitPrice
		default:
			return strategy.ErrInvalidArguments
		}
	}
	if !a.TriggerPrice.IsZero() {
		if n.Type == strategy.Market || n.Type == strategy.Limit {
			return strategy.ErrInvalidArguments
		}
		n.Price = a.TriggerPrice
	}
	saved := n.Close
	n.Close = nil // the close was validated at submit
	if n.TimeInForce == strategy.GTD && !n.ExpireTime.After(now) {
		n.TimeInForce = strategy.GTC // validate would refuse an expire time already past
	}
	if err := e.validate(m, &n, now); err != nil {
		return err
	}
	n.Close, n.TimeInForce = saved, o.o.TimeInForce
	if n.Qty.Cmp(o.filled) <= 0 {
		return strategy.ErrInvalidVolume
	}
	if n.Leverage > 0 {
		// The amended remainder must fit the margin as a new order would (this order's own
		// margin not counted twice).
		rest := n
		rest.Qty = n.Qty.Sub(o.filled)
		if err := e.marginAdmit(m, &rest, o); err != nil {
			return err
		}
	}
	e.schedule(now, action{kind: actAmend, o: o, amend: Amendment{Qty: n.Qty, LimitPrice: pick(n.Type, n.Price, n.Price2, true), TriggerPrice: pick(n.Type, n.Price, n.Price2, false)}})
	return nil
}

// pick returns the validated limit (limit=true) or trigger value of an order.
func pick(t strategy.OrderType, price, price2 decimal.Decimal, limit bool) decimal.Decimal {
	switch t {
	case strategy.Market:
		return decimal.Decimal{}
	case strategy.Limit:
		if limit {
			return price
		}
		return decimal.Decimal{}
	}
	if limit {
		return price2
	}
	return price
}

// Advance lets time pass to now without a market event: requests whose latency has elapsed
// reach the exchange (orders open, take liquidity from a known book, cancels and amends
// apply), and GTD orders expire. Nothing matches against trades.
func (e *Exchange) Advance(now time.Time) []Report {
	clear(e.reports)
	e.reports = e.reports[:0]
	if now.After(e.now) {
		e.now = now
	}
	e.evn++
	e.runTimers(e.now)
	e.placeSpawned()
	e.at = e.now
	if e.margin.open {
		e.marginTime(e.now)
	}
	e.expire(e.now)
	return e.reports
}

// OnEvent processes one market event in three steps: (a) requests whose latency has elapsed
// by the event's time reach the exchange, in order; (b) the event itself — a trade updates
// the last price and matches resting orders and stops, a book message updates the
// simulator's book, status and instrument messages change what may trade, a book gap marks
// the book unusable until the next snapshot; (c) GTD orders whose expire time has come
// expire. It returns the fills and order updates produced, in the order they happened.
//
// An event with a zero or earlier time than the last one is processed at the last time seen.
// OnEvent does not allocate when nothing fills or changes state.
func (e *Exchange) OnEvent(ev *feed.Event) []Report {
	if len(e.reports) > 0 {
		clear(e.reports)
		e.reports = e.reports[:0]
	}
	if ev.Time.After(e.now) {
		e.now = ev.Time
	}
	e.evn++
	e.seq = ev.Seq
	if e.dmsOn || len(e.starts) > 0 || (len(e.sched) > 0 && !e.sched[0].at.After(e.now)) {
		e.runTimers(e.now) // requests, scheduled starts and the dead man's switch, in time order
	}
	e.at = e.now
	if e.margin.open {
		e.marginTime(e.now) // rollover fees due by now, before the event moves prices
	}
	switch ev.Kind {
	case feed.KindTrade:
		p := ev.Trade.Pair
		if p == "" {
			p = ev.Pair
		}
		e.onTrade(p, &ev.Trade)
	case feed.KindBook:
		if ev.Book != nil {
			e.onBook(ev.Book)
		}
	case feed.KindTicker:
		if ev.Ticker != nil {
			e.onTicker(ev.Ticker)
		}
	case feed.KindStatus:
		if ev.Status != nil && ev.Status.System != "" {
			e.system = ev.Status.System
		}
	case feed.KindInstrument:
		if ev.Instrument != nil {
			for i := range ev.Instrument.Pairs {
				pi := &ev.Instrument.Pairs[i]
				if pi.Status == "" {
					continue
				}
				if m := e.market(pi.Pair); m != nil {
					m.status = pi.Status
				}
			}
		}
	case feed.KindGap:
		if ev.Gap != nil && ev.Gap.Channel == "book" {
			if m, ok := e.markets[ev.Pair]; ok {
				m.bookOK = false
			}
		}
	}
	if len(e.spawn) > 0 {
		e.placeSpawned()
	}
	if len(e.gtd) > 0 && !e.gtd[0].o.ExpireTime.After(e.now) {
		e.expire(e.now)
	}
	return e.reports
}

func (e *Exchange) runSchedule(now time.Time) {
	i := 0
	for ; i < len(e.sched) && !e.sched[i].at.After(now); i++ {
		a := e.sched[i]
		e.at = a.at
		switch a.kind {
		case actArrive:
			e.reach(a.o)
		case actCancel:
			if a.o.status.Done() {
				continue
			}
			e.finish(a.o, strategy.StatusCanceled, ReasonUser)
		case actAmend:
			e.applyAmend(a.o, a.amend)
		}
	}
	if i > 0 {
		n := copy(e.sched, e.sched[i:])
		clear(e.sched[n:])
		e.sched = e.sched[:n]
	}
}

// Order returns the current state of an open or pending order.
func (e *Exchange) Order(id strategy.OrderID) (strategy.OrderUpdate, bool) {
	o, ok := e.orders[id]
	if !ok {
		return strategy.OrderUpdate{}, false
	}
	return e.view(o, ""), true
}

// OpenOrders returns the open and pending orders on pair (all pairs when pair is empty), in
// submission order.
func (e *Exchange) OpenOrders(pair feed.Pair) []strategy.Order {
	var out []strategy.Order
	for _, o := range e.live {
		if pair == "" || o.o.Pair == pair {
			out = append(out, o.o)
		}
	}
	return out
}

// Balance returns the account's balance of asset.
func (e *Exchange) Balance(asset string) strategy.Balance { return e.led.Balance(asset) }

// Position returns the account's position in pair.
func (e *Exchange) Position(pair feed.Pair) strategy.Position { return e.led.Position(pair) }

// Market returns what a strategy may know about pair: its rules (with the current status),
// the last trade price, the best bid and ask from the book (or the ticker when no usable book
// is known), and whether orders can match now. Unknown pairs return the zero value.
func (e *Exchange) Market(pair feed.Pair) strategy.MarketInfo {
	m := e.market(pair)
	if m == nil {
		return strategy.MarketInfo{}
	}
	return e.marketInfo(m)
}

// marketInfo is what the account knows of m now: what Market returns, and what orders are
// validated against.
func (e *Exchange) marketInfo(m *market) strategy.MarketInfo {
	mi := strategy.MarketInfo{PairInfo: m.info, Last: m.last, HasLast: m.hasLast, Online: e.online(m), System: e.system}
	mi.Status = m.status
	if m.bookUsable() {
		if p, _, ok := m.book.BestBid(); ok {
			mi.Bid, mi.HasBook = p, true
		}
		if p, _, ok := m.book.BestAsk(); ok {
			mi.Ask, mi.HasBook = p, true
		}
	} else if m.hasTicker {
		mi.Bid, mi.Ask, mi.HasBook = m.tBid, m.tAsk, true
	}
	return mi
}

// Check verifies the account's invariants: the ledger's own (see ledger.Check), exactly one
// reservation per live order and none for finished ones, no order filled beyond its
// quantity, and every live order in the place its state says.
func (e *Exchange) Check() error {
	if err := e.led.Check(); err != nil {
		return err
	}
	for _, id := range e.led.Reservations() {
		if _, ok := e.orders[id]; !ok {
			return fmt.Errorf("sim: reservation held for %s, which is not live", id)
		}
	}
	for _, o := range e.live {
		id := o.o.ID
		if e.orders[id] != o {
			return fmt.Errorf("sim: live order %s missing from the index", id)
		}
		if o.status.Done() {
			return fmt.Errorf("sim: order %s is %s but still live", id, o.status)
		}
		if _, _, ok := e.led.Reservation(id); !ok {
			return fmt.Errorf("sim: live order %s holds no reservation", id)
		}
		// viqc and a whole-position settle are sized on arrival
		sized := !((o.o.QuoteQty.Sign() > 0 || o.o.Type == strategy.SettlePosition) && o.o.Qty.IsZero())
		if o.filled.Sign() < 0 || (sized && o.filled.Cmp(o.o.Qty) >= 0) {
			return fmt.Errorf("sim: live order %s filled %s of %s", id, o.filled, o.o.Qty)
		}
		if o.status == strategy.StatusPending && o.list != inNone {
			return fmt.Errorf("sim: pending order %s is on a book list", id)
		}
		if o.status == strategy.StatusOpen && o.list == inNone {
			return fmt.Errorf("sim: open order %s is on no list", id)
		}
	}
	if len(e.orders) != len(e.live) {
		return fmt.Errorf("sim: %d orders indexed, %d live", len(e.orders), len(e.live))
	}
	for _, m := range e.sortedMarkets() {
		if err := m.checkLists(); err != nil {
			return err
		}
	}
	return nil
}

func (e *Exchange) sortedMarkets() []*market {
	ms := make([]*market, 0, len(e.markets))
	for _, m := range e.markets {
		ms = append(ms, m)
	}
	slices.SortFunc(ms, func(a, b *market) int {
		if a.pair < b.pair {
			return -1
		}
		if a.pair > b.pair {
			return 1
		}
		return 0
	})
	return ms
}
