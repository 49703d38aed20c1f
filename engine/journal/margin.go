package journal

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// Spot margin (schema version 2). A margin fill moves no balance but its realised PnL and its
// fees, so its balance rows come from its margin record, not from the fill; rollover fees and
// settlements, which are not fills, have margin records of their own. Restoring an account
// replays its spot fills and its margin records in the order they were recorded, so margin
// positions come back exactly: side, quantity, cost, leverage, fees so far and the next
// rollover time.
const marginSchema = `
CREATE TABLE IF NOT EXISTS margin (
	id          INTEGER PRIMARY KEY,
	session     INTEGER NOT NULL,
	rec         INTEGER NOT NULL,
	instance    TEXT NOT NULL,
	seq         INTEGER NOT NULL,
	time_ns     INTEGER NOT NULL,
	event_ns    INTEGER NOT NULL, -- the event's own time (a rollover's due time)
	kind        TEXT NOT NULL,    -- fill | rollover | settle | margin call | liquidation
	order_id    TEXT NOT NULL,
	pair        TEXT NOT NULL,
	side        TEXT NOT NULL,
	qty         TEXT NOT NULL,
	price       TEXT NOT NULL,
	cost        TEXT NOT NULL,
	fee         TEXT NOT NULL,    -- trading fee (fill) or rollover fee, quote
	open_fee    TEXT NOT NULL,    -- margin opening fee, quote
	pnl         TEXT NOT NULL,    -- PnL the fill's closing part realised, quote
	leverage    INTEGER NOT NULL,
	level       TEXT NOT NULL,    -- margin level, percent (call, liquidation)
	equity      TEXT NOT NULL,
	used_margin TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS margin_by_instance ON margin (session, instance, id);
`

const insMargin = `INSERT INTO margin (session, rec, instance, seq, time_ns, event_ns, kind, order_id, pair, side, qty, price, cost, fee, open_fee, pnl, leverage, level, equity, used_margin) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

func sideName(s feed.Side) string {
	if s == 0 {
		return ""
	}
	return s.String()
}

// marginRecord writes a margin record and the balance rows of what it moved.
func (w *writer) marginRecord(ctx context.Context, tx *sql.Tx, r *record.Record, rec, ns int64) error {
	j := w.j
	m := &r.Margin
	_, err := w.stmt(ctx, tx, insMargin).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns, nsOf(m.Time),
		m.Kind.String(), string(m.Order), string(m.Pair), sideName(m.Side), m.Qty.String(), m.Price.String(), m.Cost.String(),
		m.Fee.String(), m.OpenFee.String(), m.PnL.String(), int64(m.Leverage), m.Level.String(), m.Equity.String(), m.UsedMargin.String())
	if err != nil {
		return fmt.Errorf("margin: %w", err)
	}
	base, quote := assetsOf(j.opts.Pairs, m.Pair)
	var deltas [2]decimal.Decimal // base, quote
	switch m.Kind {
	case strategy.MarginFill:
		deltas[1] = m.PnL.Sub(m.Fee).Sub(m.OpenFee)
	case strategy.MarginRollover:
		deltas[1] = m.Fee.Neg()
	case strategy.MarginSettle:
		if m.Side == feed.Buy { // a long pays its cost and keeps the base
			deltas = [2]decimal.Decimal{m.Qty, m.Cost.Neg()}
		} else {
			deltas = [2]decimal.Decimal{m.Qty.Neg(), m.Cost}
		}
	default:
		return nil
	}
	reason := "margin " + m.Kind.String()
	for i, asset := range [2]string{base, quote} {
		if deltas[i].IsZero() {
			continue
		}
		tot := w.totals[r.Instance]
		if tot == nil {
			tot = map[string]decimal.Decimal{}
			w.totals[r.Instance] = tot
		}
		t := tot[asset].Add(deltas[i])
		tot[asset] = t
		if _, err := w.stmt(ctx, tx, insBalance).ExecContext(ctx, j.session, rec, r.Instance, int64(r.Seq), ns,
			asset, deltas[i].String(), t.String(), reason, string(m.Order)); err != nil {
			return fmt.Errorf("balance: %w", err)
		}
	}
	return nil
}

// step is one ledger change of a restore, ordered by (session, rec).
type step struct {
	session, rec int64
	spot         *ledger.Trade
	margin       *strategy.MarginEvent
}

// marginSteps loads an instance's margin records that change its ledger.
func (r *Reader) marginSteps(ctx context.Context, instance string) ([]step, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT session, rec, event_ns, kind, order_id, pair, side, qty, price, cost, fee, open_fee, pnl, leverage FROM margin WHERE instance = ? ORDER BY session, id`, instance)
	if err != nil {
		return nil, err
	}
	var out []step
	err = scanAll(rows, func(rows *sql.Rows) error {
		var s step
		var ens, lev int64
		var kind, oid, pair, side, qty, price, cost, fee, openFee, pnl string
		if err := rows.Scan(&s.session, &s.rec, &ens, &kind, &oid, &pair, &side, &qty, &price, &cost, &fee, &openFee, &pnl, &lev); err != nil {
			return err
		}
		m := &strategy.MarginEvent{Order: strategy.OrderID(oid), Pair: feed.Pair(pair), Leverage: int(lev), Time: timeOf(ens)}
		var err error
		if m.Kind, err = strategy.ParseMarginEventKind(kind); err != nil {
			return err
		}
		switch m.Kind {
		case strategy.MarginFill, strategy.MarginRollover, strategy.MarginSettle:
		default:
			return nil
		}
		if m.Side, err = feed.ParseSide(side); err != nil {
			return err
		}
		if err := decs([]*decimal.Decimal{&m.Qty, &m.Price, &m.Cost, &m.Fee, &m.OpenFee, &m.PnL}, qty, price, cost, fee, openFee, pnl); err != nil {
			return err
		}
		s.margin = m
		out = append(out, s)
		return nil
	})
	return out, err
}

// applyMargin replays one margin record into a ledger being restored.
func applyMargin(led *ledger.Ledger, pairs func(feed.Pair) (*feed.PairInfo, bool), m *strategy.MarginEvent) error {
	base, quote := assetsOf(pairs, m.Pair)
	return led.ApplyMargin(m, base, quote)
}

// marginRecord is a margin row read back as a record.
type marginRow struct {
	session, rec int64
	r            record.Record
}

// marginRecords reads the margin rows matching where (filter's clause) as records.
func (r *Reader) marginRecords(ctx context.Context, where string, args []any) ([]marginRow, error) {
	rows, err := r.db.QueryContext(ctx, `SELECT session, rec, instance, seq, time_ns, event_ns, kind, order_id, pair, side, qty, price, cost, fee, open_fee, pnl, leverage, level, equity, used_margin FROM margin`+where, args...)
	if err != nil {
		return nil, err
	}
	var out []marginRow
	err = scanAll(rows, func(rows *sql.Rows) error {
		var k marginRow
		var seq, tns, ens, lev int64
		var kind, oid, pair, side, qty, price, cost, fee, openFee, pnl, level, equity, used string
		if err := rows.Scan(&k.session, &k.rec, &k.r.Instance, &seq, &tns, &ens, &kind, &oid, &pair, &side, &qty, &price, &cost, &fee, &openFee, &pnl, &lev, &level, &equity, &used); err != nil {
			return err
		}
		k.r.Kind, k.r.Seq, k.r.Time = record.KindMargin, uint64(seq), timeOf(tns)
		m := &k.r.Margin
		m.Order, m.Pair, m.Leverage, m.Time = strategy.OrderID(oid), feed.Pair(pair), int(lev), timeOf(ens)
		var err error
		if m.Kind, err = strategy.ParseMarginEventKind(kind); err != nil {
			return err
		}
		if side != "" {
			if m.Side, err = feed.ParseSide(side); err != nil {
				return err
			}
		}
		if err := decs([]*decimal.Decimal{&m.Qty, &m.Price, &m.Cost, &m.Fee, &m.OpenFee, &m.PnL, &m.Level, &m.Equity, &m.UsedMargin},
			qty, price, cost, fee, openFee, pnl, level, equity, used); err != nil {
			return err
		}
		out = append(out, k)
		return nil
	})
	return out, err
}

// markMarginFills sets Fill.Leverage from the fill's order, which the fills table does not
// repeat: a fill record reads back as it was recorded.
func markMarginFills(recs []record.Record) {
	type key struct {
		instance string
		id       strategy.OrderID
	}
	lev := map[key]int{}
	for i := range recs {
		if r := &recs[i]; r.Kind == record.KindOrder && r.Order.Order.Leverage > 0 {
			lev[key{r.Instance, r.Order.Order.ID}] = r.Order.Order.Leverage
		}
	}
	if len(lev) == 0 {
		return
	}
	for i := range recs {
		if r := &recs[i]; r.Kind == record.KindFill {
			r.Fill.Leverage = lev[key{r.Instance, r.Fill.OrderID}]
		}
	}
}
