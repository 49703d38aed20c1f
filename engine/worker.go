package engine

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"go.uber.org/zap"
)

// worker runs one strategy instance on its own goroutine with its own simulated exchange and
// ledger. Per event it (1) lets the exchange process it — latency-elapsed requests arrive,
// resting orders match, GTD orders expire —, (2) fires the timer, (3) delivers candles,
// (4) delivers the fills and order updates the event caused, and (5) delivers the event.
// Orders placed in (2)–(5) reach the exchange after their latency, never on this event.
type worker struct {
	e    *engine
	in   *Instance
	log  *zap.Logger
	cx   wctx
	ex   *sim.Exchange
	led  *ledger.Ledger
	rec  Recorder
	r    Record // reused for every record
	mine []feed.Pair

	st        strategy.Strategy
	starter   strategy.Starter
	candles   strategy.CandleHandler
	booker    strategy.BookHandler
	filler    strategy.FillHandler
	orderer   strategy.OrderHandler
	timerer   strategy.TimerHandler
	stopper   strategy.Stopper
	intervals []time.Duration
	books     map[feed.Pair]*feed.Book

	inbox   *inbox
	done    chan struct{}
	stopped atomic.Bool
	lagErr  atomic.Pointer[error]
	lagged  bool // dispatcher only: lag already reported

	// where is the code running now, for attributing a panic (see site).
	where site

	started    bool
	now        time.Time
	seq        uint64
	timer      time.Time
	nextEquity time.Time
	fault      error

	events, orders, rejects, fills uint64
	first, last                    time.Time
}

func newWorker(e *engine, in *Instance) (*worker, error) {
	if in.Strategy == nil {
		return nil, errors.New("no strategy")
	}
	if len(in.Pairs) == 0 {
		return nil, errors.New("no pairs")
	}
	for _, p := range in.Pairs {
		if _, ok := e.cfg.Pairs(p); !ok {
			return nil, fmt.Errorf("unknown pair %s", p)
		}
	}
	led, err := ledgerFor(in)
	if err != nil {
		return nil, err
	}
	log := in.Log
	if log == nil {
		log = e.log.Named(in.Name)
	}
	scfg := in.Sim
	if scfg.Log == nil {
		scfg.Log = log
	}
	w := &worker{
		e: e, in: in, log: log, led: led, rec: e.cfg.Recorder,
		ex:    sim.New(scfg, e.cfg.Pairs, led),
		mine:  slices.Clone(in.Pairs),
		st:    in.Strategy,
		inbox: newInbox(),
		done:  make(chan struct{}),
	}
	if in.Restore != nil {
		if err := in.Restore(w.ex); err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	w.cx.w = w
	w.starter, _ = in.Strategy.(strategy.Starter)
	w.booker, _ = in.Strategy.(strategy.BookHandler)
	w.filler, _ = in.Strategy.(strategy.FillHandler)
	w.orderer, _ = in.Strategy.(strategy.OrderHandler)
	w.timerer, _ = in.Strategy.(strategy.TimerHandler)
	w.stopper, _ = in.Strategy.(strategy.Stopper)
	if ch, ok := in.Strategy.(strategy.CandleHandler); ok {
		w.candles = ch
		for _, iv := range ch.CandleIntervals() {
			if iv < time.Second {
				return nil, fmt.Errorf("candle interval %s is shorter than 1s", iv)
			}
			if !slices.Contains(w.intervals, iv) {
				w.intervals = append(w.intervals, iv)
			}
		}
	}
	if w.booker != nil {
		w.books = make(map[feed.Pair]*feed.Book, len(w.mine))
	}
	return w, nil
}

func (w *worker) isStopped() bool { return w.stopped.Load() }

// noteBacklog applies the live overflow policy; it runs on the dispatch goroutine.
func (w *worker) noteBacklog(n int) {
	cfg := &w.e.cfg
	if n >= cfg.LagLimit {
		err := fmt.Errorf("%w: %s has %d events waiting (limit %d); stopped so its account does not miss trades", ErrLagging, w.in.Name, n, cfg.LagLimit)
		w.lagErr.Store(&err)
		w.stopped.Store(true)
		w.inbox.close()
		return
	}
	if n >= cfg.LagWarn && !w.lagged {
		w.lagged = true
		w.log.Warn("strategy falling behind the feed", zap.Int("backlog", n), zap.Int("limit", cfg.LagLimit))
	}
}

// run is the worker goroutine. It returns the instance's fault, if any.
func (w *worker) run(ctx context.Context) error {
	defer close(w.done)
	var buf []item
	for {
		select {
		case <-w.inbox.ready:
		case <-ctx.Done():
			return w.finish(nil)
		}
		var closed bool
		buf, closed = w.inbox.take(buf)
		for _, it := range buf {
			if p := w.lagErr.Load(); p != nil {
				return w.finish(*p)
			}
			err := w.batch(it.b)
			if it.ref != nil {
				it.ref.release()
			}
			if err != nil {
				return w.finish(err)
			}
		}
		clear(buf)
		if closed {
			return w.finish(nil)
		}
	}
}

// batch processes one batch; a panic anywhere in the instance's code stops the instance.
func (w *worker) batch(b []feed.Event) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = w.panicked(p)
		}
	}()
	for i := range b {
		if err := w.event(&b[i]); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) wants(p feed.Pair) bool {
	for _, m := range w.mine {
		if m == p {
			return true
		}
	}
	return false
}

func (w *worker) event(ev *feed.Event) error {
	switch ev.Kind {
	case feed.KindTrade, feed.KindBook, feed.KindTicker, feed.KindCandle, feed.KindSpread, feed.KindGap:
		p := ev.Pair
		if ev.Kind == feed.KindTrade && ev.Trade.Pair != "" {
			p = ev.Trade.Pair
		}
		if p != "" && !w.wants(p) {
			return nil
		}
	case feed.KindStatus, feed.KindInstrument:
	default:
		return nil
	}
	if ev.Time.After(w.now) {
		w.now = ev.Time
	}
	w.seq = ev.Seq
	w.events++
	if !w.started {
		w.started = true
		w.first = w.now
		w.nextEquity = w.now
		if w.starter != nil {
			if err := w.callback(w.starter.OnStart); err != nil {
				return err
			}
		}
	}
	w.last = w.now

	var reports []sim.Report
	if ev.Kind != feed.KindCandle {
		w.where = inSimulator
		reports = w.ex.OnEvent(ev)
		w.where = inEngine
	}
	if !w.timer.IsZero() && !w.now.Before(w.timer) {
		w.timer = time.Time{}
		if w.timerer != nil {
			if err := w.callback(w.timerer.OnTimer); err != nil {
				return err
			}
		}
	}
	if ev.Kind == feed.KindCandle && w.candles != nil && ev.Candle != nil && slices.Contains(w.intervals, ev.Candle.Interval) {
		w.enterCallback()
		err := w.candles.OnCandle(&w.cx, *ev.Candle)
		w.leaveCallback()
		if err != nil {
			return w.stratErr("OnCandle", err)
		}
	}
	// The exchange's report slice is valid until its next OnEvent; callbacks below only
	// submit, cancel and amend, which do not touch it.
	for i := range reports {
		if err := w.report(&reports[i]); err != nil {
			return err
		}
	}
	switch ev.Kind {
	case feed.KindTrade:
		w.enterCallback()
		err := w.st.OnTrade(&w.cx, ev.Trade)
		w.leaveCallback()
		if err != nil {
			return w.stratErr("OnTrade", err)
		}
	case feed.KindBook:
		if w.booker != nil && ev.Book != nil {
			b := w.books[ev.Pair]
			if b == nil {
				b = feed.NewBook(ev.Pair, w.in.Sim.BookDepth)
				w.books[ev.Pair] = b
			}
			if err := b.Apply(ev.Book); err != nil {
				w.log.Debug("book update rejected", zap.Stringer("pair", ev.Pair), zap.Error(err))
				return nil
			}
			w.enterCallback()
			err := w.booker.OnBook(&w.cx, b)
			w.leaveCallback()
			if err != nil {
				return w.stratErr("OnBook", err)
			}
		}
	}
	if !w.now.Before(w.nextEquity) {
		w.sampleEquity()
	}
	return nil
}

// enterCallback and leaveCallback bracket every strategy callback: the Context is valid and
// the code running is the strategy's.
func (w *worker) enterCallback() { w.cx.active, w.where = true, inStrategy }
func (w *worker) leaveCallback() { w.cx.active, w.where = false, inEngine }

// panicked turns a recovered panic into the instance's fault, attributed to the code that
// was running, and leaves the worker outside any callback.
func (w *worker) panicked(p any) error {
	where := w.where
	w.cx.active, w.where = false, inEngine
	return &PanicError{Instance: w.in.Name, Where: where.String(), Value: p, Stack: string(debug.Stack())}
}

func (w *worker) callback(f func(strategy.Context) error) error {
	w.enterCallback()
	err := f(&w.cx)
	w.leaveCallback()
	if err != nil {
		return w.stratErr("callback", err)
	}
	return nil
}

func (w *worker) stratErr(where string, err error) error {
	return fmt.Errorf("strategy %s: %s: %w", w.in.Name, where, err)
}

func (w *worker) report(r *sim.Report) error {
	switch r.Kind {
	case sim.ReportFill:
		w.fills++
		w.record(RecordFill, func(rec *Record) { rec.Fill = r.Fill })
		if w.filler != nil {
			w.enterCallback()
			err := w.filler.OnFill(&w.cx, r.Fill)
			w.leaveCallback()
			if err != nil {
				return w.stratErr("OnFill", err)
			}
		}
	case sim.ReportMargin:
		w.record(RecordMargin, func(rec *Record) { rec.Margin = r.Margin })
	case sim.ReportUpdate:
		w.record(RecordOrder, func(rec *Record) { rec.Order = r.Update })
		if w.orderer != nil {
			w.enterCallback()
			err := w.orderer.OnOrder(&w.cx, r.Update)
			w.leaveCallback()
			if err != nil {
				return w.stratErr("OnOrder", err)
			}
		}
	}
	return nil
}

// record hands a record to the recorder; it may run inside a Context call, so it restores
// the site it found.
func (w *worker) record(kind RecordKind, fill func(*Record)) {
	prev := w.where
	w.where = inEngine
	w.r = Record{Instance: w.in.Name, Kind: kind, Seq: w.seq, Time: w.now}
	fill(&w.r)
	w.rec.Record(&w.r)
	w.where = prev
}

func (w *worker) sampleEquity() {
	iv := w.e.cfg.EquityInterval
	w.where = inSimulator
	eq, err := w.led.Equity()
	w.where = inEngine
	if err == nil {
		w.record(RecordEquity, func(r *Record) { r.Equity = eq })
	}
	w.nextEquity = w.now.Truncate(iv).Add(iv)
}

// finish ends the instance: OnStop (unless it faulted), a last equity sample, and the fault
// record. It returns the fault.
func (w *worker) finish(fault error) error {
	if fault == nil && w.started && w.stopper != nil {
		func() {
			defer func() {
				if p := recover(); p != nil {
					fault = w.panicked(p)
				}
			}()
			fault = w.callback(w.stopper.OnStop)
		}()
	}
	if w.started {
		w.sampleEquity()
	}
	if fault != nil {
		w.fault = fault
		w.stopped.Store(true)
		w.log.Error("strategy stopped", zap.Error(fault))
		w.record(RecordFault, func(r *Record) { r.Err = fault })
	}
	return fault
}

func (w *worker) result() InstanceResult {
	r := InstanceResult{
		Name: w.in.Name, Events: w.events, Orders: w.orders, Rejects: w.rejects, Fills: w.fills,
		Fault: w.fault, Balances: w.led.Balances(), Positions: w.led.Positions(),
		Start: w.first, End: w.last,
	}
	if eq, err := w.led.Equity(); err == nil {
		r.Equity, r.EquityOK = eq, true
	}
	return r
}
