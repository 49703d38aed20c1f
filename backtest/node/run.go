package node

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/dashboard"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/metrics"
	"github.com/papertrade/papertrade/engine/notify"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// run is one Run's state, built up in the order things must be refused or started.
type run struct {
	cfg      *Config
	log      *zap.Logger
	c        *config.Config
	ins      []engine.Instance
	descs    []report.Instance
	eqiv     time.Duration
	cc       kraken.ClientConfig
	channels []string
	depth    int

	jr    *journal.Journal
	hash  string
	start *journal.Start
	hub   *dashboard.Hub
	mets  *metrics.Metrics
	dash  *dashboard.Server
	msrv  *metrics.Server
	tw    *tape.Writer
	// manifest is the recording's manifest path, taken before the writer closes.
	manifest string
	src      *session.Live
	probe    engine.Probe

	collectors map[string]*report.Collector
	ordered    []*report.Collector
	market     *report.MarketRecorder
	lastLag    atomic.Int64
	trades     atomic.Uint64
	notif      *notify.Notifier // live.notify; nil: off
}

// Run runs the session until ctx ends, the Duration passes or the journal fails, and returns
// its result. Everything that can be refused (the run config, a journal of another config or
// a damaged one, a busy or refused address) is refused before the feed connects; such errors
// are *ConfigError, or wrap journal.ErrOtherConfig or journal.ErrDamaged. On the way out the
// strategies finish what they received, the recording and the journal are flushed and closed,
// and the listeners stop. A Result comes back whenever the engine ran, with the error of
// anything that failed on the way out.
func (n *Node) Run(ctx context.Context) (*Result, error) {
	r := &run{cfg: &n.cfg, log: n.cfg.Log.Named(n.cfg.Mode), c: n.cfg.Run}
	if err := r.prepare(); err != nil {
		return nil, err
	}
	if err := r.openJournal(ctx); err != nil {
		return nil, err
	}
	closeJournal := r.jr.Close
	defer func() {
		if closeJournal != nil {
			_ = closeJournal()
		}
	}()
	prev, err := r.jr.Reader().Sessions(ctx)
	if err != nil {
		return nil, err
	}
	cleanups, err := r.listen()
	defer func() {
		for _, f := range cleanups {
			f()
		}
	}()
	if err != nil {
		return nil, err
	}
	scfg, err := r.begin(ctx, len(prev))
	if err != nil {
		return nil, err
	}
	if err := r.source(); err != nil {
		return nil, err
	}
	cleanups = nil // the run owns the listeners from here
	cj := closeJournal
	closeJournal = nil // r.run closes it, between the recording and the servers
	res, errs := r.run(ctx, cj)
	return r.result(res, scfg, errs)
}

// prepare builds the instances and the feed client's configuration.
func (r *run) prepare() error {
	ins, descs, err := backtest.Instances(r.c, r.cfg.Registry, nil, r.log)
	if err != nil {
		return &ConfigError{Err: err}
	}
	r.ins, r.descs = ins, descs
	getenv := r.cfg.Getenv
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	if r.notif, err = notify.FromConfig(r.c.Live.Notify, getenv, "papertrade "+r.cfg.Mode+" "+filepath.Base(r.cfg.DB), r.log.Named("notify")); err != nil {
		return &ConfigError{Err: err}
	}
	r.eqiv = r.c.EquityInterval
	if r.cfg.EquityInterval > 0 {
		r.eqiv = r.cfg.EquityInterval
		for i := range r.descs {
			r.descs[i].EquityInterval = r.eqiv
		}
	}
	r.channels = r.c.Live.Channels
	if len(r.channels) == 0 {
		r.channels = config.DefaultLiveChannels
	}
	r.depth = r.c.Live.BookDepth
	if r.depth == 0 {
		r.depth = config.DefaultLiveBookDepth
	}
	r.cc = kraken.ClientConfig{API: r.cfg.API, URL: r.cfg.URL, Pairs: r.c.Pairs(), Channels: r.channels, Depth: r.depth, PairTable: r.cfg.Pairs, Logger: r.log}
	if r.cfg.Client != nil {
		r.cfg.Client(&r.cc)
	}
	if r.cc.URL == "" {
		r.cc.URL = kraken.URLv2
		if r.cfg.API == feed.APIV1 {
			r.cc.URL = kraken.URLv1
		}
	}
	return nil
}

// openJournal opens the journal and refuses another config's file before anything starts.
func (r *run) openJournal(ctx context.Context) error {
	jr, err := journal.Open(r.cfg.DB, journal.Options{Log: r.log, Pairs: r.cfg.Pairs.Lookup})
	if err != nil {
		return err
	}
	r.hash = ConfigHash(r.c)
	if err := jr.Check(ctx, r.hash); err != nil {
		_ = jr.Close()
		return err
	}
	r.jr = jr
	return nil
}

// listen opens the dashboard and metrics listeners: a busy or refused address also stops
// everything before it starts. The cleanups close what was opened.
func (r *run) listen() (cleanups []func(), err error) {
	var hubInstances []dashboard.Instance
	for i := range r.ins {
		in := &r.ins[i]
		hubInstances = append(hubInstances, dashboard.Instance{Name: in.Name, Type: in.Type, Pairs: in.Pairs, Currency: AccountCurrency(in), Deposits: in.Balances})
	}
	r.hub = dashboard.NewHub(r.cfg.Title, r.cfg.Mode, hubInstances)
	r.mets = metrics.New()
	if r.cfg.HTTP != "" {
		if r.dash, err = dashboard.Listen(r.cfg.HTTP, r.hub, dashboard.Options{Log: r.log, AllowRemote: r.cfg.AllowRemote}); err != nil {
			return cleanups, &ConfigError{Setting: "HTTP", Err: err}
		}
		dash := r.dash
		cleanups = append(cleanups, func() { _ = dash.Close() })
	}
	if r.cfg.Metrics != "" {
		if r.msrv, err = metrics.Listen(r.cfg.Metrics, r.mets); err != nil {
			return cleanups, &ConfigError{Setting: "Metrics", Err: err}
		}
		msrv := r.msrv
		cleanups = append(cleanups, func() { _ = msrv.Close() })
	}
	return cleanups, nil
}

// begin starts the session in the journal, restores the accounts it holds and opens the
// recording.
func (r *run) begin(ctx context.Context, previous int) (journal.SessionConfig, error) {
	tapeName := TapeName(r.cfg.DB, int64(previous+1), time.Now())
	recordDir := r.cfg.RecordDir
	if recordDir != "" {
		var err error
		if recordDir, err = filepath.Abs(recordDir); err != nil {
			return journal.SessionConfig{}, err
		}
	}
	fi := journal.FeedInfo{API: r.cfg.API.String(), URL: r.cc.URL, Pairs: r.c.Pairs(), Channels: r.channels, Depth: r.depth}
	scfg := journal.SessionConfig{Mode: r.cfg.Mode, ConfigHash: r.hash, Config: r.c.Raw, Seed: r.c.Seed, Version: r.cfg.Version, Feed: fi}
	if recordDir != "" {
		scfg.TapeDir, scfg.TapeName = recordDir, tapeName
	}
	for i := range r.ins {
		in := &r.ins[i]
		scfg.Instances = append(scfg.Instances, journal.InstanceConfig{Name: in.Name, Type: in.Type, Seed: in.Sim.Seed, Currency: AccountCurrency(in), Deposits: in.Balances})
	}
	start, err := r.jr.Begin(ctx, scfg)
	if err != nil {
		return scfg, err
	}
	r.start = start
	r.restore()
	if recordDir != "" {
		r.tw, err = tape.NewWriter(recordDir, tape.WithName(tapeName), tape.WithLogger(r.log), tape.WithPairs(r.c.Pairs()...),
			tape.WithChannels(r.channels...), tape.WithMeta("source", "papertrade "+r.cfg.Mode), tape.WithMeta("journal", r.cfg.DB),
			tape.WithMeta("session", fmt.Sprint(start.Session)), tape.WithMeta("config_sha256", scfg.ConfigHash),
			tape.WithMeta("api", r.cfg.API.String()), tape.WithMeta("depth", fmt.Sprint(r.depth)))
		if err != nil {
			return scfg, err
		}
	}
	return scfg, nil
}

// restore hands each instance what the journal kept of its account, and shows it on the
// dashboard.
func (r *run) restore() {
	for i := range r.ins {
		in := &r.ins[i]
		in.Restore = r.start.Restore(in.Name)
		if st := r.start.State(in.Name); st != nil {
			var open []strategy.Order
			for _, ro := range st.Resume.Orders {
				open = append(open, ro.Order)
			}
			r.hub.Resume(in.Name, st.Ledger, open)
		}
	}
	if p := r.start.Previous; p != nil {
		r.log.Info("resuming the accounts of the journal", zap.String("journal", r.cfg.DB), zap.Int64("previous_session", p.ID),
			zap.String("previous_status", p.Status), zap.Time("previous_last_event", p.LastEvent))
	}
}

// source makes the tapped live source, the report collectors and what observes the events.
func (r *run) source() error {
	// Per-instance report collectors: one instance's records come from one goroutine.
	r.collectors = make(map[string]*report.Collector, len(r.descs))
	for _, d := range r.descs {
		col := report.NewCollector(d)
		r.collectors[d.Name] = col
		r.ordered = append(r.ordered, col)
	}
	r.market = report.NewMarketRecorder(r.eqiv)
	src, err := session.NewLive(session.LiveConfig{Client: r.cc, Tape: r.tw, Observe: r.observe, Log: r.log})
	if err != nil {
		if r.tw != nil {
			_ = r.tw.Close()
		}
		return &ConfigError{Setting: "Client", Err: err}
	}
	r.src = src
	r.hub.SetHealth(r.health)
	r.mets.SetFeed(r.feedMetrics)
	r.mets.SetJournal(func() metrics.Journal {
		js := r.jr.Stats()
		return metrics.Journal{Queued: js.Queued, Committed: js.Committed, Batches: js.Batches, Waits: js.Waits, Dropped: js.Dropped}
	})
	r.mets.SetProbe(&r.probe)
	return nil
}

// observe sees every batch the source delivers: the market chart, trade counts, the feed lag,
// gaps for the journal, the dashboard and the metrics.
func (r *run) observe(b []feed.Event) {
	var last time.Time
	for i := range b {
		e := &b[i]
		r.market.Observe(e)
		switch e.Kind {
		case feed.KindTrade:
			r.trades.Add(1)
			if !e.Time.IsZero() {
				r.lastLag.Store(int64(e.Recv.Sub(e.Time)))
				last = e.Time
			}
		case feed.KindGap:
			if e.Gap != nil {
				r.jr.Gap(e.Pair, *e.Gap)
			}
		case feed.KindBook:
			if !e.Time.IsZero() {
				last = e.Time
			}
			if e.Book != nil && e.Book.Snapshot {
				r.jr.BookSnapshot(e.Pair, e.Recv) // ends the pair's open book gap, if any
			}
		}
	}
	if !last.IsZero() {
		r.jr.NoteEvent(last)
	}
	r.hub.Observe(b)
	r.mets.Observe(b)
	if r.notif != nil {
		for i := range b {
			if k := b[i].Kind; k == feed.KindGap || k == feed.KindStatus {
				r.notif.Feed(&b[i])
			}
		}
	}
}

// watchConnection tells the notifier when the feed connection is lost (a client state, not an
// event), polling the source's stats once a second until ctx ends.
func (r *run) watchConnection(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	was := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			st := r.src.Stats()
			if was && !st.Connected {
				reason := st.Client.DialProblem
				if reason == "" {
					reason = "connection lost"
				}
				r.notif.Disconnected(time.Now().UTC(), reason, 0)
			}
			was = st.Connected
		}
	}
}

func (r *run) health() dashboard.Health {
	st := r.src.Stats()
	h := dashboard.Health{Connected: st.Connected, LastMessage: st.LastFrame, Frames: st.Client.Frames, Connections: st.Client.Connects,
		Reconnects: st.Client.Reconnects, TradeGaps: st.Stream.TradeGaps, MissingTrades: st.Stream.MissingTrades,
		ChecksumMismatches: st.Stream.ChecksumMismatches, FeedLagMS: float64(r.lastLag.Load()) / 1e6, DialProblem: st.Client.DialProblem}
	for _, p := range st.StaleBooks {
		h.StaleBooks = append(h.StaleBooks, string(p))
	}
	for _, b := range r.probe.Backlog() {
		h.Backlog = append(h.Backlog, dashboard.Backlog{Instance: b.Instance, Events: b.Events})
	}
	js := r.jr.Stats()
	h.JournalQueued, h.JournalCommitted = js.Queued, js.Committed
	if r.tw != nil {
		h.Recording = fmt.Sprintf("%d frames", st.Recorded)
	}
	return h
}

func (r *run) feedMetrics() metrics.Feed {
	st := r.src.Stats()
	return metrics.Feed{Connected: st.Connected, Frames: st.Client.Frames, Connections: st.Client.Connects, Reconnects: st.Client.Reconnects,
		Malformed: st.Stream.Malformed, TradeGaps: st.Stream.TradeGaps, MissingTrades: st.Stream.MissingTrades, StaleBooks: st.Stream.StaleBooks,
		ChecksumMismatches: st.Stream.ChecksumMismatches, QueuedFrames: st.Queued, RecordedFrames: st.Recorded, RecordErrors: st.TapeErrors}
}

// run runs the engine with the listeners, the journal watch and the status line beside it.
// Its context ends on ctx, the Duration or a journal failure; the servers and the status
// line live until the recording and the journal are closed.
func (r *run) run(ctx context.Context, closeJournal func() error) (*engine.Result, []error) {
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	if r.cfg.Duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, r.cfg.Duration)
		defer cancel()
	}
	srvCtx, stopSrv := context.WithCancel(context.Background())
	defer stopSrv()
	var g errgroup.Group
	if r.dash != nil {
		g.Go(func() error { return r.dash.Run(srvCtx) })
	}
	if r.msrv != nil {
		g.Go(func() error { return r.msrv.Run(srvCtx) })
	}
	g.Go(func() error {
		select {
		case <-r.jr.Done():
			if err := r.jr.Err(); err != nil {
				r.log.Error("the journal failed; stopping the session", zap.Error(err))
			}
			stopRun()
		case <-srvCtx.Done():
		}
		return nil
	})
	recorder := record.Multi(r.jr, r.hub, r.mets, collectorRecorder(r.collectors))
	if r.notif != nil {
		// Its goroutine sends until the servers stop, after the journal: the last lines go out.
		g.Go(func() error { return r.notif.Run(srvCtx) })
		g.Go(func() error { r.watchConnection(srvCtx); return nil })
		recorder = record.Multi(recorder, r.notif)
	}
	r.started()
	if r.cfg.StatusEvery > 0 && r.cfg.Status != nil {
		g.Go(func() error { r.statusLoop(srvCtx); return nil })
	}
	r.log.Info("session started", zap.Int64("session", r.start.Session), zap.String("journal", r.cfg.DB), zap.String("feed", r.cc.URL),
		zap.Stringer("api", r.cfg.API), zap.Strings("channels", r.channels), zap.Int("instances", len(r.ins)))

	res, runErr := engine.Run(runCtx, engine.Config{
		Sources: []feed.Source{r.src}, Instances: r.ins, Pairs: r.cfg.Pairs.Lookup, Mode: engine.Live,
		LagWarn: r.c.Live.LagWarn, LagLimit: r.c.Live.LagLimit, EquityInterval: r.eqiv, Recorder: recorder,
		Probe: &r.probe, Log: r.log,
	})
	var errs []error
	if runErr != nil {
		errs = append(errs, runErr)
	}
	if r.tw != nil {
		r.manifest = r.tw.ManifestPath() // before Close, as the result reports it
		if err := r.tw.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	if err := closeJournal(); err != nil {
		errs = append(errs, err)
	}
	stopSrv()
	if err := g.Wait(); err != nil {
		errs = append(errs, err)
	}
	return res, errs
}

func (r *run) started() {
	if r.cfg.Started == nil {
		return
	}
	s := &Session{ID: r.start.Session, Journal: r.jr, Tape: r.tw, Source: r.src, Hub: r.hub, Probe: &r.probe, Restored: r.start.Previous != nil}
	if r.dash != nil {
		s.Dashboard = r.dash.URL()
	}
	if r.msrv != nil {
		s.Metrics = r.msrv.Addr()
	}
	r.cfg.Started(s)
}

func (r *run) statusLoop(ctx context.Context) {
	t := time.NewTicker(r.cfg.StatusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.cfg.Status(StatusText(r.src.Stats(), r.hub.Status(), r.trades.Load()))
		}
	}
}

// result builds the summary of what the engine did.
func (r *run) result(res *engine.Result, scfg journal.SessionConfig, errs []error) (*Result, error) {
	if res == nil {
		return nil, errors.Join(errs...)
	}
	c := r.c
	out := &Result{Session: r.start.Session, Journal: r.cfg.DB, Tape: r.manifest, Recorded: r.tw != nil, Collectors: r.ordered,
		Market: r.market.Market(), Engine: res, Restored: r.start.Previous, Config: c}
	st := r.src.Stats()
	out.Frames, out.DialProblem = st.Client.Frames, st.Client.DialProblem
	sum := &report.Summary{Run: report.Run{Version: r.cfg.Version, Mode: r.cfg.Mode, Config: c.Path, ConfigHash: scfg.ConfigHash, Seed: c.Seed,
		Events: res.Events, Trades: r.trades.Load()}}
	for _, m := range c.Models() {
		sum.Run.FillModels = append(sum.Run.FillModels, m.String())
	}
	var first, last time.Time
	for i, ir := range res.Instances {
		sum.Strategies = append(sum.Strategies, r.ordered[i].Summary(ir, out.Market))
		if !ir.Start.IsZero() && (first.IsZero() || ir.Start.Before(first)) {
			first = ir.Start
		}
		if ir.End.After(last) {
			last = ir.End
		}
	}
	if !first.IsZero() {
		sum.Run.FirstTime, sum.Run.LastTime = report.Time(first), report.Time(last)
	}
	out.Summary = sum
	if len(errs) > 0 {
		return out, errors.Join(errs...)
	}
	return out, nil
}

// collectorRecorder routes records to their instance's report collector.
type collectorRecorder map[string]*report.Collector

func (m collectorRecorder) Record(r *engine.Record) {
	if c := m[r.Instance]; c != nil {
		c.Record(r)
	}
}

// TapeName names the recording of session n of the journal db, begun at wall time begun:
// "paper-3fa2c1-session-1" for paper.db. Every journal numbers its sessions from 1, so a
// number alone collided when two journals recorded into one directory (issue 18 item 11: two
// recordings named session-1 and a replay command that failed). The journal's base name makes
// the name readable; the hash of its absolute path and the begin time tells apart journals of
// the same name in other directories and a journal deleted and started again. The journal
// stores the name, so replays never recompute it.
func TapeName(db string, n int64, begun time.Time) string {
	abs, err := filepath.Abs(db)
	if err != nil {
		abs = db
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d", abs, begun.UnixNano()))
	base := strings.TrimSuffix(filepath.Base(db), filepath.Ext(db))
	// Only characters every file system takes; a long name is cut, the hash keeps it unique.
	base = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, base)
	if len(base) > 24 {
		base = base[:24]
	}
	if base == "" || base == "." || base == ".." {
		base = "journal"
	}
	return fmt.Sprintf("%s-%s-session-%d", base, hex.EncodeToString(sum[:3]), n)
}
