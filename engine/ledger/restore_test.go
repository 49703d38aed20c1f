package ledger

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// A restored ledger must behave exactly like the one it was taken from: same balances, same
// positions, and the same results for every trade booked afterwards.
func TestSnapshotRestoreContinuesIdentically(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	orig := New("USD")
	mustOK(t, orig.Deposit("USD", d("100000")))
	mustOK(t, orig.Deposit("ETH", d("3")))
	trade := func(l *Ledger, i int) Trade {
		side := feed.Buy
		if i%3 == 2 {
			side = feed.Sell
		}
		price := decimal.New(int64(49000+rng.IntN(2000)), 0)
		qty := decimal.New(int64(1+rng.IntN(50)), -3)
		cost := price.Mul(qty)
		return Trade{Pair: "BTC/USD", Base: "BTC", Quote: "USD", Side: side, Price: price, Qty: qty,
			Cost: cost, Fee: cost.Mul(d("0.0026")).Round(5)}
	}
	var script []Trade
	for i := range 60 {
		script = append(script, trade(orig, i))
	}
	for _, tr := range script[:30] {
		if err := orig.Trade(tr); err != nil {
			t.Fatalf("trade %+v: %v", tr, err)
		}
	}
	snap := orig.Snapshot()
	b, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}

	// The resumed account starts from its configured deposits, which Restore replaces.
	resumed := New("USD")
	mustOK(t, resumed.Deposit("USD", d("100000")))
	mustOK(t, resumed.Deposit("ETH", d("3")))
	mustOK(t, resumed.Restore(back))
	if !reflect.DeepEqual(fmtSnap(resumed.Snapshot()), fmtSnap(snap)) {
		t.Fatalf("restored snapshot\n got %v\nwant %v", fmtSnap(resumed.Snapshot()), fmtSnap(snap))
	}
	for _, tr := range script[30:] {
		errA, errB := orig.Trade(tr), resumed.Trade(tr)
		if (errA == nil) != (errB == nil) {
			t.Fatalf("trade %+v: original %v, resumed %v", tr, errA, errB)
		}
	}
	orig.Mark("BTC/USD", d("50500"))
	resumed.Mark("BTC/USD", d("50500"))
	if !reflect.DeepEqual(orig.Balances(), resumed.Balances()) || !reflect.DeepEqual(orig.Positions(), resumed.Positions()) {
		t.Fatalf("after 30 more trades:\n got %v %v\nwant %v %v", resumed.Balances(), resumed.Positions(), orig.Balances(), orig.Positions())
	}
	mustOK(t, resumed.Check())
}

// fmtSnap compares decimals by value, not by representation.
func fmtSnap(s Snapshot) []string {
	var out []string
	for _, b := range s.Balances {
		out = append(out, b.Asset+"="+b.Total.String())
	}
	for _, p := range s.Positions {
		out = append(out, string(p.Pair)+":"+p.Qty.String()+"/"+p.Basis.String()+"/"+p.Realised.String())
	}
	return out
}

func TestRestoreRefuses(t *testing.T) {
	ok := Snapshot{Currency: "USD", Balances: []BalanceSnapshot{{Asset: "USD", Total: d("10")}}}
	tests := []struct {
		name  string
		setup func(*Ledger)
		snap  Snapshot
		want  string
	}{
		{"reservations held", func(l *Ledger) {
			mustOK(t, l.Deposit("USD", d("10")))
			mustOK(t, l.Reserve(strategy.OrderID("O1"), "USD", d("1")))
		}, ok, "reservations"},
		{"other currency", nil, Snapshot{Currency: "EUR"}, "snapshot is in EUR"},
		{"negative balance", nil, Snapshot{Balances: []BalanceSnapshot{{Asset: "USD", Total: d("-1")}}}, "negative"},
		{"asset twice", nil, Snapshot{Balances: []BalanceSnapshot{{Asset: "USD", Total: d("1")}, {Asset: "USD", Total: d("2")}}}, "twice"},
		{"empty asset", nil, Snapshot{Balances: []BalanceSnapshot{{Total: d("1")}}}, "empty asset"},
		{"negative position", nil, Snapshot{Positions: []PositionSnapshot{{Pair: "BTC/USD", Qty: d("-1")}}}, "negative"},
		{"pair twice", nil, Snapshot{Positions: []PositionSnapshot{{Pair: "BTC/USD"}, {Pair: "BTC/USD"}}}, "twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := New("USD")
			if tc.setup != nil {
				tc.setup(l)
			}
			before := l.Snapshot()
			err := l.Restore(tc.snap)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore = %v, want an error containing %q", err, tc.want)
			}
			if !reflect.DeepEqual(fmtSnap(l.Snapshot()), fmtSnap(before)) {
				t.Fatalf("a refused restore changed the ledger: %v -> %v", fmtSnap(before), fmtSnap(l.Snapshot()))
			}
		})
	}
}

// Restoring replaces what was there: assets and positions absent from the snapshot read zero.
func TestRestoreReplaces(t *testing.T) {
	l := New("USD")
	mustOK(t, l.Deposit("USD", d("500")))
	mustOK(t, l.Deposit("DOGE", d("5")))
	mustOK(t, l.Trade(btc(feed.Buy, "", "100", "1", "100", "0")))
	mustOK(t, l.Restore(Snapshot{Balances: []BalanceSnapshot{{Asset: "USD", Total: d("42")}}}))
	wantBalance(t, l, "USD", "42", "0")
	wantBalance(t, l, "DOGE", "0", "0")
	wantBalance(t, l, "BTC", "0", "0")
	if ps := l.Positions(); len(ps) != 0 {
		t.Fatalf("positions after restore = %v, want none", ps)
	}
}
