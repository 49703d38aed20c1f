package cli

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/dashboard"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/metrics"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
	"github.com/papertrade/papertrade/strategy"
)

// Defaults of papertrade live.
const (
	defaultJournal    = "papertrade.db"
	defaultRecordings = "recordings"
	defaultHTTP       = "127.0.0.1:8080"
)

type liveOptions struct {
	config      string
	api         string
	url         string
	db          string
	record      string
	noRecord    bool
	http        string
	allowRemote bool
	metrics     string
	duration    time.Duration
	status      time.Duration
	pairsFile   string

	// client, when set (tests), adjusts the feed client's configuration last.
	client func(*kraken.ClientConfig)
	// started, when set (tests), is called once the session is running.
	started func(*liveSession)
}

func newLiveCmd(a *app) *cobra.Command {
	var o liveOptions
	cmd := &cobra.Command{
		Use:   "live -c run.yaml [--api v1|v2] [--url ws://...] [--db papertrade.db] [--record DIR] [--http 127.0.0.1:8080] [--metrics 127.0.0.1:9090] [--duration D]",
		Short: "Paper-trade the config's strategies on Kraken's live public feed (no order is ever sent)",
		Long: `live runs the strategies of a run config on simulated Kraken accounts fed by Kraken's live public
WebSocket feed (v2 by default; --api v1), through the same engine as a backtest. It never sends an
order anywhere: papertrade only reads public market data.

The session is journaled to a SQLite file (--db, default papertrade.db): every order, fill,
rejection, balance change, equity sample, strategy fault and feed gap. Run the same config again
with the same --db and the accounts resume where they were — balances, positions and open orders —
with the time papertrade was not running recorded as a gap (restored orders do not trade inside
it). A journal made with a different config is refused: a paper account is never reset or mixed.

Everything the session consumed is recorded (--record DIR, default ./recordings; --no-record to
turn it off) so that "papertrade backtest --session N" replays it and checks that the replay makes
the same fills.

A dashboard is served on --http (default 127.0.0.1:8080; "" turns it off; loopback only unless
--http-allow-remote), and Prometheus metrics and pprof on --metrics (off by default; loopback only).

Ctrl-C or SIGTERM (or --duration) stops the feed, lets the strategies finish what they received,
flushes the journal and the recording, prints the summary table and exits 0.

Exit codes: 0 ok; 1 the session failed; 2 bad flags or config (nothing was started).`,
		Example: `  papertrade backtest --example-config > run.yaml     # edit: pairs, balances, strategies
  papertrade live -c run.yaml
  papertrade live -c run.yaml --api v1 --db paper.db --metrics 127.0.0.1:9090
  papertrade backtest --session 1 --db papertrade.db   # replay session 1, check parity`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd.Context(), a, cmd, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.config, "config", "c", "", "run config file (YAML; papertrade backtest --example-config prints one)")
	f.StringVar(&o.api, "api", "", "Kraken WebSocket API: v2 or v1 (default: the config's live.api, else v2)")
	f.StringVar(&o.url, "url", "", "WebSocket URL (default: the config's live.url, else Kraken's public endpoint)")
	f.StringVar(&o.db, "db", "", "journal file (default: the config's live.db, else "+defaultJournal+")")
	f.StringVar(&o.record, "record", "", "record the session's feed into this directory (default: the config's live.record_dir, else ./"+defaultRecordings+")")
	f.BoolVar(&o.noRecord, "no-record", false, "do not record the feed (the session then cannot be replayed)")
	f.StringVar(&o.http, "http", defaultHTTP, `dashboard address ("" turns it off)`)
	f.BoolVar(&o.allowRemote, "http-allow-remote", false, "allow a non-loopback dashboard address (it has no authentication)")
	f.StringVar(&o.metrics, "metrics", "", "serve Prometheus /metrics and /debug/pprof on this loopback address (e.g. 127.0.0.1:9090)")
	f.DurationVar(&o.duration, "duration", 0, "stop after this long (default: until interrupted)")
	f.DurationVar(&o.status, "status", 10*time.Second, "print a status line this often (0: never)")
	f.StringVar(&o.pairsFile, "pairs-file", "", "a saved REST AssetPairs response or v2 instrument message to merge over the built-in pair table")
	return cmd
}

func runLive(ctx context.Context, a *app, cmd *cobra.Command, o liveOptions) error {
	table, err := pairTable(o.pairsFile)
	if err != nil {
		return err
	}
	c, err := loadRunConfigWith(a, o.config, table)
	if err != nil {
		return err
	}
	spec := sessionSpec{
		mode: "live", title: "papertrade live", cfg: c, api: c.Live.API, url: c.Live.URL, db: c.Live.DB,
		recordDir: c.Live.RecordDir, http: o.http, allowRemote: o.allowRemote, metrics: o.metrics,
		duration: o.duration, status: o.status, client: o.client, started: o.started, pairs: table,
	}
	if spec.db == "" {
		spec.db = defaultJournal
	}
	if spec.recordDir == "" {
		spec.recordDir = defaultRecordings
	}
	if c.Live.HTTP != "" && !cmd.Flags().Changed("http") {
		spec.http = c.Live.HTTP
	}
	for _, fl := range []struct {
		name string
		dst  *string
		v    string
	}{{"api", &spec.api, o.api}, {"url", &spec.url, o.url}, {"db", &spec.db, o.db}, {"record", &spec.recordDir, o.record}} {
		if cmd.Flags().Changed(fl.name) {
			*fl.dst = fl.v
		}
	}
	if o.noRecord {
		spec.recordDir = ""
	}
	res, err := runSession(ctx, a, spec)
	if err != nil {
		return err
	}
	return res.print(a.stdout)
}

// sessionSpec is one live (or demo) session.
type sessionSpec struct {
	mode, title    string
	cfg            *config.Config
	api, url       string
	db, recordDir  string
	http, metrics  string
	allowRemote    bool
	duration       time.Duration
	status         time.Duration
	statusOneLine  bool // demo: rewrite one line on a terminal
	dialer         func(*kraken.ClientConfig)
	client         func(*kraken.ClientConfig)
	started        func(*liveSession)
	onDashboard    func(url string)
	equityInterval time.Duration // overrides the config's (demo)
	pairs          *kraken.Pairs // the pair table (--pairs-file); nil: the built-in one
}

// liveSession is a running session, for the status line and tests.
type liveSession struct {
	ID        int64
	Journal   *journal.Journal
	Tape      *tape.Writer
	Source    *session.Live
	Hub       *dashboard.Hub
	Dashboard string // URL ("" when off)
	Metrics   string // address ("" when off)
	Probe     *engine.Probe
	Restored  bool
}

// sessionResult is what a session produced.
type sessionResult struct {
	Session    int64
	Journal    string
	Tape       string // manifest path ("" when not recorded)
	Summary    *report.Summary
	Collectors []*report.Collector
	Market     *report.Market
	Engine     *engine.Result
	Restored   *journal.SessionInfo // the session this one resumed from
	Config     *config.Config
	Recorded   bool // recording was on
}

func (r *sessionResult) print(w io.Writer) error {
	if err := report.WriteTable(w, r.Summary); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nsession %d: %d events; journal %s", r.Session, r.Engine.Events, r.Journal)
	switch {
	case r.Tape != "":
		fmt.Fprintf(w, "; recording %s\nreplay and check it: papertrade backtest --session %d --db %s\n", r.Tape, r.Session, r.Journal)
	case r.Recorded:
		fmt.Fprintln(w, "; nothing received, nothing recorded")
	default:
		fmt.Fprintln(w, "; not recorded (--no-record)")
	}
	return nil
}

// ConfigHash identifies the accounts a config describes: seed, equity interval, simulator,
// fill models and every strategy instance with its parameters, pairs and starting balances.
// Live-only settings (feed, journal, dashboard) and the data section do not change it.
func ConfigHash(c *config.Config) string {
	type strat struct {
		Name, Type, Currency string
		Params               strategy.Params
		Pairs                []feed.Pair
		Balances             []engine.Deposit
	}
	v := struct {
		Seed           uint64
		EquityInterval time.Duration
		Sim            config.Sim
		Models         []string
		Strategies     []strat
	}{Seed: c.Seed, EquityInterval: c.EquityInterval, Sim: c.Sim}
	for _, m := range c.FillModels {
		v.Models = append(v.Models, m.String())
	}
	for _, s := range c.Strategies {
		v.Strategies = append(v.Strategies, strat{Name: s.Name, Type: s.Type, Currency: s.AccountCurrency, Params: s.Params, Pairs: s.Pairs, Balances: s.Balances})
	}
	b, err := json.Marshal(v) // maps are written in key order: the hash is stable
	if err != nil {
		panic(err) // plain data: cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func parseAPI(s string) (feed.API, error) {
	switch s {
	case "", "v2":
		return feed.APIV2, nil
	case "v1":
		return feed.APIV1, nil
	}
	return 0, &usageError{fmt.Errorf("--api %q: want v1 or v2", s)}
}

func accountCurrency(in *engine.Instance) string {
	if in.AccountCurrency != "" {
		return in.AccountCurrency
	}
	if len(in.Pairs) > 0 {
		return in.Pairs[0].Quote()
	}
	return ""
}

// runSession runs a live session until ctx ends or the duration passes, and returns its
// summary. Everything that can be refused (config, flags, addresses, a journal of another
// config) is refused before the feed connects.
func runSession(ctx context.Context, a *app, sp sessionSpec) (*sessionResult, error) {
	log := a.log.Named(sp.mode)
	c := sp.cfg
	api, err := parseAPI(sp.api)
	if err != nil {
		return nil, err
	}
	if sp.duration < 0 {
		return nil, &usageError{errors.New("--duration must not be negative")}
	}
	pairs := sp.pairs
	if pairs == nil {
		pairs = kraken.DefaultPairs()
	}
	ins, descs, err := backtest.Instances(c, a.registry, nil, log)
	if err != nil {
		return nil, &usageError{err}
	}
	eqiv := c.EquityInterval
	if sp.equityInterval > 0 {
		eqiv = sp.equityInterval
		for i := range descs {
			descs[i].EquityInterval = eqiv
		}
	}
	channels := c.Live.Channels
	if len(channels) == 0 {
		channels = config.DefaultLiveChannels
	}
	depth := c.Live.BookDepth
	if depth == 0 {
		depth = config.DefaultLiveBookDepth
	}
	cc := kraken.ClientConfig{API: api, URL: sp.url, Pairs: c.Pairs(), Channels: channels, Depth: depth, PairTable: pairs, Logger: log}
	if sp.dialer != nil {
		sp.dialer(&cc)
	}
	if sp.client != nil {
		sp.client(&cc)
	}
	if cc.URL == "" {
		cc.URL = kraken.URLv2
		if api == feed.APIV1 {
			cc.URL = kraken.URLv1
		}
	}

	// The journal: another config's file is refused before anything starts.
	jr, err := journal.Open(sp.db, journal.Options{Log: log, Pairs: pairs.Lookup})
	if err != nil {
		if errors.Is(err, journal.ErrDamaged) {
			return nil, &ExitCodeError{Code: ExitUsage, Err: err} // like a bad --db argument
		}
		return nil, err
	}
	closeJournal := func() error { return jr.Close() }
	defer func() {
		if closeJournal != nil {
			_ = closeJournal()
		}
	}()
	hash := ConfigHash(c)
	if err := jr.Check(ctx, hash); err != nil {
		if errors.Is(err, journal.ErrOtherConfig) {
			return nil, &ExitCodeError{Code: ExitError, Err: err}
		}
		return nil, err
	}
	prev, err := jr.Reader().Sessions(ctx)
	if err != nil {
		return nil, err
	}

	// The listeners: a busy or refused address also stops everything before it starts.
	var hubInstances []dashboard.Instance
	for i := range ins {
		in := &ins[i]
		hubInstances = append(hubInstances, dashboard.Instance{Name: in.Name, Type: in.Type, Pairs: in.Pairs, Currency: accountCurrency(in), Deposits: in.Balances})
	}
	hub := dashboard.NewHub(sp.title, sp.mode, hubInstances)
	mets := metrics.New()
	var dash *dashboard.Server
	var msrv *metrics.Server
	var cleanups []func()
	defer func() {
		for _, f := range cleanups {
			f()
		}
	}()
	if sp.http != "" {
		if dash, err = dashboard.Listen(sp.http, hub, dashboard.Options{Log: log, AllowRemote: sp.allowRemote}); err != nil {
			return nil, &usageError{fmt.Errorf("--http: %w", err)}
		}
		cleanups = append(cleanups, func() { _ = dash.Close() })
	}
	if sp.metrics != "" {
		if msrv, err = metrics.Listen(sp.metrics, mets); err != nil {
			return nil, &usageError{fmt.Errorf("--metrics: %w", err)}
		}
		cleanups = append(cleanups, func() { _ = msrv.Close() })
	}

	tapeName := fmt.Sprintf("session-%d", len(prev)+1)
	recordDir := sp.recordDir
	if recordDir != "" {
		if recordDir, err = filepath.Abs(recordDir); err != nil {
			return nil, err
		}
	}
	fi := journal.FeedInfo{API: api.String(), URL: cc.URL, Pairs: c.Pairs(), Channels: channels, Depth: depth}
	scfg := journal.SessionConfig{Mode: sp.mode, ConfigHash: hash, Config: c.Raw, Seed: c.Seed, Version: Version, Feed: fi}
	if recordDir != "" {
		scfg.TapeDir, scfg.TapeName = recordDir, tapeName
	}
	for i := range ins {
		in := &ins[i]
		scfg.Instances = append(scfg.Instances, journal.InstanceConfig{Name: in.Name, Type: in.Type, Seed: in.Sim.Seed, Currency: accountCurrency(in), Deposits: in.Balances})
	}
	start, err := jr.Begin(ctx, scfg)
	if err != nil {
		return nil, err
	}
	for i := range ins {
		in := &ins[i]
		in.Restore = start.Restore(in.Name)
		if st := start.State(in.Name); st != nil {
			var open []strategy.Order
			for _, ro := range st.Resume.Orders {
				open = append(open, ro.Order)
			}
			hub.Resume(in.Name, st.Ledger, open)
		}
	}
	if start.Previous != nil {
		log.Info("resuming the accounts of the journal", zap.String("journal", sp.db), zap.Int64("previous_session", start.Previous.ID),
			zap.String("previous_status", start.Previous.Status), zap.Time("previous_last_event", start.Previous.LastEvent))
	}

	var tw *tape.Writer
	if recordDir != "" {
		tw, err = tape.NewWriter(recordDir, tape.WithName(tapeName), tape.WithLogger(log), tape.WithPairs(c.Pairs()...),
			tape.WithChannels(channels...), tape.WithMeta("source", "papertrade "+sp.mode), tape.WithMeta("journal", sp.db),
			tape.WithMeta("session", fmt.Sprint(start.Session)), tape.WithMeta("config_sha256", scfg.ConfigHash),
			tape.WithMeta("api", api.String()), tape.WithMeta("depth", fmt.Sprint(depth)))
		if err != nil {
			return nil, err
		}
	}

	// Per-instance report collectors: one instance's records come from one goroutine.
	collectors := make(map[string]*report.Collector, len(descs))
	var ordered []*report.Collector
	for _, d := range descs {
		col := report.NewCollector(d)
		collectors[d.Name] = col
		ordered = append(ordered, col)
	}
	market := report.NewMarketRecorder(eqiv)
	var lastLag atomic.Int64
	var trades atomic.Uint64
	observe := func(b []feed.Event) {
		var last time.Time
		for i := range b {
			e := &b[i]
			market.Observe(e)
			switch e.Kind {
			case feed.KindTrade:
				trades.Add(1)
				if !e.Time.IsZero() {
					lastLag.Store(int64(e.Recv.Sub(e.Time)))
					last = e.Time
				}
			case feed.KindGap:
				if e.Gap != nil {
					jr.Gap(e.Pair, *e.Gap)
				}
			case feed.KindBook:
				if !e.Time.IsZero() {
					last = e.Time
				}
			}
		}
		if !last.IsZero() {
			jr.NoteEvent(last)
		}
		hub.Observe(b)
		mets.Observe(b)
	}
	src, err := session.NewLive(session.LiveConfig{Client: cc, Tape: tw, Observe: observe, Log: log})
	if err != nil {
		if tw != nil {
			_ = tw.Close()
		}
		return nil, &usageError{err}
	}
	var probe engine.Probe
	hub.SetHealth(func() dashboard.Health {
		st := src.Stats()
		h := dashboard.Health{Connected: st.Connected, LastMessage: st.LastFrame, Frames: st.Client.Frames, Connections: st.Client.Connects,
			Reconnects: st.Client.Reconnects, TradeGaps: st.Stream.TradeGaps, MissingTrades: st.Stream.MissingTrades,
			ChecksumMismatches: st.Stream.ChecksumMismatches, FeedLagMS: float64(lastLag.Load()) / 1e6}
		for _, p := range st.StaleBooks {
			h.StaleBooks = append(h.StaleBooks, string(p))
		}
		for _, b := range probe.Backlog() {
			h.Backlog = append(h.Backlog, dashboard.Backlog{Instance: b.Instance, Events: b.Events})
		}
		js := jr.Stats()
		h.JournalQueued, h.JournalCommitted = js.Queued, js.Committed
		if tw != nil {
			h.Recording = fmt.Sprintf("%d frames", st.Recorded)
		}
		return h
	})
	mets.SetFeed(func() metrics.Feed {
		st := src.Stats()
		return metrics.Feed{Connected: st.Connected, Frames: st.Client.Frames, Connections: st.Client.Connects, Reconnects: st.Client.Reconnects,
			Malformed: st.Stream.Malformed, TradeGaps: st.Stream.TradeGaps, MissingTrades: st.Stream.MissingTrades, StaleBooks: st.Stream.StaleBooks,
			ChecksumMismatches: st.Stream.ChecksumMismatches, QueuedFrames: st.Queued, RecordedFrames: st.Recorded, RecordErrors: st.TapeErrors}
	})
	mets.SetJournal(func() metrics.Journal {
		js := jr.Stats()
		return metrics.Journal{Queued: js.Queued, Committed: js.Committed, Batches: js.Batches, Waits: js.Waits, Dropped: js.Dropped}
	})
	mets.SetProbe(&probe)

	rec := record.Multi(jr, hub, mets, collectorRecorder(collectors))

	// The run: its context ends on Ctrl-C, --duration or a journal failure; the servers and
	// the status line live until the results are written.
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	if sp.duration > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeout(runCtx, sp.duration)
		defer cancel()
	}
	srvCtx, stopSrv := context.WithCancel(context.Background())
	cleanups = nil // Run owns the listeners from here
	var g errgroup.Group
	if dash != nil {
		g.Go(func() error { return dash.Run(srvCtx) })
	}
	if msrv != nil {
		g.Go(func() error { return msrv.Run(srvCtx) })
	}
	g.Go(func() error {
		select {
		case <-jr.Done():
			if err := jr.Err(); err != nil {
				log.Error("the journal failed; stopping the session", zap.Error(err))
			}
			stopRun()
		case <-srvCtx.Done():
		}
		return nil
	})
	ls := &liveSession{ID: start.Session, Journal: jr, Tape: tw, Source: src, Hub: hub, Probe: &probe, Restored: start.Previous != nil}
	if dash != nil {
		ls.Dashboard = dash.URL()
		if sp.onDashboard != nil {
			sp.onDashboard(ls.Dashboard)
		} else {
			fmt.Fprintf(a.stdout, "dashboard: %s\n", ls.Dashboard)
		}
	}
	if msrv != nil {
		ls.Metrics = msrv.Addr()
		fmt.Fprintf(a.stdout, "metrics: http://%s/metrics  pprof: http://%s/debug/pprof/\n", ls.Metrics, ls.Metrics)
	}
	if sp.status > 0 {
		st := newStatusLine(a, sp.statusOneLine)
		g.Go(func() error {
			t := time.NewTicker(sp.status)
			defer t.Stop()
			for {
				select {
				case <-srvCtx.Done():
					st.done()
					return nil
				case <-t.C:
					st.print(statusText(src.Stats(), hub.Status(), trades.Load()))
				}
			}
		})
	}
	if sp.started != nil {
		sp.started(ls)
	}
	log.Info("session started", zap.Int64("session", start.Session), zap.String("journal", sp.db), zap.String("feed", cc.URL),
		zap.Stringer("api", api), zap.Strings("channels", channels), zap.Int("instances", len(ins)))

	res, runErr := engine.Run(runCtx, engine.Config{
		Sources: []feed.Source{src}, Instances: ins, Pairs: pairs.Lookup, Mode: engine.Live,
		LagWarn: c.Live.LagWarn, LagLimit: c.Live.LagLimit, EquityInterval: eqiv, Recorder: rec, Probe: &probe, Log: log,
	})
	var errs []error
	if runErr != nil {
		errs = append(errs, runErr)
	}
	var manifest string
	if tw != nil {
		manifest = tw.ManifestPath()
		if err := tw.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	cj := closeJournal
	closeJournal = nil
	if err := cj(); err != nil {
		errs = append(errs, err)
	}
	stopSrv()
	if err := g.Wait(); err != nil {
		errs = append(errs, err)
	}
	if res == nil {
		return nil, errors.Join(errs...)
	}
	out := &sessionResult{Session: start.Session, Journal: sp.db, Tape: manifest, Recorded: tw != nil, Collectors: ordered, Market: market.Market(), Engine: res, Restored: start.Previous, Config: c}
	sum := &report.Summary{Run: report.Run{Version: Version, Mode: sp.mode, Config: c.Path, ConfigHash: scfg.ConfigHash, Seed: c.Seed,
		Events: res.Events, Trades: trades.Load()}}
	for _, m := range c.Models() {
		sum.Run.FillModels = append(sum.Run.FillModels, m.String())
	}
	var first, last time.Time
	for i, ir := range res.Instances {
		sum.Strategies = append(sum.Strategies, ordered[i].Summary(ir, out.Market))
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

// statusText is the one-line status of a session.
func statusText(st session.LiveStats, ins []dashboard.InstanceStatus, trades uint64) string {
	var b strings.Builder
	conn := "disconnected"
	if st.Connected {
		conn = "connected"
	}
	age := "-"
	if !st.LastFrame.IsZero() {
		age = time.Since(st.LastFrame).Round(time.Millisecond).String()
	}
	fmt.Fprintf(&b, "feed %s (%d conns, last msg %s ago, %d trades, %d gaps", conn, st.Client.Connects, age, trades, st.Stream.TradeGaps+st.Stream.StaleBooks)
	if n := len(st.StaleBooks); n > 0 {
		fmt.Fprintf(&b, ", %d books stale", n)
	}
	b.WriteString(")")
	for _, s := range ins {
		fmt.Fprintf(&b, " | %s ", s.Name)
		if s.Equity == "" {
			b.WriteString("-")
		} else {
			fmt.Fprintf(&b, "%s", s.Equity)
			if s.Return != "" {
				fmt.Fprintf(&b, " (%s%%)", s.Return)
			}
		}
		fmt.Fprintf(&b, " %d fills", s.Fills)
		if s.Status != "running" {
			b.WriteString(" STOPPED")
		}
	}
	return b.String()
}

// statusLine prints status lines: rewritten in place on a terminal when oneLine, else one
// line each time.
type statusLine struct {
	w       io.Writer
	inPlace bool
	mu      sync.Mutex
	printed bool
}

func newStatusLine(a *app, oneLine bool) *statusLine {
	return &statusLine{w: a.stdout, inPlace: oneLine && isTerminal(a.stdout)}
}

func (s *statusLine) print(line string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inPlace {
		fmt.Fprintf(s.w, "\r\033[K%s", line)
		s.printed = true
		return
	}
	fmt.Fprintf(s.w, "%s %s\n", time.Now().Format("15:04:05"), line)
}

func (s *statusLine) done() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inPlace && s.printed {
		fmt.Fprintln(s.w)
	}
}
