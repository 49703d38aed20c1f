package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"
	"go.uber.org/zap"
	"golang.org/x/term"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed/kraken"
)

type backtestOptions struct {
	config        string
	data          string
	from, to      string
	out           string
	models        string
	exampleConfig bool
	quiet         bool
	cache         string
}

func newBacktestCmd(a *app) *cobra.Command {
	var o backtestOptions
	cmd := &cobra.Command{
		Use:   "backtest -c run.yaml --data DIR_OR_FILE --out DIR [--from T --to T] [--fill-models pessimistic,default,optimistic]",
		Short: "Replay recorded market data through the strategies of a run config, deterministically",
		Long: `backtest replays a recording (a tape directory or one segment file, from papertrade record,
download, import or tape synth) through the same engine a live session uses, in backtest mode:
lossless, on event time, with seeded randomness. The same config, data and papertrade version
always give byte-identical results.

It writes to --out: summary.json (metrics per strategy instance and the run), manifest.json (what
the results depend on: config, seed, data file hashes, version), fills.csv, orders.csv, equity.csv
and report.html (one self-contained page, works offline), and prints a summary table.

--fill-models runs every instance under each listed fill model in one pass (instances are named
name@model) and shows the range of each metric across them (a range, not a ranking). Times for --from/--to are RFC 3339 or dates
(2025-01-02). --example-config prints a commented config that runs as-is on a tape made by
"papertrade tape synth".

Exit codes: 0 ok; 1 the run failed; 2 bad flags or config; 6 results written but incomplete
(a strategy stopped early on an error or panic, or the window held no market data).`,
		Example: `  papertrade backtest --example-config > run.yaml
  papertrade tape synth --out tape --trades 100000
  papertrade backtest -c run.yaml --data tape --out results
  papertrade backtest -c run.yaml --data tape --out band --fill-models pessimistic,default,optimistic`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.exampleConfig {
				_, err := io.WriteString(a.stdout, config.ExampleYAML)
				return err
			}
			return runBacktest(cmd.Context(), a, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.config, "config", "c", "", "run config file (YAML; see --example-config)")
	f.StringVar(&o.data, "data", "", "tape directory or segment file (default: data.path of the config)")
	f.StringVar(&o.from, "from", "", "replay data received at or after this time (RFC 3339 or date)")
	f.StringVar(&o.to, "to", "", "replay data received before this time (RFC 3339 or date)")
	f.StringVar(&o.out, "out", "results", "directory for the results")
	f.StringVar(&o.models, "fill-models", "", "comma-separated fill models to run every instance under (default: the config's)")
	f.BoolVar(&o.exampleConfig, "example-config", false, "print a commented example config and exit")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "no progress bar or table")
	cacheFlag(cmd, &o.cache)
	return cmd
}

// cacheFlag adds --cache: where decoded events are kept between replays of a tape.
func cacheFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVar(dst, "cache", backtest.DefaultCacheDir(), `decoded-event cache directory ("off": none); a whole-tape replay reads a tape's events from it, or writes them there, instead of decoding JSON again`)
}

// loadRunConfig loads a run config; problems in it are usage errors (exit 2).
func loadRunConfig(a *app, path string) (*config.Config, error) {
	if path == "" {
		return nil, &usageError{errors.New("-c/--config is required (papertrade backtest --example-config prints one)")}
	}
	c, err := config.Load(path, a.registry, kraken.DefaultPairs())
	if err != nil {
		return nil, &usageError{err}
	}
	return c, nil
}

func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := config.ParseTime(v)
	if err != nil {
		return time.Time{}, &usageError{fmt.Errorf("--%s: %w", name, err)}
	}
	return t, nil
}

func parseModels(s string) ([]sim.FillModel, error) {
	if s == "" {
		return nil, nil
	}
	var out []sim.FillModel
	for name := range strings.SplitSeq(s, ",") {
		m, err := sim.ParseFillModel(strings.TrimSpace(name))
		if err != nil {
			return nil, &usageError{fmt.Errorf("--fill-models: %w", err)}
		}
		for _, x := range out {
			if x == m {
				return nil, &usageError{fmt.Errorf("--fill-models: %s listed twice", m)}
			}
		}
		out = append(out, m)
	}
	return out, nil
}

func runBacktest(ctx context.Context, a *app, o backtestOptions) error {
	c, err := loadRunConfig(a, o.config)
	if err != nil {
		return err
	}
	from, err := parseTimeFlag("from", o.from)
	if err != nil {
		return err
	}
	to, err := parseTimeFlag("to", o.to)
	if err != nil {
		return err
	}
	models, err := parseModels(o.models)
	if err != nil {
		return err
	}
	if o.out == "" {
		return &usageError{errors.New("--out must name a directory")}
	}
	pr := newReplayProgress(a, "backtest", o.quiet)
	res, err := backtest.Run(ctx, backtest.Options{
		Config: c, Registry: a.registry, Data: o.data, From: from, To: to, Models: models,
		Out: o.out, Version: Version, Now: time.Now, Progress: pr.update, Cache: o.cache, Log: a.log.Named("backtest"),
	})
	pr.finish(err == nil)
	if err != nil {
		return err
	}
	if !o.quiet {
		if err := report.WriteTable(a.stdout, res.Summary); err != nil {
			return err
		}
	}
	faults := 0
	for _, s := range res.Summary.Strategies {
		if s.Fault != "" {
			faults++
			if o.quiet {
				// Without the table (which notes each fault under it) the log says it; with
				// it, a log line on stderr would land in the middle of the table.
				a.log.Warn("strategy stopped early", zap.String("instance", s.Name), zap.String("fault", s.Fault))
			}
		}
	}
	r := res.Summary.Run
	fmt.Fprintf(a.stdout, "\n%d events (%d trades) in %.2fs\nresults in %s: report.html, summary.json, fills.csv, orders.csv, equity.csv, manifest.json\n",
		r.Events, r.Trades, r.WallSeconds, o.out)
	if r.Events == 0 {
		return &ExitCodeError{Code: ExitIncomplete, Err: fmt.Errorf("no market data in the window%s: check --from/--to (or data.from/to) against the tape's time range (papertrade tape info %s)",
			windowText(from, to), dataPath(o, c))}
	}
	if faults > 0 {
		return &ExitCodeError{Code: ExitIncomplete, Err: fmt.Errorf("%d instance(s) stopped early: see \"fault\" in %s/summary.json", faults, o.out)}
	}
	return nil
}

// windowText names a --from/--to window for messages ("" when unbounded).
func windowText(from, to time.Time) string {
	switch {
	case from.IsZero() && to.IsZero():
		return ""
	case to.IsZero():
		return " from " + from.UTC().Format(time.RFC3339)
	case from.IsZero():
		return " before " + to.UTC().Format(time.RFC3339)
	}
	return " " + from.UTC().Format(time.RFC3339) + " .. " + to.UTC().Format(time.RFC3339)
}

// dataPath is the tape a backtest read, for messages.
func dataPath(o backtestOptions, c *config.Config) string {
	if o.data != "" {
		return o.data
	}
	return c.Data.Path
}

// isTerminal reports whether w is a terminal (progress bars go there; logs otherwise).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// replayProgress shows a backtest's progress: a bar on a terminal (stderr), else a log
// line every 10%. update is called from the replay goroutine.
type replayProgress struct {
	a     *app
	quiet bool
	label string
	p     *mpb.Progress
	bar   *mpb.Bar
	mu    sync.Mutex
	tenth int
	last  backtest.Progress
}

func newReplayProgress(a *app, label string, quiet bool) *replayProgress {
	rp := &replayProgress{a: a, label: label, quiet: quiet}
	if quiet {
		return rp
	}
	if isTerminal(a.stderr) {
		rp.p = mpb.New(mpb.WithOutput(a.stderr), mpb.WithWidth(50), mpb.WithRefreshRate(150*time.Millisecond))
		rp.bar = rp.p.AddBar(1000,
			mpb.PrependDecorators(decor.Name(label+" "), decor.Percentage(decor.WCSyncSpace)),
			mpb.AppendDecorators(decor.Any(func(decor.Statistics) string {
				rp.mu.Lock()
				defer rp.mu.Unlock()
				t := ""
				if !rp.last.Time.IsZero() {
					t = rp.last.Time.UTC().Format("2006-01-02 15:04")
				}
				return fmt.Sprintf(" %d events %s", rp.last.Events, t)
			}), decor.Name(" "), decor.AverageETA(decor.ET_STYLE_GO)))
	}
	return rp
}

func (rp *replayProgress) update(p backtest.Progress) {
	if rp.quiet {
		return
	}
	rp.mu.Lock()
	rp.last = p
	rp.mu.Unlock()
	if rp.bar != nil {
		rp.bar.SetCurrent(int64(p.Fraction * 1000))
		return
	}
	if tenth := int(p.Fraction * 10); tenth > rp.tenth && !p.Done {
		rp.tenth = tenth
		rp.a.log.Info(rp.label+" progress", zap.Int("percent", tenth*10), zap.Uint64("events", p.Events),
			zap.Uint64("trades", p.Trades), zap.Time("event_time", p.Time))
	}
}

// finish completes (or aborts) the bar and waits for the progress goroutine to stop.
func (rp *replayProgress) finish(ok bool) {
	if rp.p == nil {
		return
	}
	if ok {
		rp.bar.SetTotal(-1, true)
	} else {
		rp.bar.Abort(false)
	}
	rp.p.Wait()
}
