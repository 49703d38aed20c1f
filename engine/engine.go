package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"
)

// Mode is the back-pressure policy between the sequencer and the workers.
type Mode uint8

const (
	// Backtest is lossless: the sequencer waits for the slowest worker, so a run goes as
	// fast as its slowest strategy and never skips an event.
	Backtest Mode = iota
	// Live never blocks the feed: a worker that falls behind is reported once its backlog
	// passes Config.LagWarn events and stopped with an error past Config.LagLimit. It never
	// skips events: a paper account that missed trades would be wrong, so it stops instead.
	Live
)

// Defaults for Config's zero values.
const (
	DefaultQueue          = 8192    // backtest: events queued per worker before the sequencer waits
	DefaultLagWarn        = 10_000  // live: backlog (events) at which a worker is reported
	DefaultLagLimit       = 200_000 // live: backlog at which a worker is stopped
	DefaultEquityInterval = record.DefaultEquityInterval
)

// Instance is one strategy instance: a strategy, the pairs it trades and its own simulated
// account.
type Instance struct {
	Name     string // unique within the run
	Type     string // registered strategy name, for records
	Strategy strategy.Strategy
	Pairs    []feed.Pair
	Balances []Deposit
	// AccountCurrency values the account's equity (default: the first pair's quote).
	AccountCurrency string
	Sim             sim.Config
	// Log is the instance's logger (default: Config.Log named after the instance).
	Log *zap.Logger
	// Restore, when set, loads a saved account into the instance's new exchange before the
	// run starts (balances, positions and open orders of a live session resumed from its
	// journal; see engine/journal). Balances is still deposited first; Restore replaces it.
	Restore func(*sim.Exchange) error
}

// Config configures a run.
type Config struct {
	// Sources feed the run; all of them send into one stream in arrival order (a source
	// that merges several inputs deterministically, like a tape reader, keeps a backtest
	// reproducible).
	Sources   []feed.Source
	Instances []Instance
	// Pairs looks up a pair's trading rules (e.g. kraken.DefaultPairs().Lookup).
	Pairs func(feed.Pair) (*feed.PairInfo, bool)
	Mode  Mode
	// Queue (backtest), LagWarn and LagLimit (live) bound each worker's backlog in events.
	Queue, LagWarn, LagLimit int
	// EquityInterval is the event-time spacing of equity samples per instance.
	EquityInterval time.Duration
	// FailFast turns any instance fault into a run error that stops the run (for tests).
	FailFast bool
	// Recorder receives every order, fill, rejection, fault and equity sample.
	Recorder Recorder
	Log      *zap.Logger
	// Probe, when set, lets another goroutine read the run's per-instance backlog while it
	// runs (metrics, dashboard).
	Probe *Probe
}

// Result is what a run produced.
type Result struct {
	Events    uint64 // events sequenced
	Instances []InstanceResult
}

// ErrLagging is wrapped by the fault of a live instance stopped for falling behind.
var ErrLagging = errors.New("engine: strategy fell too far behind the feed")

// Run runs the instances on the sources' events until every source has ended (a backtest)
// or ctx is cancelled (a live session), then drains what was already sequenced, calls
// OnStop and returns each instance's final state. Cancelling ctx is a graceful stop: nothing
// that was received is lost. Run returns an error for a bad config, a source failure (after
// draining), or — with FailFast — the first instance fault.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	e, err := newEngine(cfg)
	if err != nil {
		return nil, err
	}
	return e.run(ctx)
}

type engine struct {
	cfg     Config
	log     *zap.Logger
	workers []*worker
	seq     *sequencer
	// rec is the run's only source when it takes batches back (feed.BatchRecycler): with one
	// source every batch on the inbound channel is its own.
	rec feed.BatchRecycler
}

func newEngine(cfg Config) (*engine, error) {
	if cfg.Log == nil {
		cfg.Log = zap.NewNop()
	}
	if cfg.Queue <= 0 {
		cfg.Queue = DefaultQueue
	}
	if cfg.LagWarn <= 0 {
		cfg.LagWarn = DefaultLagWarn
	}
	if cfg.LagLimit <= 0 {
		cfg.LagLimit = DefaultLagLimit
	}
	if cfg.EquityInterval <= 0 {
		cfg.EquityInterval = DefaultEquityInterval
	}
	if cfg.Recorder == nil {
		cfg.Recorder = record.Discard
	}
	if cfg.Pairs == nil {
		return nil, errors.New("engine: Config.Pairs is required")
	}
	if len(cfg.Instances) == 0 {
		return nil, errors.New("engine: no strategy instances")
	}
	e := &engine{cfg: cfg, log: cfg.Log}
	seen := make(map[string]bool, len(cfg.Instances))
	var intervals []candleKey
	for i := range cfg.Instances {
		in := &cfg.Instances[i]
		if in.Name == "" {
			return nil, fmt.Errorf("engine: instance %d has no name", i)
		}
		if seen[in.Name] {
			return nil, fmt.Errorf("engine: instance name %q used twice", in.Name)
		}
		seen[in.Name] = true
		w, err := newWorker(e, in)
		if err != nil {
			return nil, fmt.Errorf("engine: instance %s: %w", in.Name, err)
		}
		e.workers = append(e.workers, w)
		for _, iv := range w.intervals {
			for _, p := range in.Pairs {
				intervals = append(intervals, candleKey{pair: p, interval: iv})
			}
		}
	}
	e.seq = newSequencer(intervals)
	if len(cfg.Sources) == 1 {
		e.rec, _ = cfg.Sources[0].(feed.BatchRecycler)
	}
	if cfg.Probe != nil {
		cfg.Probe.attach(e.workers)
	}
	return e, nil
}

func (e *engine) run(ctx context.Context) (*Result, error) {
	// gctx ends only when something fails (FailFast); ctx only stops the sources, after
	// which the pipeline drains what it already has: a graceful stop loses nothing.
	g, gctx := errgroup.WithContext(context.Background())
	srcCtx, srcCancel := context.WithCancel(ctx)
	defer srcCancel()
	defer context.AfterFunc(gctx, srcCancel)()

	in := make(chan []feed.Event, 64)
	var srcErr error
	g.Go(func() error {
		sg, sctx := errgroup.WithContext(srcCtx)
		for _, s := range e.cfg.Sources {
			sg.Go(func() error {
				err := s.Run(sctx, in)
				if err != nil && sctx.Err() == nil {
					return fmt.Errorf("engine: source: %w", err)
				}
				return nil
			})
		}
		srcErr = sg.Wait()
		close(in)
		return nil
	})
	for _, w := range e.workers {
		g.Go(func() error {
			err := w.run(gctx)
			if err != nil && e.cfg.FailFast {
				return err
			}
			return nil
		})
	}
	g.Go(func() error {
		defer func() {
			for _, w := range e.workers {
				w.inbox.close()
			}
		}()
		return e.dispatch(gctx, in)
	})

	err := g.Wait()
	if err == nil {
		err = srcErr
	}
	res := &Result{Events: e.seq.n}
	for _, w := range e.workers {
		res.Instances = append(res.Instances, w.result())
	}
	return res, err
}

// dispatch stamps each batch, inserts closed candles and hands the batch to every worker.
// A batch from a source that takes batches back is returned to it once the dispatcher and
// every worker it was pushed to are done with it.
func (e *engine) dispatch(ctx context.Context, in <-chan []feed.Event) error {
	for {
		var b []feed.Event
		var ok bool
		select {
		case b, ok = <-in:
		case <-ctx.Done():
			// The run is aborting; the sources see their context cancelled and stop sending.
			return nil
		}
		if !ok {
			return nil
		}
		var ref *batchRef
		if e.rec != nil {
			ref = newBatchRef(b, e.rec)
		}
		for _, p := range e.seq.stamp(b) {
			pref := ref
			if !p.lent {
				pref = nil // a batch of candles the sequencer made
			}
			for _, w := range e.workers {
				if w.isStopped() {
					continue
				}
				n := w.inbox.push(p.ev, pref)
				switch e.cfg.Mode {
				case Backtest:
					if n >= e.cfg.Queue {
						if err := w.inbox.waitRoom(ctx, e.cfg.Queue, w.done); err != nil {
							return nil
						}
					}
				case Live:
					w.noteBacklog(n)
				}
			}
		}
		if ref != nil {
			ref.release()
		}
	}
}

// candleKey names one shared candle series.
type candleKey struct {
	pair     feed.Pair
	interval time.Duration
}

func sortCandleKeys(keys []candleKey) []candleKey {
	slices.SortFunc(keys, func(a, b candleKey) int {
		if a.interval != b.interval {
			if a.interval < b.interval {
				return -1
			}
			return 1
		}
		switch {
		case a.pair < b.pair:
			return -1
		case a.pair > b.pair:
			return 1
		}
		return 0
	})
	return slices.Compact(keys)
}

// ledgerFor builds an instance's funded ledger.
func ledgerFor(in *Instance) (*ledger.Ledger, error) {
	ccy := in.AccountCurrency
	if ccy == "" && len(in.Pairs) > 0 {
		ccy = in.Pairs[0].Quote()
	}
	led := ledger.New(ccy)
	for _, d := range in.Balances {
		if d.Amount.Sign() < 0 {
			return nil, fmt.Errorf("starting balance %s %s is negative", d.Amount, d.Asset)
		}
		if err := led.Deposit(d.Asset, d.Amount); err != nil {
			return nil, err
		}
	}
	return led, nil
}
