package journal

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// ErrOtherConfig is wrapped by Begin's error when the journal belongs to another
// configuration.
var ErrOtherConfig = errors.New("journal belongs to a different configuration")

// SessionConfig describes the session Begin starts.
type SessionConfig struct {
	Mode string // "live", "demo", ...
	// ConfigHash identifies the configuration of the accounts (see the package doc); Config
	// is the configuration itself, stored so that the session can be replayed.
	ConfigHash string
	Config     []byte
	Seed       uint64
	Version    string
	Feed       FeedInfo
	// TapeDir and TapeName locate the session's recording ("" when not recorded).
	TapeDir, TapeName string
	Instances         []InstanceConfig
	// Started is the wall-clock start (default time.Now()).
	Started time.Time
}

// FeedInfo is how the session's feed was set up, for a replay to set it up the same way.
type FeedInfo struct {
	API      string      `json:"api"`
	URL      string      `json:"url,omitempty"`
	Pairs    []feed.Pair `json:"pairs"`
	Channels []string    `json:"channels"`
	Depth    int         `json:"depth,omitempty"`
}

// InstanceConfig is one instance's account as configured.
type InstanceConfig struct {
	Name     string
	Type     string
	Seed     uint64 // its simulator's seed (order ids derive from it)
	Currency string // account currency
	Deposits []record.Deposit
}

// InstanceState is an instance's account as a new session resumes it.
type InstanceState struct {
	Name   string          `json:"name"`
	Ledger ledger.Snapshot `json:"ledger"`
	Resume sim.Resume      `json:"resume"`
	// Orders, Fills and Rejects count what the account did in earlier sessions.
	Orders  uint64 `json:"orders"`
	Fills   uint64 `json:"fills"`
	Rejects uint64 `json:"rejects"`
}

// Apply loads the state into a new exchange: engine.Instance.Restore.
func (s *InstanceState) Apply(ex *sim.Exchange) error {
	if err := ex.Ledger().Restore(s.Ledger); err != nil {
		return err
	}
	return ex.Restore(s.Resume)
}

// Start is what Begin started.
type Start struct {
	Session int64
	// Previous is the session before this one (nil for the first); its Status says whether it
	// closed cleanly or crashed.
	Previous *SessionInfo
	// States holds each instance's resumed state, in SessionConfig.Instances order; nil for
	// the first session.
	States []*InstanceState
}

// Restore returns the engine.Instance.Restore hook of the named instance, or nil when it
// starts fresh.
func (s *Start) Restore(name string) func(*sim.Exchange) error {
	for _, st := range s.States {
		if st != nil && st.Name == name {
			return st.Apply
		}
	}
	return nil
}

// State returns the named instance's resumed state (nil when it starts fresh).
func (s *Start) State(name string) *InstanceState {
	for _, st := range s.States {
		if st != nil && st.Name == name {
			return st
		}
	}
	return nil
}

// Begin starts a session and the writer goroutine. On a journal with earlier sessions it
// checks the configuration hash (ErrOtherConfig), marks a session that never closed as
// crashed, and rebuilds every instance's state (see the package documentation). Call it once.
func (j *Journal) Begin(ctx context.Context, cfg SessionConfig) (*Start, error) {
	if cfg.ConfigHash == "" {
		return nil, errors.New("journal: begin: no configuration hash")
	}
	if len(cfg.Instances) == 0 {
		return nil, errors.New("journal: begin: no instances")
	}
	seen := map[string]bool{}
	for _, in := range cfg.Instances {
		if in.Name == "" || seen[in.Name] {
			return nil, fmt.Errorf("journal: begin: instance name %q empty or used twice", in.Name)
		}
		seen[in.Name] = true
		for _, d := range in.Deposits {
			if d.Amount.Sign() < 0 {
				return nil, fmt.Errorf("journal: begin: instance %s: starting balance %s %s is negative", in.Name, d.Amount, d.Asset)
			}
		}
	}
	if cfg.Config == nil {
		cfg.Config = []byte{}
	}
	j.mu.RLock()
	bad := j.closed || j.started
	j.mu.RUnlock()
	if bad {
		return nil, errors.New("journal: begin: the journal is closed or already has a session")
	}
	if cfg.Started.IsZero() {
		cfg.Started = time.Now()
	}
	prev, err := j.read.Sessions(ctx)
	if err != nil {
		return nil, err
	}
	start := &Start{}
	totals := map[string]map[string]decimal.Decimal{}
	if len(prev) > 0 {
		first, last := prev[0], prev[len(prev)-1]
		if err := j.sameConfig(first, cfg.ConfigHash); err != nil {
			return nil, err
		}
		if last.Status == "running" {
			if _, err := j.db.ExecContext(ctx, `UPDATE sessions SET status = 'crashed' WHERE id = ?`, last.ID); err != nil {
				return nil, fmt.Errorf("journal: %w", err)
			}
			last.Status = "crashed"
		}
		start.Previous = last
		for _, in := range cfg.Instances {
			st, err := j.read.rebuild(ctx, in, j.opts.Pairs)
			if err != nil {
				return nil, err
			}
			st.Resume.Now = last.LastEvent
			start.States = append(start.States, st)
			tot := map[string]decimal.Decimal{}
			for _, b := range st.Ledger.Balances {
				tot[b.Asset] = b.Total
			}
			totals[in.Name] = tot
		}
		if !last.LastEvent.IsZero() {
			j.offline.Store(&feed.Gap{Channel: "offline", From: last.LastEvent,
				Reason: fmt.Sprintf("papertrade was not running (session %d %s); orders restored from the journal did not trade meanwhile", last.ID, last.Status)})
		}
	}
	feedJSON, err := json.Marshal(cfg.Feed)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	var restore any
	if start.States != nil {
		b, err := json.Marshal(start.States)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		restore = string(b)
		// The session resumes from the state exactly as stored, which is what a replay of
		// it will load: decimals and times come back with the same representation.
		var back []*InstanceState
		if err := json.Unmarshal(b, &back); err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		start.States = back
	}
	tx, err := j.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	res, err := tx.ExecContext(ctx, `INSERT INTO sessions (mode, config_hash, config, seed, version, feed, tape_dir, tape_name, started_wall, status, restore)
		VALUES (?,?,?,?,?,?,?,?,?, 'running', ?)`, cfg.Mode, cfg.ConfigHash, cfg.Config, strconv.FormatUint(cfg.Seed, 10), cfg.Version,
		string(feedJSON), cfg.TapeDir, cfg.TapeName, cfg.Started.UnixNano(), restore)
	if err != nil {
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	for _, in := range cfg.Instances {
		if _, err := tx.ExecContext(ctx, `INSERT INTO instances (session, name, type, seed, currency) VALUES (?,?,?,?,?)`,
			id, in.Name, in.Type, strconv.FormatUint(in.Seed, 10), in.Currency); err != nil {
			return nil, fmt.Errorf("journal: begin: %w", err)
		}
		if start.States != nil {
			continue
		}
		tot := map[string]decimal.Decimal{}
		for _, d := range in.Deposits {
			tot[d.Asset] = tot[d.Asset].Add(d.Amount)
			if _, err := tx.ExecContext(ctx, `INSERT INTO balances (session, rec, instance, seq, time_ns, asset, delta, total, reason, ref) VALUES (?,0,?,0,0,?,?,?,'deposit','')`,
				id, in.Name, d.Asset, d.Amount.String(), tot[d.Asset].String()); err != nil {
				return nil, fmt.Errorf("journal: begin: %w", err)
			}
		}
		totals[in.Name] = tot
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("journal: begin: %w", err)
	}
	j.session = id
	start.Session = id
	if err := j.startWriter(totals); err != nil {
		return nil, err
	}
	return start, nil
}

// Check reports, without writing anything, whether a session of the configuration with this
// hash may start on the journal: nil for a new journal or one of the same configuration, an
// error wrapping ErrOtherConfig otherwise.
func (j *Journal) Check(ctx context.Context, configHash string) error {
	prev, err := j.read.Sessions(ctx)
	if err != nil || len(prev) == 0 {
		return err
	}
	return j.sameConfig(prev[0], configHash)
}

func (j *Journal) sameConfig(first *SessionInfo, hash string) error {
	if first.ConfigHash == hash {
		return nil
	}
	return fmt.Errorf("journal: %s: %w: it was started (session 1, %s) with configuration %s, this run's is %s; "+
		"use another --db for this configuration, or run the original one; a paper account is never reset or mixed",
		j.path, ErrOtherConfig, first.Started.Format(time.RFC3339), short(first.ConfigHash), short(hash))
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

// orderState is one order as the records leave it.
type orderState struct {
	order     strategy.Order
	status    strategy.OrderStatus
	triggered bool
	seq       uint64
	submitted time.Time
	filled    decimal.Decimal
	cost      decimal.Decimal
	fees      decimal.Decimal
}

// rebuild replays an instance's records (every session) into its resumable state.
func (r *Reader) rebuild(ctx context.Context, in InstanceConfig, pairs func(feed.Pair) (*feed.PairInfo, bool)) (*InstanceState, error) {
	fail := func(err error) (*InstanceState, error) {
		return nil, fmt.Errorf("journal: %s: restore %s: %w", r.path, in.Name, err)
	}
	led := ledger.New(in.Currency)
	rows, err := r.db.QueryContext(ctx, `SELECT asset, delta FROM balances WHERE instance = ? AND reason = 'deposit' ORDER BY id`, in.Name)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var asset, delta string
		if err := rows.Scan(&asset, &delta); err != nil {
			return err
		}
		d, err := decimal.NewFromString(delta)
		if err != nil {
			return fmt.Errorf("deposit %q: %w", delta, err)
		}
		return led.Deposit(asset, d)
	})
	if err != nil {
		return fail(err)
	}
	orders := map[strategy.OrderID]*orderState{}
	var order []strategy.OrderID
	var known []strategy.OrderID
	st := &InstanceState{Name: in.Name}
	var noID uint64
	rows, err = r.db.QueryContext(ctx, `SELECT order_id, status, reason, seq, update_ns, detail FROM orders WHERE instance = ? ORDER BY session, id`, in.Name)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var id, status, reason, detail string
		var seq, uns int64
		if err := rows.Scan(&id, &status, &reason, &seq, &uns, &detail); err != nil {
			return err
		}
		stat, err := parseStatus(status)
		if err != nil {
			return err
		}
		if id == "" {
			noID++
			st.Rejects++
			return nil
		}
		ost := orders[strategy.OrderID(id)]
		if ost == nil {
			ost = &orderState{seq: uint64(seq), submitted: timeOf(uns)}
			orders[strategy.OrderID(id)] = ost
			order = append(order, strategy.OrderID(id))
			known = append(known, strategy.OrderID(id))
			if stat != strategy.StatusRejected {
				st.Orders++
			} else {
				st.Rejects++
			}
		}
		var o strategy.Order
		if err := json.Unmarshal([]byte(detail), &o); err != nil {
			return fmt.Errorf("order %s: detail: %w", id, err)
		}
		ost.order, ost.status = o, stat
		if reason == sim.ReasonTriggered {
			ost.triggered = true
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	var steps []step // spot fills and margin records, applied in the order they were recorded
	rows, err = r.db.QueryContext(ctx, `SELECT session, rec, order_id, pair, side, price, qty, cost, fee, fee_asset FROM fills WHERE instance = ? ORDER BY session, id`, in.Name)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var id, pair, side, price, qty, cost, fee, feeAsset string
		var sess, rec int64
		if err := rows.Scan(&sess, &rec, &id, &pair, &side, &price, &qty, &cost, &fee, &feeAsset); err != nil {
			return err
		}
		var t ledger.Trade
		t.FeeAsset = feeAsset // quote, or base for orders with Kraken's fcib
		var err error
		t.Order = ""
		t.Pair = feed.Pair(pair)
		t.Base, t.Quote = assetsOf(pairs, t.Pair)
		if t.Side, err = feed.ParseSide(side); err != nil {
			return err
		}
		for _, f := range []struct {
			dst *decimal.Decimal
			s   string
		}{{&t.Price, price}, {&t.Qty, qty}, {&t.Cost, cost}, {&t.Fee, fee}} {
			if *f.dst, err = decimal.NewFromString(f.s); err != nil {
				return fmt.Errorf("fill of %s: %q: %w", id, f.s, err)
			}
		}
		if ost := orders[strategy.OrderID(id)]; ost == nil || ost.order.Leverage == 0 {
			tc := t
			steps = append(steps, step{session: sess, rec: rec, spot: &tc}) // margin fills replay from their margin records
		}
		st.Fills++
		if ost := orders[strategy.OrderID(id)]; ost != nil {
			ost.filled = ost.filled.Add(t.Qty)
			ost.cost = ost.cost.Add(t.Cost)
			ost.fees = ost.fees.Add(t.Fee)
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	ms, err := r.marginSteps(ctx, in.Name)
	if err != nil {
		return fail(err)
	}
	steps = append(steps, ms...)
	slices.SortStableFunc(steps, func(a, b step) int {
		if c := cmp.Compare(a.session, b.session); c != 0 {
			return c
		}
		return cmp.Compare(a.rec, b.rec)
	})
	for _, sp := range steps {
		if sp.spot != nil {
			if err := led.Trade(*sp.spot); err != nil {
				return fail(fmt.Errorf("fill on %s: %w", sp.spot.Pair, err))
			}
			continue
		}
		if err := applyMargin(led, pairs, sp.margin); err != nil {
			return fail(fmt.Errorf("margin %s of %s on %s: %w", sp.margin.Kind, sp.margin.Order, sp.margin.Pair, err))
		}
	}
	for _, id := range order {
		ost := orders[id]
		if ost.status.Done() || ost.filled.Cmp(ost.order.Qty) >= 0 {
			continue
		}
		status := ost.status
		if status == strategy.StatusPending && ost.filled.Sign() > 0 {
			status = strategy.StatusOpen
		}
		st.Resume.Orders = append(st.Resume.Orders, sim.RestoredOrder{
			Order: ost.order, Status: status, Filled: ost.filled, Cost: ost.cost, Fees: ost.fees,
			Triggered: ost.triggered, Seq: ost.seq, Submitted: ost.submitted,
		})
	}
	n, err := sim.IDsIssued(in.Seed, known, uint64(len(known))+noID)
	if err != nil {
		return fail(err)
	}
	st.Resume.IDsIssued = n
	st.Ledger = led.Snapshot()
	return st, nil
}

func parseStatus(s string) (strategy.OrderStatus, error) {
	for st := strategy.StatusPending; st <= strategy.StatusRejected; st++ {
		if st.String() == s {
			return st, nil
		}
	}
	return 0, fmt.Errorf("unknown order status %q", s)
}

func scanAll(rows *sql.Rows, f func(*sql.Rows) error) error {
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

func timeOf(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
