package journal_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed"
)

// TestSameRunSameJournal: DESIGN rule 5 — the same events, config and seeds give the same
// journal whatever the goroutine scheduling. Three instances record concurrently, so the
// order their records reach the writer differs from run to run; every row, rec included,
// must not. (The rows' SQLite rowid, id, is an insertion counter and is left out; so are
// the wall-clock columns of the session row.)
func TestSameRunSameJournal(t *testing.T) {
	batches := market(t, 11, 3000)
	var dumps [2]string
	for i := range dumps {
		dumps[i] = journalOfRun(t, batches)
	}
	if dumps[0] != dumps[1] {
		t.Fatalf("two runs of the same backtest wrote different journals:\n%s", firstDiff(dumps[1], dumps[0]))
	}
	if !strings.Contains(dumps[0], "fills ") || !strings.Contains(dumps[0], "orders ") {
		t.Fatal("the runs wrote no fills or orders: the comparison proves little")
	}
}

func journalOfRun(t *testing.T, batches [][]feed.Event) string {
	t.Helper()
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup, Buffer: 16, MaxBatch: 7, Linger: -1})
	if err != nil {
		t.Fatal(err)
	}
	mk := func(name string, every int, p feed.Pair, seed uint64) engine.Instance {
		in := engine.Instance{Name: name, Type: "pinger", Strategy: &pinger{every: every}, Pairs: []feed.Pair{p},
			Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}}}
		in.Sim.Seed = seed
		return in
	}
	ins := []engine.Instance{mk("a", 2, "BTC/USD", 1), mk("b", 3, "ETH/USD", 2), mk("c", 2, "BTC/USD", 3)}
	if _, err := j.Begin(ctx, sessionConfig("h", ins)); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, batches, ins, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var b strings.Builder
	for _, q := range []struct{ table, cols, order string }{
		{"sessions", "mode, config_hash, seed, version, status, first_event_ns, last_event_ns, records", "id"},
		{"orders", "session, rec, instance, seq, time_ns, order_id, status, reason, pair, side, type, qty, price, price2, filled, avg_price, fee, userref, update_ns, detail", "session, instance, rec, id"},
		{"fills", "session, rec, instance, seq, time_ns, fill_ns, order_id, userref, pair, side, price, qty, cost, fee, fee_asset, liquidity, model, provenance", "session, instance, rec, id"},
		{"balances", "session, rec, instance, seq, time_ns, asset, delta, total, reason, ref", "session, instance, rec, id"},
		{"equity", "session, rec, instance, seq, time_ns, equity", "session, instance, rec, id"},
		{"faults", "session, rec, instance, seq, time_ns, kind, message", "session, instance, rec, id"},
	} {
		dumpTable(t, db, &b, q.table, q.cols, q.order)
	}
	return b.String()
}

func dumpTable(t *testing.T, db *sql.DB, b *strings.Builder, table, cols, order string) {
	t.Helper()
	rows, err := db.Query("SELECT " + cols + " FROM " + table + " ORDER BY " + order)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := strings.Count(cols, ",") + 1
	vals := make([]any, n)
	ptrs := make([]any, n)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(b, "%s ", table)
		for _, v := range vals {
			if bs, ok := v.([]byte); ok {
				v = string(bs)
			}
			fmt.Fprintf(b, "%v|", v)
		}
		b.WriteByte('\n')
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
