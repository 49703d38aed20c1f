package journal

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Reader reads a journal: its sessions and their records. It is safe for concurrent use and
// may read while a Journal writes the same file.
type Reader struct {
	db   *sql.DB
	path string
	own  bool
}

// OpenReader opens the journal at path read-only, after checking that it is intact (see
// ErrDamaged): a session is only replayed from a complete journal of a schema this build reads.
func OpenReader(path string) (*Reader, error) {
	if err := checkEmptyFile(path); err != nil {
		return nil, err
	}
	db, err := openDB(path, true)
	if err != nil {
		return nil, err
	}
	n, err := verify(context.Background(), db, path)
	if err == nil && n == 0 {
		err = damaged(path, "it has no tables")
	}
	if err != nil {
		_ = db.Close()
		return nil, err
	}
	return &Reader{db: db, path: path, own: true}, nil
}

// Close closes a Reader from OpenReader (a Journal's own Reader closes with the Journal).
func (r *Reader) Close() error {
	if r.own {
		return r.db.Close()
	}
	return nil
}

// SessionInfo describes one session.
type SessionInfo struct {
	ID         int64
	Mode       string
	ConfigHash string
	Config     []byte
	Seed       uint64
	Version    string
	Feed       FeedInfo
	TapeDir    string
	TapeName   string
	Started    time.Time // wall clock
	Ended      time.Time // wall clock; zero while running or after a crash
	Status     string    // running, closed or crashed
	FirstEvent time.Time // event time
	LastEvent  time.Time
	Records    int64
	Instances  []InstanceConfig // without deposits
	// Restored is the state the session started from (nil for a journal's first session).
	Restored []*InstanceState
}

// Sessions lists the journal's sessions, oldest first.
func (r *Reader) Sessions(ctx context.Context) ([]*SessionInfo, error) {
	return r.sessions(ctx, 0)
}

// Session returns one session; ok is false when there is none with that id.
func (r *Reader) Session(ctx context.Context, id int64) (*SessionInfo, bool, error) {
	s, err := r.sessions(ctx, id)
	if err != nil || len(s) == 0 {
		return nil, false, err
	}
	return s[0], true, nil
}

func (r *Reader) sessions(ctx context.Context, id int64) ([]*SessionInfo, error) {
	q := `SELECT id, mode, config_hash, config, seed, version, feed, tape_dir, tape_name, started_wall, ended_wall, status,
		first_event_ns, last_event_ns, records, restore FROM sessions`
	args := []any{}
	if id != 0 {
		q += ` WHERE id = ?`
		args = append(args, id)
	}
	rows, err := r.db.QueryContext(ctx, q+` ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", r.path, err)
	}
	var out []*SessionInfo
	err = scanAll(rows, func(rows *sql.Rows) error {
		s := &SessionInfo{}
		var seed, feedJSON string
		var started int64
		var ended, first, last sql.NullInt64
		var restore sql.NullString
		if err := rows.Scan(&s.ID, &s.Mode, &s.ConfigHash, &s.Config, &seed, &s.Version, &feedJSON, &s.TapeDir, &s.TapeName,
			&started, &ended, &s.Status, &first, &last, &s.Records, &restore); err != nil {
			return err
		}
		var err error
		if s.Seed, err = strconv.ParseUint(seed, 10, 64); err != nil {
			return fmt.Errorf("session %d: seed %q: %w", s.ID, seed, err)
		}
		if err := json.Unmarshal([]byte(feedJSON), &s.Feed); err != nil {
			return fmt.Errorf("session %d: feed: %w", s.ID, err)
		}
		if restore.Valid {
			if err := json.Unmarshal([]byte(restore.String), &s.Restored); err != nil {
				return fmt.Errorf("session %d: restore state: %w", s.ID, err)
			}
		}
		s.Started = time.Unix(0, started)
		if ended.Valid {
			s.Ended = time.Unix(0, ended.Int64)
		}
		if first.Valid {
			s.FirstEvent = time.Unix(0, first.Int64)
		}
		if last.Valid {
			s.LastEvent = time.Unix(0, last.Int64)
		}
		out = append(out, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", r.path, err)
	}
	for _, s := range out {
		rows, err := r.db.QueryContext(ctx, `SELECT name, type, seed, currency FROM instances WHERE session = ? ORDER BY rowid`, s.ID)
		if err != nil {
			return nil, fmt.Errorf("journal: %s: %w", r.path, err)
		}
		err = scanAll(rows, func(rows *sql.Rows) error {
			var in InstanceConfig
			var seed string
			if err := rows.Scan(&in.Name, &in.Type, &seed, &in.Currency); err != nil {
				return err
			}
			in.Seed, _ = strconv.ParseUint(seed, 10, 64)
			s.Instances = append(s.Instances, in)
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("journal: %s: %w", r.path, err)
		}
	}
	return out, nil
}

// Records rebuilds the engine records of one session (0: every session) in the order they
// were made: order updates, fills, equity samples, faults and lag reports. instance filters
// by instance ("" for all).
func (r *Reader) Records(ctx context.Context, session int64, instance string) ([]record.Record, error) {
	type keyed struct {
		session, rec int64
		r            record.Record
	}
	var all []keyed
	where, args := filter(session, instance)
	fail := func(err error) ([]record.Record, error) {
		return nil, fmt.Errorf("journal: %s: records: %w", r.path, err)
	}

	rows, err := r.db.QueryContext(ctx, `SELECT session, rec, instance, seq, time_ns, status, reason, filled, avg_price, fee, update_ns, detail FROM orders`+where, args...)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var k keyed
		var seq, tns, uns int64
		var status, filled, avg, fee, detail string
		if err := rows.Scan(&k.session, &k.rec, &k.r.Instance, &seq, &tns, &status, &k.r.Order.Reason, &filled, &avg, &fee, &uns, &detail); err != nil {
			return err
		}
		k.r.Kind, k.r.Seq, k.r.Time = record.KindOrder, uint64(seq), timeOf(tns)
		u := &k.r.Order
		var err error
		if u.Status, err = parseStatus(status); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(detail), &u.Order); err != nil {
			return err
		}
		if err := decs([]*decimal.Decimal{&u.Filled, &u.AvgPrice, &u.Fee}, filled, avg, fee); err != nil {
			return err
		}
		u.Time = timeOf(uns)
		all = append(all, k)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	rows, err = r.db.QueryContext(ctx, `SELECT session, rec, instance, seq, time_ns, fill_ns, order_id, userref, pair, side, price, qty, fee, fee_asset, liquidity, provenance FROM fills`+where, args...)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var k keyed
		var seq, tns, fns, uref int64
		var oid, pair, side, price, qty, fee, liq, prov string
		f := &k.r.Fill
		if err := rows.Scan(&k.session, &k.rec, &k.r.Instance, &seq, &tns, &fns, &oid, &uref, &pair, &side, &price, &qty, &fee, &f.FeeAsset, &liq, &prov); err != nil {
			return err
		}
		k.r.Kind, k.r.Seq, k.r.Time = record.KindFill, uint64(seq), timeOf(tns)
		f.OrderID, f.UserRef, f.Pair, f.Time, f.Seq = strategy.OrderID(oid), int32(uref), feed.Pair(pair), timeOf(fns), uint64(seq)
		var err error
		if f.Side, err = feed.ParseSide(side); err != nil {
			return err
		}
		switch liq {
		case "maker":
			f.Liquidity = strategy.Maker
		case "taker":
			f.Liquidity = strategy.Taker
		}
		if err := decs([]*decimal.Decimal{&f.Price, &f.Qty, &f.Fee}, price, qty, fee); err != nil {
			return err
		}
		if err := decodeProvenance([]byte(prov), &f.Provenance); err != nil {
			return err
		}
		all = append(all, k)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	rows, err = r.db.QueryContext(ctx, `SELECT session, rec, instance, seq, time_ns, equity FROM equity`+where, args...)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var k keyed
		var seq, tns int64
		var eq string
		if err := rows.Scan(&k.session, &k.rec, &k.r.Instance, &seq, &tns, &eq); err != nil {
			return err
		}
		k.r.Kind, k.r.Seq, k.r.Time = record.KindEquity, uint64(seq), timeOf(tns)
		all = append(all, k)
		return decs([]*decimal.Decimal{&all[len(all)-1].r.Equity}, eq)
	})
	if err != nil {
		return fail(err)
	}
	rows, err = r.db.QueryContext(ctx, `SELECT session, rec, instance, seq, time_ns, kind, message FROM faults`+where, args...)
	if err != nil {
		return fail(err)
	}
	err = scanAll(rows, func(rows *sql.Rows) error {
		var k keyed
		var seq, tns int64
		var kind, msg string
		if err := rows.Scan(&k.session, &k.rec, &k.r.Instance, &seq, &tns, &kind, &msg); err != nil {
			return err
		}
		k.r.Kind, k.r.Seq, k.r.Time = record.KindFault, uint64(seq), timeOf(tns)
		if kind == record.KindLag.String() {
			k.r.Kind = record.KindLag
		}
		k.r.Err = errors.New(msg)
		all = append(all, k)
		return nil
	})
	if err != nil {
		return fail(err)
	}
	mrecs, err := r.marginRecords(ctx, where, args)
	if err != nil {
		return fail(err)
	}
	for _, m := range mrecs {
		all = append(all, keyed(m))
	}
	// One instance's records in rec order; instances interleaved by the event that made the
	// record, then by name: an order that does not depend on how the workers were scheduled.
	// (An instance's records have non-decreasing seq, so this keeps each one's rec order.)
	slices.SortStableFunc(all, func(a, b keyed) int {
		if a.session != b.session {
			return cmpInt(a.session, b.session)
		}
		if a.r.Seq != b.r.Seq {
			return cmpInt(int64(a.r.Seq), int64(b.r.Seq))
		}
		if a.r.Instance != b.r.Instance {
			return strings.Compare(a.r.Instance, b.r.Instance)
		}
		return cmpInt(a.rec, b.rec)
	})
	out := make([]record.Record, len(all))
	for i := range all {
		out[i] = all[i].r
	}
	markMarginFills(out)
	return out, nil
}

// GapRow is one recorded feed gap.
type GapRow struct {
	Session int64
	Pair    feed.Pair
	Gap     feed.Gap
}

// Gaps lists the gaps of one session (0: all), in the order they were recorded.
func (r *Reader) Gaps(ctx context.Context, session int64) ([]GapRow, error) {
	where, args := filter(session, "")
	rows, err := r.db.QueryContext(ctx, `SELECT session, pair, channel, from_ns, to_ns, from_id, to_id, missing, reason FROM gaps`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", r.path, err)
	}
	var out []GapRow
	err = scanAll(rows, func(rows *sql.Rows) error {
		var g GapRow
		var pair string
		var from, to, fid, tid, missing int64
		if err := rows.Scan(&g.Session, &pair, &g.Gap.Channel, &from, &to, &fid, &tid, &missing, &g.Gap.Reason); err != nil {
			return err
		}
		g.Pair = feed.Pair(pair)
		g.Gap.From, g.Gap.To, g.Gap.FromID, g.Gap.ToID, g.Gap.Missing = timeOf(from), timeOf(to), uint64(fid), uint64(tid), uint64(missing)
		out = append(out, g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", r.path, err)
	}
	return out, nil
}

// BalanceRow is one balance change: a deposit, or one leg of a fill.
type BalanceRow struct {
	Session  int64
	Instance string
	Seq      uint64
	Time     time.Time
	Asset    string
	Delta    decimal.Decimal
	Total    decimal.Decimal
	Reason   string // deposit | fill
	Ref      string // the fill's order id
}

// Balances lists the balance changes of one session (0: all) and instance ("" for all), in
// order.
func (r *Reader) Balances(ctx context.Context, session int64, instance string) ([]BalanceRow, error) {
	where, args := filter(session, instance)
	rows, err := r.db.QueryContext(ctx, `SELECT session, instance, seq, time_ns, asset, delta, total, reason, ref FROM balances`+where, args...)
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", r.path, err)
	}
	var out []BalanceRow
	err = scanAll(rows, func(rows *sql.Rows) error {
		var b BalanceRow
		var seq, tns int64
		var delta, total string
		if err := rows.Scan(&b.Session, &b.Instance, &seq, &tns, &b.Asset, &delta, &total, &b.Reason, &b.Ref); err != nil {
			return err
		}
		b.Seq, b.Time = uint64(seq), timeOf(tns)
		out = append(out, b)
		return decs([]*decimal.Decimal{&out[len(out)-1].Delta, &out[len(out)-1].Total}, delta, total)
	})
	if err != nil {
		return nil, fmt.Errorf("journal: %s: %w", r.path, err)
	}
	return out, nil
}

// Counts returns how many orders (updates), fills, equity samples, faults and gaps the
// session (0: all) holds, for summaries and tests.
func (r *Reader) Counts(ctx context.Context, session int64) (map[string]int64, error) {
	out := map[string]int64{}
	where, args := filter(session, "")
	for _, t := range []string{"orders", "fills", "balances", "equity", "faults", "gaps"} {
		var n int64
		if err := r.db.QueryRowContext(ctx, `SELECT count(*) FROM `+t+where, args...).Scan(&n); err != nil {
			return nil, fmt.Errorf("journal: %s: %w", r.path, err)
		}
		out[t] = n
	}
	return out, nil
}

func filter(session int64, instance string) (string, []any) {
	var conds []string
	var args []any
	if session != 0 {
		conds = append(conds, "session = ?")
		args = append(args, session)
	}
	if instance != "" {
		conds = append(conds, "instance = ?")
		args = append(args, instance)
	}
	where := ""
	for i, c := range conds {
		if i == 0 {
			where = " WHERE " + c
		} else {
			where += " AND " + c
		}
	}
	return where + " ORDER BY session, id", args
}

func decs(dst []*decimal.Decimal, src ...string) error {
	for i, s := range src {
		d, err := decimal.NewFromString(s)
		if err != nil {
			return fmt.Errorf("decimal %q: %w", s, err)
		}
		*dst[i] = d
	}
	return nil
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
