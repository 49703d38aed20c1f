package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/papertrade/papertrade/backtest"
	"github.com/papertrade/papertrade/backtest/node"
	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/engine/session"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// ExitDiverged is the exit code of backtest --session when the replay's fills differ from the
// journaled ones.
const ExitDiverged = 5

// withSessionReplay adds --session and --db to the backtest command: with --session, backtest
// replays a recorded live session instead of a data set and checks that it makes the same
// fills as the live run did.
func withSessionReplay(a *app, cmd *cobra.Command) *cobra.Command {
	var id int64
	var db string
	f := cmd.Flags()
	f.Int64Var(&id, "session", 0, "replay this recorded live session (see --db) and check that it makes the same fills")
	f.StringVar(&db, "db", defaultJournal, "journal of the --session (papertrade live --db)")
	cmd.Long += `

With --session N, backtest replays live session N of the journal --db (default papertrade.db)
instead: the session's own recording, its config and the account state it started from, all
taken from the journal. It then compares the replay's fills with the fills the live session
journaled, instance by instance, and prints how many were compared and the first divergence,
if any (exit code 5). A session that crashed is compared over what both its journal and its
recording kept. With --out, the replay's summary.json and report.html are written there.`
	cmd.Example += `
  papertrade backtest --session 1 --db papertrade.db`
	run := cmd.RunE
	cmd.RunE = func(c *cobra.Command, args []string) error {
		if !c.Flags().Changed("session") {
			if c.Flags().Changed("db") {
				return &usageError{errors.New("--db is only for --session")}
			}
			return run(c, args)
		}
		for _, name := range []string{"config", "data", "from", "to", "fill-models"} {
			if c.Flags().Changed(name) {
				return &usageError{fmt.Errorf("--%s cannot be combined with --session: the session's own config and recording are replayed", name)}
			}
		}
		out := ""
		if c.Flags().Changed("out") {
			if out, _ = c.Flags().GetString("out"); out == "" {
				return &usageError{errors.New("--out must name a directory")}
			}
		}
		return runSessionReplay(c.Context(), a, db, id, out)
	}
	return cmd
}

func runSessionReplay(ctx context.Context, a *app, db string, id int64, out string) error {
	r, err := journal.OpenReader(db)
	if err != nil {
		return &usageError{err}
	}
	defer r.Close()
	s, err := replayableSession(ctx, r, db, id)
	if err != nil {
		return err
	}
	pairs := kraken.DefaultPairs()
	c, err := config.Parse(s.Config, fmt.Sprintf("%s (session %d)", db, id), a.registry, pairs)
	if err != nil {
		return fmt.Errorf("session %d's config no longer loads: %w", id, err)
	}
	if h := node.ConfigHash(c); h != s.ConfigHash {
		// A config/journal mismatch: exit 2 like live's refusal of another config's journal.
		return &ExitCodeError{Code: ExitUsage, Err: fmt.Errorf("session %d's config hashes to %s now, %s when it ran (strategies or defaults changed since? replay it with the papertrade version that ran it)", id, short(h), short(s.ConfigHash))}
	}
	log := a.log.Named("replay")
	ins, descs, err := backtest.Instances(c, a.registry, nil, log)
	if err != nil {
		return err
	}
	// The report's collectors, fed as the live node fed its own (issue 18 item 11: --out was
	// ignored with --session).
	cols := make(map[string]*report.Collector, len(descs))
	ordered := make([]*report.Collector, 0, len(descs))
	for _, d := range descs {
		col := report.NewCollector(d)
		cols[d.Name] = col
		ordered = append(ordered, col)
	}
	market := report.NewMarketRecorder(c.EquityInterval)
	var trades uint64
	observe := func(b []feed.Event) {
		for i := range b {
			market.Observe(&b[i])
			if b[i].Kind == feed.KindTrade {
				trades++
			}
		}
	}
	rep, err := backtest.ReplaySession(ctx, backtest.SessionReplay{Session: s, Instances: ins, EquityInterval: c.EquityInterval, Pairs: pairs,
		Recorder: collectorsByInstance(cols), Observe: observe, Log: log})
	if err != nil {
		return err
	}
	journaled, err := r.Records(ctx, id, "")
	if err != nil {
		return err
	}
	var names []string
	var replayed []engine.Record
	for _, in := range rep.Result.Instances {
		names = append(names, in.Name)
		replayed = append(replayed, rep.Records.Records(in.Name)...)
	}
	p := session.CompareFills(id, s.Status != "closed", names, journaled, replayed)
	fmt.Fprintf(a.stdout, "replayed %s: %d events\n", rep.Tape, rep.Result.Events)
	if err := p.Write(a.stdout); err != nil {
		return err
	}
	if out != "" {
		mk := market.Market()
		sum := replaySummary(s, c, db, rep.Result, trades, ordered, mk)
		if err := writeReplayResults(out, sum, ordered, mk, string(s.Config)); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "results in %s: report.html, summary.json\n", out)
	}
	if !p.OK() {
		return &ExitCodeError{Code: ExitDiverged, Err: fmt.Errorf("the replay of session %d does not reproduce its fills", id)}
	}
	return nil
}

// replayableSession finds session id in the journal: a usage error (exit 2) when there is no
// such session (listing the ones there are) or it is still running.
func replayableSession(ctx context.Context, r *journal.Reader, db string, id int64) (*journal.SessionInfo, error) {
	s, ok, err := r.Session(ctx, id)
	if err != nil {
		return s, err
	}
	if !ok {
		all, _ := r.Sessions(ctx)
		var ids []string
		for _, x := range all {
			ids = append(ids, fmt.Sprintf("%d (%s, %s)", x.ID, x.Mode, x.Status))
		}
		return s, &usageError{fmt.Errorf("--session %d: no such session in %s; it has: %s", id, db, strings.Join(ids, ", "))}
	}
	if s.Status == "running" {
		return s, &usageError{fmt.Errorf("session %d is still running (or crashed and was not restarted): stop it first", id)}
	}
	return s, nil
}

// replaySummary is summary.json of a session's replay: the run's settings and each instance's
// summary, spanning the instances' event times.
func replaySummary(s *journal.SessionInfo, c *config.Config, db string, res *engine.Result, trades uint64, ordered []*report.Collector, mk *report.Market) *report.Summary {
	sum := &report.Summary{Run: report.Run{Version: Version, Mode: "replay of " + s.Mode + " session " + fmt.Sprint(s.ID), Config: db,
		ConfigHash: s.ConfigHash, Seed: c.Seed, Events: res.Events, Trades: trades}}
	for _, m := range c.Models() {
		sum.Run.FillModels = append(sum.Run.FillModels, m.String())
	}
	var first, last time.Time
	for i, ir := range res.Instances {
		sum.Strategies = append(sum.Strategies, ordered[i].Summary(ir, mk))
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
	return sum
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// collectorsByInstance routes records to their instance's report collector.
type collectorsByInstance map[string]*report.Collector

func (m collectorsByInstance) Record(r *record.Record) {
	if c := m[r.Instance]; c != nil {
		c.Record(r)
	}
}

// writeReplayResults writes a session replay's summary.json and report.html into dir.
func writeReplayResults(dir string, sum *report.Summary, cols []*report.Collector, mk *report.Market, cfg string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	js, err := sum.JSON()
	if err != nil {
		return err
	}
	var html bytes.Buffer
	if err := report.WriteHTML(&html, report.HTMLInput{Title: "papertrade session replay", Summary: sum, Collectors: cols, Market: mk, Config: cfg}); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), js, 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "report.html"), html.Bytes(), 0o644)
}
