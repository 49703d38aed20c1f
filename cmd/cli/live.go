package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/backtest/node"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// stopSignals end a command cleanly (Main cancels its context on them): Ctrl-C, SIGTERM, and
// SIGHUP, which a closing terminal sends — a live session or a demo killed by it would leave no
// summary, no report and a journal marked crashed (issue 18 item 5).
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

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

Ctrl-C, SIGTERM or SIGHUP (a closed terminal), or --duration, stops the feed, lets the strategies finish what they received,
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
	if err = finishSession(a.stdout, res, err); err == nil && res != nil && res.Frames == 0 {
		// A session that received nothing traded on nothing (issue 18 items 4, 7): say why, and
		// do not exit 0 for a script to go on as if it had run.
		why := "check --url and the network"
		if res.DialProblem != "" {
			why = res.DialProblem
		}
		return &ExitCodeError{Code: ExitIncomplete, Err: fmt.Errorf("received no frames from the feed: %s", why)}
	}
	return err
}

// finishSession prints the summary and the journal's state of every session the engine ran,
// also one that ended with an error (frames arriving faster than they are processed, a
// failed journal): the accounts traded until then and the user needs to know where they
// stand. The error (printed by Main, with the rates an overflow sustained) sets the exit code.
func finishSession(w io.Writer, res *sessionResult, err error) error {
	if res == nil || res.Summary == nil || res.Engine == nil {
		return err
	}
	if perr := printSessionResult(w, res); perr != nil {
		err = errors.Join(err, perr)
	}
	return err
}

// sessionSpec is one live (or demo) session as the commands describe it.
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
	client         func(*kraken.ClientConfig)
	started        func(*liveSession)
	onDashboard    func(url string)
	equityInterval time.Duration // overrides the config's (demo)
	pairs          *kraken.Pairs // the pair table (--pairs-file); nil: the built-in one
}

// liveSession is a running session (tests hold it); sessionResult is what one produced.
type (
	liveSession   = node.Session
	sessionResult = node.Result
)

func printSessionResult(w io.Writer, r *sessionResult) error {
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

func parseAPI(s string) (feed.API, error) {
	switch s {
	case "", "v2":
		return feed.APIV2, nil
	case "v1":
		return feed.APIV1, nil
	}
	return 0, &usageError{fmt.Errorf("--api %q: want v1 or v2", s)}
}

// runSession runs a live session on a node until ctx ends or the duration passes, and
// returns its summary. Everything that can be refused (config, flags, addresses, a journal
// of another config) is refused before the feed connects, with the exit code scripts expect.
func runSession(ctx context.Context, a *app, sp sessionSpec) (*sessionResult, error) {
	api, err := parseAPI(sp.api)
	if err != nil {
		return nil, err
	}
	if sp.duration < 0 {
		return nil, &usageError{errors.New("--duration must not be negative")}
	}
	var status *statusLine
	cfg := node.Config{
		Mode: sp.mode, Title: sp.title, Run: sp.cfg, Registry: a.registry, API: api, URL: sp.url, DB: sp.db, RecordDir: sp.recordDir,
		HTTP: sp.http, AllowRemote: sp.allowRemote, Metrics: sp.metrics, Duration: sp.duration, EquityInterval: sp.equityInterval,
		Pairs: sp.pairs, Client: sp.client, Getenv: os.Getenv, Version: Version, Log: a.log,
		Started: func(s *node.Session) {
			if s.Dashboard != "" {
				if sp.onDashboard != nil {
					sp.onDashboard(s.Dashboard)
				} else {
					fmt.Fprintf(a.stdout, "dashboard: %s\n", s.Dashboard)
				}
			}
			if s.Metrics != "" {
				fmt.Fprintf(a.stdout, "metrics: http://%s/metrics  pprof: http://%s/debug/pprof/\n", s.Metrics, s.Metrics)
			}
			if sp.started != nil {
				sp.started(s)
			}
		},
	}
	if sp.status > 0 {
		status = newStatusLine(a, sp.statusOneLine)
		cfg.StatusEvery, cfg.Status = sp.status, status.print
	}
	n, err := node.New(cfg)
	if err != nil {
		return nil, sessionError(err)
	}
	res, err := n.Run(ctx)
	if status != nil {
		status.done()
	}
	return res, sessionError(err)
}

// sessionError gives a node's refusals the exit codes of bad flags or a bad config.
func sessionError(err error) error {
	var ce *node.ConfigError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &ce):
		switch ce.Setting {
		case "HTTP", "Metrics", "Duration":
			return &usageError{fmt.Errorf("--%s: %w", strings.ToLower(ce.Setting), ce.Err)}
		}
		return &usageError{ce.Err}
	case errors.Is(err, journal.ErrDamaged):
		return &ExitCodeError{Code: ExitUsage, Err: err} // like a bad --db argument
	case errors.Is(err, journal.ErrOtherConfig):
		// A config/journal mismatch is fixed on the command line (--db or -c), like a bad flag.
		return &ExitCodeError{Code: ExitUsage, Err: err}
	}
	return err
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
