package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
)

type sweepOptions struct {
	config      string
	data        string
	from, to    string
	out, db     string
	shard       string
	shards      int
	parallel    int
	walkForward string
	top         int
	quiet       bool
	example     bool
	cache       string
}

func newSweepCmd(a *app) *cobra.Command {
	var o sweepOptions
	cmd := &cobra.Command{
		Use:   "sweep -c sweep.yaml [--data DIR] [--out DIR] [--shard i/N] [--walk-forward train=30d,test=7d]",
		Short: "Search strategy parameters: parallel grid or random search, resumable, shardable, walk-forward",
		Long: `sweep runs the parameter search described in the sweep section of a run config (see
"papertrade backtest --example-config"): every combination of the listed values (grid) or a number
of seeded random draws from them (random), each a backtest of the searched instance alone. The data
is decoded once and shared in memory by all trials, which run --parallel at a time.

Results go to --out: sweep.csv (every trial, ranked by the metric), summary.json and sweep.db, a
SQLite table keyed by a hash of the parameters and of everything else the result depends on (data
hashes, simulator settings, seed, version, window). A re-run skips the trials already in the
database, so an interrupted sweep resumes where it stopped.

Picking the best of many trials flatters it. A plain sweep says how much of the best result is
luck: the Deflated Sharpe Ratio (DSR, Bailey & López de Prado 2014) of the top-ranked trial is the
probability that its Sharpe ratio beats what the best of that many skill-less trials would show
(0.95 or more is a discovery), and the Probability of Backtest Overfitting (PBO, Bailey, Borwein,
López de Prado & Zhu 2015) is the share of the 12,870 ways of splitting the data into 8 of 16
time blocks in sample and 8 out of sample where the trial with the best in-sample Sharpe ratio
ends at or below the median out of sample (about 0.5 for pure luck, near 0 for a real edge).
Both, with a one-line verdict, are printed under the table and written to summary.json; sweep.csv
has each trial's per-period Sharpe ratio and DSR.

--shard i/N runs only the trials whose index is i modulo N (i from 0), so N machines (Kubernetes
Indexed Jobs, Slurm arrays, GNU parallel) split a sweep deterministically; with --shards N, i comes
from $JOB_COMPLETION_INDEX. Shard databases merge by key:
  sqlite3 all.db "ATTACH 'shard1/sweep.db' AS s; INSERT OR IGNORE INTO trials SELECT * FROM s.trials;
    INSERT OR IGNORE INTO trial_returns SELECT * FROM s.trial_returns"
A shard's DSR and PBO cover its own trials; re-run the whole sweep on the merged database (every
trial cached) for the statistics of all of them.

--walk-forward train=30d,test=7d optimises on each training window, scores the winner on the test
window that follows, and moves on by the test length (walkforward.csv). Durations accept d and w.

On a data window shorter than 30 days the annualised metrics (cagr, sharpe, sortino, calmar) are
not defined; the ranking then uses their un-annualised counterparts (return, per-period Sharpe and
Sortino, return over max drawdown), which order the trials of one window the same way.

Exit codes: 0 ok; 1 the sweep failed; 2 bad flags or config.`,
		Example: `  papertrade sweep --example-config > sweep.yaml    # runs as is on a 'tape synth' tape
  papertrade sweep -c sweep.yaml --out sweep
  papertrade sweep -c sweep.yaml --shard 0/4 --out shard0
  papertrade sweep -c sweep.yaml --walk-forward train=7d,test=1d`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.example {
				// The example run config has a sweep section: one file serves backtest and sweep.
				_, err := io.WriteString(a.stdout, config.ExampleYAML)
				return err
			}
			return runSweep(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.config, "config", "c", "", "run config with a sweep section (YAML)")
	f.StringVar(&o.data, "data", "", "tape directory or segment file (default: data.path of the config)")
	f.StringVar(&o.from, "from", "", "use data received at or after this time (RFC 3339 or date)")
	f.StringVar(&o.to, "to", "", "use data received before this time (RFC 3339 or date)")
	f.StringVar(&o.out, "out", "", "results directory (default: sweep.out of the config, else ./sweep)")
	f.StringVar(&o.db, "db", "", "SQLite results file (default: OUT/sweep.db)")
	f.StringVar(&o.shard, "shard", "", "run shard i of N (i/N, i from 0)")
	f.IntVar(&o.shards, "shards", 0, "number of shards, this one being $JOB_COMPLETION_INDEX")
	f.IntVar(&o.parallel, "parallel", 0, "trials run at once (default: sweep.parallel, else one per CPU)")
	f.StringVar(&o.walkForward, "walk-forward", "", "walk-forward windows, train=DUR,test=DUR (e.g. train=30d,test=7d)")
	f.IntVar(&o.top, "top", 10, "ranked trials to print")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bars or tables")
	f.BoolVar(&o.example, "example-config", false, "print a commented run config with a sweep section and exit")
	cacheFlag(cmd, &o.cache)
	return cmd
}

// parseShard reads --shard i/N, or --shards N with i from $JOB_COMPLETION_INDEX.
func parseShard(shard string, shards int) (int, int, error) {
	if shard != "" {
		is, ns, ok := strings.Cut(shard, "/")
		i, err1 := strconv.Atoi(is)
		n, err2 := strconv.Atoi(ns)
		if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
			return 0, 0, &usageError{fmt.Errorf("--shard %q: want i/N with 0 <= i < N", shard)}
		}
		return i, n, nil
	}
	env, set := os.LookupEnv("JOB_COMPLETION_INDEX")
	switch {
	case shards > 0 && set:
		i, err := strconv.Atoi(env)
		if err != nil || i < 0 || i >= shards {
			return 0, 0, &usageError{fmt.Errorf("JOB_COMPLETION_INDEX=%q is not a shard of %d", env, shards)}
		}
		return i, shards, nil
	case shards > 0:
		return 0, 0, &usageError{errors.New("--shards needs $JOB_COMPLETION_INDEX (or give --shard i/N)")}
	case set:
		return 0, 0, &usageError{errors.New("$JOB_COMPLETION_INDEX is set: say how many shards there are with --shards N")}
	}
	return 0, 1, nil
}

// parseWalkForward reads train=DUR,test=DUR.
func parseWalkForward(s string) (*config.WalkForward, error) {
	if s == "" {
		return nil, nil
	}
	wf := &config.WalkForward{}
	for part := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		d, err := config.ParseDuration(v)
		if !ok || err != nil || d <= 0 {
			return nil, &usageError{fmt.Errorf("--walk-forward %q: want train=DUR,test=DUR with positive durations (e.g. train=30d,test=7d)", s)}
		}
		switch k {
		case "train":
			wf.Train = d
		case "test":
			wf.Test = d
		default:
			return nil, &usageError{fmt.Errorf("--walk-forward: unknown key %q (want train and test)", k)}
		}
	}
	if wf.Train <= 0 || wf.Test <= 0 {
		return nil, &usageError{fmt.Errorf("--walk-forward %q: give both train and test", s)}
	}
	return wf, nil
}

func runSweep(ctx context.Context, a *app, o sweepOptions) error {
	c, err := loadRunConfig(a, o.config)
	if err != nil {
		return err
	}
	if c.Sweep == nil {
		return &usageError{fmt.Errorf("%s has no sweep section (see papertrade backtest --example-config)", o.config)}
	}
	from, err := parseTimeFlag("from", o.from)
	if err != nil {
		return err
	}
	to, err := parseTimeFlag("to", o.to)
	if err != nil {
		return err
	}
	shard, shards, err := parseShard(o.shard, o.shards)
	if err != nil {
		return err
	}
	wf, err := parseWalkForward(o.walkForward)
	if err != nil {
		return err
	}
	out := o.out
	if out == "" {
		out = c.Sweep.Out
	}
	if out == "" {
		out = "sweep"
	}
	began := time.Now()
	pr := newSweepProgress(a, o.quiet)
	res, err := backtest.Sweep(ctx, backtest.SweepOptions{
		Config: c, Registry: a.registry, Data: o.data, From: from, To: to, Out: out, DB: o.db,
		Shard: shard, Shards: shards, Parallel: o.parallel, WalkForward: wf, Version: Version,
		Progress: pr, Cache: o.cache, Log: a.log.Named("sweep"),
	})
	pr.finish(err == nil)
	if err != nil {
		return err
	}
	if !o.quiet {
		printSweep(a, res, o.top)
	}
	shardText := ""
	if shards > 1 {
		shardText = fmt.Sprintf(" (shard %d/%d)", shard, shards)
	}
	fmt.Fprintf(a.stdout, "\n%d trials%s: %d ran, %d cached, %d invalid, %d failed in %.1fs\nresults in %s (sweep.csv, summary.json, sweep.db%s)\n",
		len(res.Results), shardText, res.Ran, res.Cached, res.Invalid, res.Failed, time.Since(began).Seconds(), out,
		map[bool]string{true: ", walkforward.csv"}[len(res.Windows) > 0])
	return nil
}

func printSweep(a *app, res *backtest.SweepResult, top int) {
	tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
	label := metricLabel(res)
	if len(res.Windows) == 0 {
		fmt.Fprintf(tw, "rank\t%s\t%s\treturn\tmax dd\ttrips\tdsr\tstatus\n", strings.Join(res.Params, "\t"), label)
		for i, r := range res.Results {
			if i >= top {
				break
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", i+1, strings.Join(r.Values, "\t"), metricText(r.Metric),
				pctOf(r.Summary, "return"), pctOf(r.Summary, "max_drawdown"), tradesOf(r.Summary), dsrText(res.Overfitting, r.Returns), r.Status)
		}
	} else {
		fmt.Fprintf(tw, "window\ttrain\ttest\t%s\ttrain %s\ttest return\ttest sharpe\n", strings.Join(res.Params, "\t"), label)
		for _, w := range res.Windows {
			vals, metric, ret, sh := strings.Repeat("-\t", len(res.Params)), "-", "-", "-"
			if w.Best != nil {
				vals = strings.Join(w.Best.Values, "\t") + "\t"
				metric = metricText(w.Best.Metric)
			}
			if w.Test != nil {
				ret, sh = pctOf(w.Test.Summary, "return"), pctOf(w.Test.Summary, "sharpe")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s%s\t%s\t%s\n", w.Window, w.TrainFrom.Format("01-02 15:04")+"→"+w.TrainTo.Format("01-02 15:04"),
				w.TestFrom.Format("01-02 15:04")+"→"+w.TestTo.Format("01-02 15:04"), vals, metric, ret, sh)
		}
	}
	tw.Flush()
	if is, oos, n := backtest.Degradation(res.Windows); n > 0 {
		fmt.Fprintf(a.stdout, "\nwalk-forward over %d windows: sharpe/period in sample %s, out of sample %s (change %s)\n",
			n, metricText(is), metricText(oos), metricText(oos-is))
	}
	if o := res.Overfitting; o != nil {
		fmt.Fprintf(a.stdout, "\noverfitting over %d trials: deflated sharpe %s (0.95 is a discovery), PBO %s\n",
			o.Trials, fixed2(o.DSR), fixed2(o.PBO))
		fmt.Fprintln(a.stdout, wrap("verdict: "+o.Verdict, 98, "  ") /* continuation lines start with 2 spaces: at most 100 columns */)
	}
}

// dsrText is a trial's deflated Sharpe ratio in the terminal table ("-" when undefined).
func dsrText(o *backtest.Overfitting, tr *backtest.TrialReturns) string {
	if o == nil || tr == nil {
		return "-"
	}
	return fixed2(report.Num(o.DeflatedSharpeOf(tr)))
}

func fixed2(n report.Num) string {
	if !n.Valid() {
		return "-"
	}
	return strconv.FormatFloat(float64(n), 'f', 2, 64)
}

// metricLabel names the ranking column: on windows too short for annualised metrics the
// ranking used their un-annualised counterparts, and the header says which.
func metricLabel(res *backtest.SweepResult) string {
	short := false
	for _, r := range res.Results {
		if r.Summary != nil && r.Summary.AnnualNote != "" {
			short = true
			break
		}
	}
	if !short {
		return res.Metric
	}
	switch res.Metric {
	case "cagr":
		return "return (cagr n/a)"
	case "sharpe", "sortino":
		return res.Metric + "/period"
	case "calmar":
		return "return/max dd"
	}
	return res.Metric
}

// metricText formats a ranking value in at most 4 significant digits ("-" when undefined).
func metricText(v float64) string {
	if n := report.Num(v); !n.Valid() {
		return "-"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func pctOf(s *report.Strategy, what string) string {
	if s == nil {
		return "-"
	}
	switch what {
	case "return":
		return report.Pct(s.Return)
	case "max_drawdown":
		return report.Pct(s.MaxDD)
	}
	return report.Fixed2(s.Sharpe)
}

func tradesOf(s *report.Strategy) string {
	if s == nil {
		return "-"
	}
	return strconv.Itoa(s.Trades)
}

// sweepProgress shows a sweep on a terminal as one bar for all trials and one per running
// trial slot (mpb renders several bars at once); otherwise it logs about twenty lines. Its
// methods are called from the trial goroutines; a slot is used by one goroutine at a time.
// No lock is held while calling into mpb, whose render goroutine calls the decorators.
type sweepProgress struct {
	a        *app
	p        *mpb.Progress
	total    *mpb.Bar
	mu       sync.Mutex // guards the fields below
	slots    map[int]*slotBar
	planned  int
	finished int
	logEvery int
}

type slotBar struct {
	bar   *mpb.Bar
	mu    sync.Mutex
	label string
}

var _ backtest.SweepProgress = (*sweepProgress)(nil)

func newSweepProgress(a *app, quiet bool) *sweepProgress {
	sp := &sweepProgress{a: a, slots: map[int]*slotBar{}}
	if !quiet && isTerminal(a.stderr) {
		sp.p = mpb.New(mpb.WithOutput(a.stderr), mpb.WithWidth(40), mpb.WithRefreshRate(150*time.Millisecond))
		sp.total = sp.p.AddBar(0,
			mpb.PrependDecorators(decor.Name("trials "), decor.CountersNoUnit("%d/%d", decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Percentage(), decor.Name(" "), decor.AverageETA(decor.ET_STYLE_GO)))
	}
	if quiet {
		sp.logEvery = -1
	}
	return sp
}

func (sp *sweepProgress) Planned(total, done int) {
	sp.mu.Lock()
	sp.planned += total
	sp.finished += done
	sp.logEvery = max(1, sp.planned/20)
	planned, finished := sp.planned, sp.finished
	sp.mu.Unlock()
	if sp.total != nil {
		sp.total.SetTotal(int64(planned), false)
		sp.total.SetCurrent(int64(finished))
	}
}

func (sp *sweepProgress) slot(i int) *slotBar {
	sp.mu.Lock()
	sb := sp.slots[i]
	sp.mu.Unlock()
	if sb != nil {
		return sb
	}
	sb = &slotBar{}
	sb.bar = sp.p.AddBar(1,
		mpb.PrependDecorators(decor.Any(func(decor.Statistics) string {
			sb.mu.Lock()
			defer sb.mu.Unlock()
			return fmt.Sprintf("  #%-2d %-34.34s", i, sb.label)
		})),
		mpb.AppendDecorators(decor.Percentage()))
	sp.mu.Lock()
	sp.slots[i] = sb
	sp.mu.Unlock()
	return sb
}

func (sp *sweepProgress) TrialStarted(slot int, t backtest.Trial, events int) {
	if sp.p == nil {
		return
	}
	sb := sp.slot(slot)
	label := fmt.Sprintf("trial %d %s", t.Index, strings.Join(t.Values, " "))
	if t.Phase != "" {
		label = fmt.Sprintf("w%d %s %s", t.Window, t.Phase, label)
	}
	sb.mu.Lock()
	sb.label = label
	sb.mu.Unlock()
	sb.bar.SetTotal(int64(max(events, 1)), false)
	sb.bar.SetCurrent(0)
}

func (sp *sweepProgress) TrialAdvanced(slot, events int) {
	if sp.p == nil {
		return
	}
	sp.slot(slot).bar.SetCurrent(int64(events))
}

func (sp *sweepProgress) TrialFinished(_ int, r backtest.TrialResult) {
	sp.mu.Lock()
	sp.finished++
	n, every, planned := sp.finished, sp.logEvery, sp.planned
	sp.mu.Unlock()
	if sp.total != nil {
		sp.total.Increment()
		return
	}
	if r.Status != "ok" {
		sp.a.log.Warn("trial "+r.Status, zap.Int("trial", r.Index), zap.String("params", r.Params.String()), zap.String("error", r.Err))
	}
	if every > 0 && n%every == 0 {
		sp.a.log.Info("sweep progress", zap.Int("finished", n), zap.Int("planned", planned))
	}
}

// finish completes the bars and waits for the progress goroutine.
func (sp *sweepProgress) finish(ok bool) {
	if sp.p == nil {
		return
	}
	bars := []*mpb.Bar{sp.total}
	sp.mu.Lock()
	for _, sb := range sp.slots {
		bars = append(bars, sb.bar)
	}
	sp.mu.Unlock()
	for _, b := range bars {
		if ok {
			b.SetTotal(-1, true)
		} else {
			b.Abort(false)
		}
	}
	sp.p.Wait()
}
