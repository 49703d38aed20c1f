package backtest

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/strategy"
)

// SweepOptions configure a parameter sweep. The search itself (instance, method, values,
// metric, walk-forward windows) is Config.Sweep.
type SweepOptions struct {
	Config   *config.Config
	Registry *strategy.Registry
	Pairs    *kraken.Pairs // nil: kraken.DefaultPairs()
	// Data is the tape ("" means Config.Data.Path); Events, when set, is used instead
	// (already loaded, shared).
	Data   string
	Events *Events
	// From and To bound the data (zero: Config.Data).
	From, To time.Time
	// Out is the results directory (sweep.csv, walkforward.csv and, unless DB says
	// otherwise, sweep.db); "" means Config.Sweep.Out, then "sweep".
	Out string
	// DB is the SQLite results file ("" means Config.Sweep.DB, then Out/sweep.db).
	DB string
	// Shard and Shards split the trials deterministically: this run takes the trials whose
	// index i has i mod Shards == Shard. Shards 0 or 1 runs them all.
	Shard, Shards int
	// Parallel is the number of trials run at once (0: Config.Sweep.Parallel, then one per
	// CPU).
	Parallel int
	// WalkForward overrides Config.Sweep.WalkForward when set.
	WalkForward *config.WalkForward
	Version     string
	// Progress receives the sweep's progress (may be nil).
	Progress SweepProgress
	Log      *zap.Logger
	// Cache is the decoded-event cache directory the data is loaded through ("" or
	// CacheOff: none); see Options.Cache.
	Cache string
	// TrialSeen, when set, is called after each trial that ran with the receive times of the
	// first and last events its replay delivered (tests prove windows with it).
	TrialSeen func(t Trial, first, last time.Time)
}

// SweepProgress receives a sweep's progress. Its methods are called from the trial
// goroutines concurrently: implementations must be safe for concurrent use.
type SweepProgress interface {
	// Planned says how many trials the sweep has and how many were already done (a re-run).
	Planned(total, done int)
	// TrialStarted: slot (0..parallel-1) starts t, whose replay has events events.
	TrialStarted(slot int, t Trial, events int)
	// TrialAdvanced: slot's replay has sent events events.
	TrialAdvanced(slot int, events int)
	// TrialFinished: slot finished r.
	TrialFinished(slot int, r TrialResult)
}

// Trial is one parameter combination to evaluate on one stretch of data.
type Trial struct {
	Index  int             // position in the sweep's deterministic order
	Params strategy.Params // every parameter given to the strategy (instance's, overridden)
	Values []string        // the searched parameters' values, in Sweep.Params order
	Hash   string          // hash of the strategy type and Params
	Window int             // walk-forward window, or -1
	Phase  string          // "" (plain sweep), "train" or "test"
	From   time.Time       // data range (receive time) of this evaluation; zero is open
	To     time.Time
}

// TrialResult is a trial's outcome.
type TrialResult struct {
	Trial
	Status  string // "ok", "invalid" (the strategy refused the parameters) or "failed"
	Err     string
	Cached  bool             // taken from the results database, not run again
	Summary *report.Strategy // nil unless ok
	Metric  float64          // the ranking metric; NaN when undefined
	// Returns summarises the trial's per-period returns for the overfitting statistics (a
	// few hundred bytes, whatever the data's length); nil when the trial did not run or its
	// data is too short.
	Returns *TrialReturns
}

// WindowResult is one walk-forward window: the best trial on the training data and its
// result on the test data that follows.
type WindowResult struct {
	Window                          int
	TrainFrom, TrainTo              time.Time
	TestFrom, TestTo                time.Time
	Best                            *TrialResult // nil when no trial was valid
	Test                            *TrialResult
	TrainTrials, TrainValid, Cached int
}

// SweepResult is what a sweep produced.
type SweepResult struct {
	Metric                       string
	Params                       []string      // searched parameter names
	Results                      []TrialResult // ranked (plain sweep) or in run order (walk-forward)
	Windows                      []WindowResult
	Ran, Cached, Invalid, Failed int
	// Overfitting says how much of the best trial's result is luck (plain sweeps; nil for a
	// walk-forward sweep, or when no trial has returns). A shard sees only its own trials.
	Overfitting *Overfitting
}

// Trials enumerates a sweep's trials in their deterministic order: the grid in odometer
// order (the last parameter varies fastest), cut at Trials when that is set, or Trials
// distinct random draws from the grid (seeded by Sweep.Seed). Combinations the strategy
// would refuse are included: they are reported as invalid, not silently dropped.
func Trials(c *config.Config) ([]Trial, error) {
	sw := c.Sweep
	if sw == nil {
		return nil, errors.New("backtest: the config has no sweep section")
	}
	inst, ok := c.Strategy(sw.Strategy)
	if !ok {
		return nil, fmt.Errorf("backtest: sweep: no instance %q", sw.Strategy)
	}
	size := 1
	for _, p := range sw.Params {
		size *= len(p.Values)
		if size > 1<<30 {
			size = 1 << 30
		}
	}
	mk := func(idx []int) Trial {
		t := Trial{Params: inst.Params.Clone(), Window: -1}
		if t.Params == nil {
			t.Params = strategy.Params{}
		}
		for i, p := range sw.Params {
			v := p.Values[idx[i]]
			t.Params[p.Name] = v
			t.Values = append(t.Values, v)
		}
		t.Hash = ParamHash(inst.Type, t.Params)
		return t
	}
	var out []Trial
	switch sw.Method {
	case "random":
		n := sw.Trials
		if n <= 0 {
			n = config.DefaultSweepTrials
		}
		n = min(n, size)
		rng := rand.New(rand.NewPCG(sw.Seed, 0x5eed5eed))
		seen := make(map[string]bool, n)
		idx := make([]int, len(sw.Params))
		for tries := 0; len(out) < n && tries < 50*n+1000; tries++ {
			for i, p := range sw.Params {
				idx[i] = rng.IntN(len(p.Values))
			}
			t := mk(idx)
			if seen[t.Hash] {
				continue
			}
			seen[t.Hash] = true
			out = append(out, t)
		}
	default:
		idx := make([]int, len(sw.Params))
		for {
			out = append(out, mk(idx))
			if sw.Trials > 0 && len(out) >= sw.Trials {
				break
			}
			i := len(idx) - 1
			for ; i >= 0; i-- {
				idx[i]++
				if idx[i] < len(sw.Params[i].Values) {
					break
				}
				idx[i] = 0
			}
			if i < 0 {
				break
			}
		}
	}
	for i := range out {
		out[i].Index = i
	}
	return out, nil
}

// ParamHash identifies a parameter set of a strategy type: the first 16 hex digits of the
// SHA-256 of the type and the parameters in sorted "k=v" form.
func ParamHash(typ string, p strategy.Params) string {
	h := sha256.Sum256([]byte(typ + "\n" + p.String()))
	return hex.EncodeToString(h[:8])
}

// Shard keeps the trials of shard i of n (i in 0..n-1): those whose index is i mod n.
func Shard(trials []Trial, i, n int) []Trial {
	if n <= 1 {
		return trials
	}
	var out []Trial
	for _, t := range trials {
		if t.Index%n == i {
			out = append(out, t)
		}
	}
	return out
}

// identity is everything a trial's result depends on besides its parameters and window.
type identity struct {
	Version        string            `json:"version"`
	Type           string            `json:"type"`
	Pairs          []feed.Pair       `json:"pairs"`
	Balances       []string          `json:"balances"`
	Currency       string            `json:"currency"`
	Seed           uint64            `json:"seed"`
	EquityInterval string            `json:"equity_interval"`
	Sim            config.Sim        `json:"sim"`
	Data           []report.DataFile `json:"data"`
	// Normalizer: the events made of the same data change with the connection rules.
	Normalizer int `json:"normalizer"`
}

func sweepIdentity(c *config.Config, inst *config.Strategy, files []report.DataFile, version string) string {
	id := identity{Version: version, Type: inst.Type, Pairs: inst.Pairs, Currency: inst.AccountCurrency,
		Seed: c.Seed, EquityInterval: c.EquityInterval.String(), Sim: c.Sim, Data: files, Normalizer: kraken.NormalizerVersion}
	for _, b := range inst.Balances {
		id.Balances = append(id.Balances, b.Asset+"="+b.Amount.String())
	}
	b, _ := json.Marshal(id)
	return sha(b)
}

// trialKey is the results database key of a trial: identity, window and parameters.
func trialKey(ident string, t *Trial) string {
	return sha([]byte(ident + "\n" + formatTime(t.From) + "\n" + formatTime(t.To) + "\n" + t.Hash))[:32]
}

// Sweep runs a parameter search: every trial of Trials (this shard's share) is a backtest of
// the searched instance alone on the shared in-memory events, run Parallel at a time.
// Finished trials are stored in the SQLite database as they complete, and trials already
// there (same identity, window and parameters) are not run again. Results are ranked by the
// metric into sweep.csv; a walk-forward sweep also writes walkforward.csv.
func Sweep(ctx context.Context, opts SweepOptions) (*SweepResult, error) {
	c := opts.Config
	if c == nil || opts.Registry == nil {
		return nil, errors.New("backtest: SweepOptions.Config and SweepOptions.Registry are required")
	}
	if c.Sweep == nil {
		return nil, errors.New("backtest: the config has no sweep section")
	}
	sw := *c.Sweep
	if opts.WalkForward != nil {
		sw.WalkForward = opts.WalkForward
	}
	if opts.Shards > 1 && sw.WalkForward != nil {
		return nil, errors.New("backtest: a walk-forward sweep cannot be sharded (each window needs all its trials to pick the best)")
	}
	if opts.Shards > 1 && (opts.Shard < 0 || opts.Shard >= opts.Shards) {
		return nil, fmt.Errorf("backtest: shard %d/%d: want 0 <= shard < %d", opts.Shard, opts.Shards, opts.Shards)
	}
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	inst, _ := c.Strategy(sw.Strategy)
	lower, ok := config.LowerIsBetter(sw.Metric)
	if !ok || inst == nil {
		return nil, fmt.Errorf("backtest: sweep: bad metric %q or instance %q", sw.Metric, sw.Strategy)
	}
	trials, err := Trials(c)
	if err != nil {
		return nil, err
	}
	trials = Shard(trials, opts.Shard, opts.Shards)

	out := opts.Out
	if out == "" {
		out = sw.Out
	}
	if out == "" {
		out = "sweep"
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	dbPath := opts.DB
	if dbPath == "" {
		dbPath = sw.DB
	}
	if dbPath == "" {
		dbPath = filepath.Join(out, "sweep.db")
	}

	evs := opts.Events
	if evs == nil {
		path := opts.Data
		if path == "" {
			path = c.Data.Path
		}
		if path == "" {
			return nil, errors.New("backtest: no data: give --data or data.path in the config")
		}
		// Decoded once; every trial replays these shared events.
		if evs, err = LoadEventsCached(ctx, path, inst.Pairs, opts.Cache, log); err != nil {
			return nil, err
		}
	}
	from, to := opts.From, opts.To
	if from.IsZero() {
		from = c.Data.From
	}
	if to.IsZero() {
		to = c.Data.To
	}
	db, err := openResults(dbPath)
	if err != nil {
		return nil, err
	}
	defer db.close()

	s := &sweeper{
		opts: opts, c: c, inst: inst, evs: evs, log: log, db: db, metric: sw.Metric, lower: lower,
		ident:   sweepIdentity(c, inst, evs.Files(), opts.Version),
		markets: make(map[[2]time.Time]*report.Market),
	}
	s.parallel = opts.Parallel
	if s.parallel <= 0 {
		s.parallel = sw.Parallel
	}
	if s.parallel <= 0 {
		s.parallel = runtime.GOMAXPROCS(0)
	}
	res := &SweepResult{Metric: sw.Metric}
	for _, p := range sw.Params {
		res.Params = append(res.Params, p.Name)
	}
	if sw.WalkForward == nil {
		for i := range trials {
			trials[i].From, trials[i].To = from, to
		}
		rs, err := s.run(ctx, trials)
		if err != nil {
			return nil, err
		}
		res.Results = s.rank(rs)
		res.Overfitting = overfitting(res.Results)
	} else {
		if err := s.walkForward(ctx, trials, *sw.WalkForward, from, to, res); err != nil {
			return nil, err
		}
	}
	for _, r := range res.Results {
		switch {
		case r.Cached:
			res.Cached++
		case r.Status == "ok":
			res.Ran++
		}
		switch r.Status {
		case "invalid":
			res.Invalid++
		case "failed":
			res.Failed++
		}
	}
	if err := writeSweepCSV(filepath.Join(out, "sweep.csv"), res, sw.Params); err != nil {
		return nil, err
	}
	if err := writeSweepSummary(filepath.Join(out, "summary.json"), res, opts); err != nil {
		return nil, err
	}
	if sw.WalkForward != nil {
		if err := writeWalkForwardCSV(filepath.Join(out, "walkforward.csv"), res, sw.Params); err != nil {
			return nil, err
		}
	}
	return res, nil
}

type sweeper struct {
	opts     SweepOptions
	c        *config.Config
	inst     *config.Strategy
	evs      *Events
	log      *zap.Logger
	db       *resultsDB
	ident    string
	metric   string
	lower    bool
	parallel int
	markets  map[[2]time.Time]*report.Market // per data range, built before trials start
}

// market returns the buy-and-hold prices of a range, computed once.
func (s *sweeper) market(from, to time.Time) *report.Market {
	k := [2]time.Time{from, to}
	if m, ok := s.markets[k]; ok {
		return m
	}
	m := s.evs.Market(from, to, s.inst.Pairs, min(s.c.EquityInterval, time.Minute))
	s.markets[k] = m
	return m
}

// run evaluates trials (cached ones from the database), parallel at a time, and returns
// their results in trial order.
func (s *sweeper) run(ctx context.Context, trials []Trial) ([]TrialResult, error) {
	results := make([]TrialResult, len(trials))
	var todo []int
	for i := range trials {
		t := &trials[i]
		s.market(t.From, t.To) // before the goroutines: the map is read-only while they run
		if r, ok, err := s.db.get(trialKey(s.ident, t)); err != nil {
			return nil, err
		} else if ok {
			r.Trial = *t
			r.Cached = true
			r.Metric = metricOf(r.Summary, s.metric)
			results[i] = r
			continue
		}
		todo = append(todo, i)
	}
	if p := s.opts.Progress; p != nil {
		p.Planned(len(trials), len(trials)-len(todo))
	}
	slots := make(chan int, s.parallel)
	for i := range s.parallel {
		slots <- i
	}
	done := make(chan int)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(s.parallel + 1)
	// The collector stores each result as it completes, so an interrupted sweep keeps its
	// finished trials.
	var storeErr error
	g.Go(func() error {
		for i := range done {
			r := &results[i]
			if r.Status == "failed" && gctx.Err() != nil {
				continue // cancelled, not failed: run it again next time
			}
			if err := s.db.put(trialKey(s.ident, &r.Trial), s.inst.Type, r); err != nil && storeErr == nil {
				storeErr = err
			}
		}
		return storeErr
	})
	var runErr error
	for _, i := range todo {
		if gctx.Err() != nil {
			break
		}
		slot := <-slots
		g.Go(func() error {
			defer func() { slots <- slot }()
			results[i] = s.trial(gctx, slot, trials[i])
			if p := s.opts.Progress; p != nil {
				p.TrialFinished(slot, results[i])
			}
			done <- i
			return nil
		})
	}
	// Wait for the trials (they hold all the slots when done), then stop the collector.
	for range s.parallel {
		<-slots
	}
	close(done)
	if err := g.Wait(); err != nil {
		runErr = err
	}
	if runErr != nil {
		return nil, runErr
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("backtest: sweep interrupted (finished trials are saved): %w", err)
	}
	return results, nil
}

// trial runs one trial: the searched instance alone, on a replay of its data range.
func (s *sweeper) trial(ctx context.Context, slot int, t Trial) TrialResult {
	r := TrialResult{Trial: t, Metric: math.NaN()}
	st := *s.inst
	st.Params = t.Params
	in, err := NewInstance(s.c, &st, s.opts.Registry, nil)
	if err != nil {
		r.Status, r.Err = "invalid", err.Error()
		return r
	}
	events := s.evs.Count(t.From, t.To)
	p := s.opts.Progress
	if p != nil {
		p.TrialStarted(slot, t, events)
	}
	src, obs := s.evs.replay(t.From, t.To, nil, s.c.EquityInterval, nil)
	if p != nil {
		obs.progress = func(pr Progress) { p.TrialAdvanced(slot, int(pr.Events)) }
	}
	desc := report.Instance{
		Name: in.Name, Type: st.Type, Params: t.Params.Clone(), Pairs: st.Pairs, AccountCurrency: st.AccountCurrency,
		FillModel: in.Sim.Model.String(), InitialBalances: st.Balances, EquityInterval: s.c.EquityInterval,
	}
	col := report.NewCollector(desc)
	pairs := s.opts.Pairs
	if pairs == nil {
		pairs = kraken.DefaultPairs()
	}
	eres, err := engine.Run(ctx, engine.Config{
		Sources: []feed.Source{src}, Instances: []engine.Instance{in}, Pairs: pairs.Lookup,
		Mode: engine.Backtest, EquityInterval: s.c.EquityInterval, Recorder: col,
	})
	if err == nil && ctx.Err() != nil {
		err = ctx.Err()
	}
	if err != nil {
		r.Status, r.Err = "failed", err.Error()
		return r
	}
	if s.opts.TrialSeen != nil {
		s.opts.TrialSeen(t, obs.first, obs.last)
	}
	ir := eres.Instances[0]
	if ir.Start.IsZero() {
		ir.Start = obs.first
	}
	sum := col.Summary(ir, s.markets[[2]time.Time{t.From, t.To}])
	r.Summary = &sum
	r.Status = "ok"
	if sum.Fault != "" {
		r.Status, r.Err = "failed", sum.Fault
	}
	r.Metric = metricOf(&sum, s.metric)
	r.Returns = trialReturns(col.Equity(), s.c.EquityInterval)
	return r
}

// metricOf returns the ranking metric of a summary (NaN when undefined).
func metricOf(s *report.Strategy, metric string) float64 {
	if s == nil {
		return math.NaN()
	}
	num := func(n report.Num) float64 {
		if !n.Valid() {
			return math.NaN()
		}
		return float64(n)
	}
	dec := func(v string) float64 {
		var f float64
		if _, err := fmt.Sscan(v, &f); err != nil {
			return math.NaN()
		}
		return f
	}
	switch metric {
	case "return":
		return num(s.Return)
	// Annualised metrics are null on windows shorter than report.MinAnnualSpan; every trial
	// of a sweep (or of one walk-forward window) covers the same window, so ranking by the
	// un-annualised counterpart gives the order the annualised metric would (exactly for
	// cagr, sharpe and sortino; calmar ranks by return over max drawdown).
	case "cagr":
		if s.AnnualNote != "" {
			return num(s.Return)
		}
		return num(s.CAGR)
	case "sharpe":
		if s.AnnualNote != "" {
			return num(s.SharpePeriod)
		}
		return num(s.Sharpe)
	case "sortino":
		if s.AnnualNote != "" {
			return num(s.SortinoPeriod)
		}
		return num(s.Sortino)
	case "calmar":
		if s.AnnualNote != "" {
			if !s.MaxDD.Valid() || s.MaxDD <= 0 {
				return math.NaN()
			}
			return num(s.Return) / float64(s.MaxDD)
		}
		return num(s.Calmar)
	case "max_drawdown":
		return num(s.MaxDD)
	case "profit_factor":
		return num(s.ProfitFactor)
	case "win_rate":
		return num(s.WinRate)
	case "expectancy":
		return dec(s.Expectancy)
	case "final_equity":
		return dec(s.FinalEquity)
	case "trades":
		return float64(s.Trades)
	case "fees":
		return dec(s.Fees)
	}
	return math.NaN()
}

// rank orders results best first: valid metrics by the metric (ascending when lower is
// better), then trials without a metric, then invalid and failed ones; ties by index.
func (s *sweeper) rank(rs []TrialResult) []TrialResult {
	out := slices.Clone(rs)
	class := func(r *TrialResult) int {
		switch {
		case r.Status == "ok" && !math.IsNaN(r.Metric):
			return 0
		case r.Status == "ok":
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b TrialResult) int {
		if c := cmp.Compare(class(&a), class(&b)); c != 0 {
			return c
		}
		if class(&a) == 0 && a.Metric != b.Metric {
			if s.lower {
				return cmp.Compare(a.Metric, b.Metric)
			}
			return cmp.Compare(b.Metric, a.Metric)
		}
		return cmp.Compare(a.Index, b.Index)
	})
	return out
}
