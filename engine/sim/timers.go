package sim

import (
	"slices"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Things that happen at a time of their own rather than on a market event: scheduled starts
// (Order.StartTime), the dead man's switch (CancelAllOrdersAfter), and the rolling 30-day fee
// volume (Config.RollingFeeVolume). All run in event time.

// ---- reaching the exchange ------------------------------------------------------------------

// reach is an order's request reaching the exchange after its latency: it waits there for
// its StartTime if that is later, else it arrives now.
func (e *Exchange) reach(o *order) {
	if o.status != strategy.StatusPending {
		return
	}
	if st := o.o.StartTime; !st.IsZero() && st.After(e.at) {
		o.parked = true
		i, _ := slices.BinarySearchFunc(e.starts, o, func(x, t *order) int {
			if x.o.StartTime.After(t.o.StartTime) {
				return 1
			}
			return -1
		})
		e.starts = slices.Insert(e.starts, i, o)
		return
	}
	e.enter(o)
}

// enter opens an order on the exchange: relative prices are resolved against the market as it
// is now (the reservation follows the resolved price), and a post-only order that would take
// liquidity is cancelled as Kraken does (ReasonPostOnly), before the matching rules (arrive)
// take it.
func (e *Exchange) enter(o *order) {
	o.parked = false
	m := o.m
	if o.req != nil {
		req := *o.req
		if req.TimeInForce == strategy.GTD {
			// Expiry is the GTD list's business (it expires orders even before they arrive),
			// not a reason to refuse the order now.
			req.TimeInForce, req.ExpireTime = strategy.GTC, time.Time{}
		}
		n, err := strategy.CheckOrder(req, e.marketInfo(m), e.at, strategy.CheckOptions{StrictLot: e.cfg.StrictLot})
		if err != nil {
			e.finish(o, strategy.StatusRejected, err.Error())
			return
		}
		o.o.Price, o.o.Price2 = n.Price, n.Price2
		e.initOrder(o)
		_, need := e.required(o, o.o.Qty.Sub(o.filled))
		if err := e.led.Resize(o.o.ID, need); err != nil {
			e.finish(o, strategy.StatusRejected, strategy.ErrInsufficientFunds.Error())
			return
		}
	}
	if o.o.PostOnly && e.admit(m, &o.o) == nil && e.wouldTake(m, o.o.Side, o.limitKey) {
		e.finish(o, strategy.StatusCanceled, ReasonPostOnly)
		return
	}
	e.arrive(o)
}

// runTimers runs, in time order, what is due by now: requests reaching the exchange,
// scheduled starts and the dead man's switch (requests first at equal times). A request may
// park an order whose start is due before now: it is picked up in its turn.
func (e *Exchange) runTimers(now time.Time) {
	for {
		var next time.Time
		dms := false
		if len(e.starts) > 0 {
			next = e.starts[0].o.StartTime
		}
		if e.dmsOn && (next.IsZero() || !e.dmsAt.After(next)) {
			next, dms = e.dmsAt, true
		}
		if len(e.sched) > 0 && !e.sched[0].at.After(now) && (next.IsZero() || !e.sched[0].at.After(next)) {
			e.runSchedule(e.sched[0].at)
			continue
		}
		if next.IsZero() || next.After(now) {
			return
		}
		e.at = next
		if dms {
			e.fireDeadMan()
			continue
		}
		o := e.starts[0]
		e.starts = slices.Delete(e.starts, 0, 1)
		if o.status == strategy.StatusPending && o.parked {
			e.enter(o)
		}
	}
}

// ---- dead man's switch ----------------------------------------------------------------------

// CancelAllOrdersAfter is Kraken's dead man's switch (cancelAllOrdersAfter / v2
// cancel_all_orders_after): when timeout has passed, in event time, without another call,
// every order on the exchange is cancelled (reason ReasonDeadMan) and the switch disarms.
// Each call resets the countdown; a timeout of 0 disarms it. The countdown starts when the
// request reaches the exchange (now plus Config.Latency, without jitter), and the trigger
// time is returned (zero when disarmed). Orders whose own requests have not reached the
// exchange by then are not on it, so they survive, as on Kraken. Kraken counts whole seconds;
// any duration is accepted here. A negative timeout is refused with
// "EGeneral:Invalid arguments", and nothing is accepted in maintenance.
func (e *Exchange) CancelAllOrdersAfter(now time.Time, timeout time.Duration) (time.Time, error) {
	now = e.orderAt(now)
	if timeout < 0 {
		return time.Time{}, strategy.ErrInvalidArguments
	}
	if e.system == feed.SystemMaintenance {
		return time.Time{}, strategy.ErrUnavailable
	}
	if timeout == 0 {
		e.dmsOn, e.dmsAt = false, time.Time{}
		return time.Time{}, nil
	}
	e.dmsOn, e.dmsAt = true, now.Add(e.latency).Add(timeout)
	return e.dmsAt, nil
}

// fireDeadMan cancels every order that is on the exchange (open, or waiting for its start).
func (e *Exchange) fireDeadMan() {
	e.dmsOn, e.dmsAt = false, time.Time{}
	for _, o := range slices.Clone(e.live) {
		if o.status == strategy.StatusOpen || o.parked {
			o.parked = false
			e.finish(o, strategy.StatusCanceled, ReasonDeadMan)
		}
	}
}

// ---- rolling fee volume ---------------------------------------------------------------------

// feeWindow is Kraken's fee volume window.
const feeWindow = 30 * 24 * time.Hour

// FeeVolume returns the 30-day volume the account's fee tier is picked with: Config.FeeVolume
// plus, with Config.RollingFeeVolume, the simulated fills of the last 30 days (as of the last
// fill).
func (e *Exchange) FeeVolume() decimal.Decimal {
	return e.cfg.FeeVolume.Add(e.volSum)
}

// feeTiers brings the rolling volume's window to now and, when the volume changed, every
// market's fee percentages with it. It is called before a fill is charged, so a fill pays the
// tier of the volume before it.
func (e *Exchange) feeTiers(now time.Time) {
	if !e.cfg.RollingFeeVolume {
		return
	}
	i := 0
	for i < len(e.vol) && !e.vol[i].at.After(now.Add(-feeWindow)) {
		e.volSum = e.volSum.Sub(e.vol[i].vol)
		i++
	}
	if i == 0 {
		return
	}
	e.vol = slices.Delete(e.vol, 0, i)
	e.retier()
}

// countVolume adds a fill's cost (quote of m) to the rolling volume and re-evaluates the tiers.
func (e *Exchange) countVolume(m *market, cost decimal.Decimal) {
	if !e.cfg.RollingFeeVolume || cost.Sign() <= 0 {
		return
	}
	v, ok := e.inFeeCurrency(m, cost)
	if !ok {
		if ce := e.log.Check(zap.DebugLevel, "sim: fill not counted in the fee volume: no price converts its quote"); ce != nil {
			ce.Write(zap.String("pair", string(m.pair)), zap.String("quote", m.info.Quote))
		}
		return
	}
	e.vol = append(e.vol, volFill{at: e.at, vol: v})
	e.volSum = e.volSum.Add(v)
	e.retier()
}

func (e *Exchange) retier() {
	vol := e.FeeVolume()
	for _, m := range e.sortedMarkets() {
		m.maker, m.taker = e.cfg.feePercentsAt(&m.info, vol)
	}
}

// inFeeCurrency converts an amount of m's quote into m's fee volume currency (USD when not
// given; Kraken's "ZUSD" is USD) at the last price of a pair this account has seen.
func (e *Exchange) inFeeCurrency(m *market, amount decimal.Decimal) (decimal.Decimal, bool) {
	ccy := m.info.FeeVolumeCurrency
	switch ccy {
	case "", "ZUSD":
		ccy = "USD"
	}
	q := m.info.Quote
	if q == ccy {
		return amount, true
	}
	if p, ok := e.led.LastPrice(feed.Pair(q + "/" + ccy)); ok && p.Sign() > 0 {
		return amount.Mul(p), true
	}
	if p, ok := e.led.LastPrice(feed.Pair(ccy + "/" + q)); ok && p.Sign() > 0 {
		return amount.DivRound(p, m.info.CostDecimals+8), true
	}
	return decimal.Decimal{}, false
}
