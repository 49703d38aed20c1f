package backtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// Options configure a backtest.
type Options struct {
	// Config is the loaded run config; Registry builds its strategies.
	Config   *config.Config
	Registry *strategy.Registry
	// Pairs is the pair table (nil: kraken.DefaultPairs()).
	Pairs *kraken.Pairs
	// Data is a tape directory or segment file; "" means Config.Data.Path. Events, when set,
	// replays those in-memory events instead (tests, sweeps).
	Data   string
	Events *Events
	// From and To bound the replay by receive time (From <= t < To); zero values fall back
	// to Config.Data.
	From, To time.Time
	// Models are the fill models to run every instance under (nil: Config.Models()). With
	// more than one, instances are named "name@model".
	Models []sim.FillModel
	// Out is the results directory (created if needed); "" writes no files.
	Out string
	// Version is recorded in the manifest and summary.
	Version string
	// Now reads the wall clock for Run.WallSeconds (nil: not measured). Everything else in
	// a backtest runs on event time.
	Now func() time.Time
	// Progress, when set, is called from the replay every 65536 events and once at the end.
	Progress func(Progress)
	// Cache is the directory of the decoded-event cache ("" or CacheOff: none; the CLI uses
	// DefaultCacheDir). A whole-tape replay (no From/To) reads the tape's cached events when
	// the cache holds them, and writes them there when it does not; windows decode the tape.
	Cache string
	Log   *zap.Logger
}

// Result is what a backtest produced.
type Result struct {
	Summary    *report.Summary
	Collectors []*report.Collector // per instance, in Summary order
	Market     *report.Market
	Engine     *engine.Result
	Manifest   *Manifest
}

// Manifest records everything a run's results depend on. Two runs with equal manifests (same
// config text, seed, data hashes, models and papertrade version) produce identical results;
// it is written to manifest.json and its SHA-256 is in summary.json.
type Manifest struct {
	Format     string            `json:"format"` // "papertrade-run"
	Version    int               `json:"version"`
	Papertrade string            `json:"papertrade"`
	Mode       string            `json:"mode"`
	Config     string            `json:"config"` // the config file as written
	ConfigHash string            `json:"config_sha256"`
	Seed       uint64            `json:"seed"`
	Data       []report.DataFile `json:"data"`
	From       string            `json:"from,omitempty"`
	To         string            `json:"to,omitempty"`
	FillModels []string          `json:"fill_models"`
	Instances  []string          `json:"instances"`
}

// ManifestFormat and ManifestVersion identify manifest.json.
const (
	ManifestFormat  = "papertrade-run"
	ManifestVersion = 1
)

// Instances returns the engine instances of a run: every strategy of c under every model,
// named "name@model" when there is more than one model, with the report's description of
// each.
func Instances(c *config.Config, reg *strategy.Registry, models []sim.FillModel, log *zap.Logger) ([]engine.Instance, []report.Instance, error) {
	if len(models) == 0 {
		models = c.Models()
	}
	var ins []engine.Instance
	var descs []report.Instance
	for i := range c.Strategies {
		s := &c.Strategies[i]
		for _, m := range models {
			in, err := NewInstance(c, s, reg, log)
			if err != nil {
				return nil, nil, err
			}
			if len(models) > 1 {
				in.Name = s.Name + "@" + m.String()
				in.Log = in.Log.Named(m.String())
			}
			in.Sim.Model = m
			ins = append(ins, in)
			descs = append(descs, report.Instance{
				Name: in.Name, Type: s.Type, Params: s.Params.Clone(), Pairs: s.Pairs,
				AccountCurrency: s.AccountCurrency, FillModel: m.String(),
				InitialBalances: s.Balances, EquityInterval: c.EquityInterval,
			})
		}
	}
	return ins, descs, nil
}

// Run replays the data through engine.Run in backtest mode (lossless, deterministic) with
// every instance of the config, streams the records to the results directory and returns
// the summary. With Out set it writes summary.json, manifest.json, fills.csv, orders.csv,
// equity.csv and report.html there.
func Run(ctx context.Context, opts Options) (*Result, error) {
	c := opts.Config
	if c == nil || opts.Registry == nil {
		return nil, errors.New("backtest: Options.Config and Options.Registry are required")
	}
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	pairs := opts.Pairs
	if pairs == nil {
		pairs = kraken.DefaultPairs()
	}
	var start time.Time
	if opts.Now != nil {
		start = opts.Now()
	}
	models := opts.Models
	if len(models) == 0 {
		models = c.Models()
	}
	from, to := opts.From, opts.To
	if from.IsZero() {
		from = c.Data.From
	}
	if to.IsZero() {
		to = c.Data.To
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		return nil, fmt.Errorf("backtest: --from %s is not before --to %s", from.Format(time.RFC3339), to.Format(time.RFC3339))
	}
	dataPath := opts.Data
	if dataPath == "" {
		dataPath = c.Data.Path
	}
	if opts.Events == nil && dataPath == "" {
		return nil, errors.New("backtest: no data: give --data or data.path in the config")
	}
	ins, descs, err := Instances(c, opts.Registry, models, log)
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}

	var parts string
	if opts.Out != "" {
		if err := os.MkdirAll(opts.Out, 0o755); err != nil {
			return nil, fmt.Errorf("backtest: %w", err)
		}
		parts = filepath.Join(opts.Out, ".parts")
		if err := os.MkdirAll(parts, 0o755); err != nil {
			return nil, fmt.Errorf("backtest: %w", err)
		}
	}
	sk, err := newSink(parts, descs)
	if err != nil {
		return nil, err
	}

	// The replay: a tape read and decoded on the fly, or in-memory events.
	var src feed.Source
	var obs *observer
	var files []report.DataFile
	if opts.Events != nil {
		src, obs = opts.Events.replay(from, to, c.Pairs(), c.EquityInterval, opts.Progress)
		files = opts.Events.Files()
	} else {
		td, err := openTape(dataPath, tape.Range{From: from, To: to}, c.Pairs(), c.EquityInterval, opts.Progress, log)
		if err != nil {
			sk.abort()
			return nil, err
		}
		src, obs = td.source(), td.obs
		if opts.Cache != "" && opts.Cache != CacheOff && from.IsZero() && to.IsZero() {
			// The cache is keyed by the data's hashes: hash first, then replay.
			if files, err = DataFiles(dataPath); err != nil {
				sk.abort()
				return nil, err
			}
			src = cachedOrWriting(td, files, opts.Cache, c.Pairs(), log)
		}
	}

	// Hash the data while it is replayed (one more reader of the files, on its own core).
	g, gctx := errgroup.WithContext(ctx)
	if files == nil {
		g.Go(func() error {
			var err error
			files, err = DataFiles(dataPath)
			return err
		})
	}
	var eres *engine.Result
	g.Go(func() error {
		var err error
		eres, err = engine.Run(gctx, engine.Config{
			Sources:        []feed.Source{src},
			Instances:      ins,
			Pairs:          pairs.Lookup,
			Mode:           engine.Backtest,
			EquityInterval: c.EquityInterval,
			Recorder:       sk,
			Log:            log,
		})
		return err
	})
	if err := g.Wait(); err != nil {
		sk.abort()
		return nil, fmt.Errorf("backtest: %w", err)
	}
	if err := ctx.Err(); err != nil {
		sk.abort()
		return nil, fmt.Errorf("backtest: interrupted: %w", err)
	}
	if opts.Progress != nil {
		opts.Progress(obs.snapshot(true))
	}
	if err := sk.merge(opts.Out); err != nil {
		return nil, err
	}

	market := obs.market.Market()
	man := &Manifest{
		Format: ManifestFormat, Version: ManifestVersion, Papertrade: opts.Version, Mode: "backtest",
		Config: string(c.Raw), ConfigHash: sha(c.Raw), Seed: c.Seed, Data: files,
		From: formatTime(from), To: formatTime(to),
	}
	for _, m := range models {
		man.FillModels = append(man.FillModels, m.String())
	}
	for _, in := range ins {
		man.Instances = append(man.Instances, in.Name)
	}
	manJSON, err := marshal(man)
	if err != nil {
		return nil, err
	}
	sum := &report.Summary{Run: report.Run{
		Version: opts.Version, Mode: "backtest", Config: filepath.Base(c.Path), ConfigHash: man.ConfigHash,
		Seed: c.Seed, Data: files, From: man.From, To: man.To, FillModels: man.FillModels,
		Manifest: sha(manJSON), Events: eres.Events, Trades: obs.trades,
		FirstTime: formatTime(obs.first), LastTime: formatTime(obs.last),
	}}
	if c.Path == "" {
		sum.Run.Config = ""
	}
	res := &Result{Summary: sum, Market: market, Engine: eres, Manifest: man}
	for i, is := range sk.insts {
		ir := eres.Instances[i]
		if ir.Start.IsZero() {
			// The first event had no exchange time (a v2 book snapshot): the instance started
			// with the data.
			ir.Start = obs.first
		}
		st := is.col.Summary(ir, market)
		st.CI = confidenceIntervals(&st, is.col.Equity(), c.EquityInterval, c.Seed, i)
		sum.Strategies = append(sum.Strategies, st)
		res.Collectors = append(res.Collectors, is.col)
	}
	if opts.Now != nil {
		sum.Run.WallSeconds = math.Round(opts.Now().Sub(start).Seconds()*1000) / 1000
	}
	if opts.Out != "" {
		if err := writeResults(opts.Out, res, manJSON, string(c.Raw)); err != nil {
			return nil, err
		}
	}
	return res, nil
}

func writeResults(dir string, res *Result, manJSON []byte, cfgText string) error {
	sumJSON, err := res.Summary.JSON()
	if err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, report.HTMLInput{
		Title: "papertrade backtest", Summary: res.Summary, Collectors: res.Collectors,
		Market: res.Market, Config: cfgText,
	}); err != nil {
		return fmt.Errorf("backtest: %w", err)
	}
	for _, f := range []struct {
		name string
		b    []byte
	}{{"manifest.json", manJSON}, {"summary.json", sumJSON}, {"report.html", html.Bytes()}} {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.b, 0o644); err != nil {
			return fmt.Errorf("backtest: %w", err)
		}
	}
	return nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	return b.Bytes(), nil
}

func sha(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339Nano)
}
