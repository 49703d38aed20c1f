package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

func restoreLookup(p feed.Pair) (*feed.PairInfo, bool) {
	pi, ok := testPairs()[p]
	return pi, ok
}

// resumeOf is what a journal would rebuild: the ledger's snapshot and every live order with
// what has filled, through JSON as it is stored.
func resumeOf(t *testing.T, e *Exchange, submitted map[strategy.OrderID]time.Time) (ledger.Snapshot, Resume) {
	t.Helper()
	r := Resume{IDsIssued: e.nids, Last: e.LastPrices()}
	for _, o := range e.live {
		r.Orders = append(r.Orders, RestoredOrder{Order: o.o, Status: o.status, Filled: o.filled, Cost: o.cost, Fees: o.fees, Triggered: o.triggered, Seq: o.seq, Submitted: submitted[o.o.ID]})
	}
	var back struct {
		L ledger.Snapshot
		R Resume
	}
	b, err := json.Marshal(struct {
		L ledger.Snapshot
		R Resume
	}{e.led.Snapshot(), r})
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	return back.L, back.R
}

// fmtReports prints reports with pointers followed, so equal reports print equal.
func fmtReports(rs []Report) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Kind == ReportFill {
			fmt.Fprintf(&b, "fill %+v\n", r.Fill)
			continue
		}
		u := r.Update
		cl := ""
		if u.Order.Close != nil {
			cl = fmt.Sprintf("%+v", *u.Order.Close)
		}
		u.Order.Close = nil
		fmt.Fprintf(&b, "update %+v close=%s\n", u, cl)
	}
	return b.String()
}

func resumed(t *testing.T, cfg Config, l ledger.Snapshot, r Resume) *Exchange {
	t.Helper()
	led := ledger.New("USD")
	if err := led.Deposit("USD", dd("1")); err != nil { // replaced by the snapshot
		t.Fatal(err)
	}
	if err := led.Restore(l); err != nil {
		t.Fatal(err)
	}
	e := New(cfg, restoreLookup, led)
	if err := e.Restore(r); err != nil {
		t.Fatal(err)
	}
	return e
}

// An account restored from what a journal records continues exactly like the account that was
// never stopped, as long as nothing it cannot know mattered: no book (queue positions are
// unknown either way), no trailing stops, no jitter, and the first event after the restart
// later than the latency.
func TestRestoreContinuesLikeTheOriginal(t *testing.T) {
	cfg := Config{Seed: 99, Latency: 50 * time.Millisecond}
	led := ledger.New("USD")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(led.Deposit("USD", dd("200000")))
	must(led.Deposit("BTC", dd("2")))
	a := New(cfg, restoreLookup, led)
	rng := rand.New(rand.NewPCG(3, 4))
	now := t0
	var seq, tid uint64
	price := int64(500000) // BTC/USD keys at one decimal: 50000.0
	trade := func(e []*Exchange, p int64, side feed.Side) []string {
		seq++
		tid++
		ev := feed.Event{Kind: feed.KindTrade, Seq: seq, Pair: "BTC/USD", Time: now,
			Trade: feed.Trade{Pair: "BTC/USD", ID: tid, Price: decimal.New(p, -1), Qty: dd("0.05"), Side: side, Time: now}}
		var out []string
		for _, x := range e {
			out = append(out, fmtReports(x.OnEvent(&ev)))
		}
		return out
	}
	submitted := map[strategy.OrderID]time.Time{}
	submit := func(e []*Exchange, o strategy.Order) []string {
		var out []string
		for _, x := range e {
			id, err := x.Submit(now, seq, o)
			submitted[id] = now
			out = append(out, fmt.Sprintf("%s %v", id, err))
		}
		return out
	}
	order := func() strategy.Order {
		side := feed.Buy
		if rng.IntN(2) == 0 {
			side = feed.Sell
		}
		off := int64(10 + rng.IntN(200))
		q := decimal.New(int64(1+rng.IntN(20)), -3)
		o := strategy.Order{Pair: "BTC/USD", Side: side, Qty: q}
		switch rng.IntN(5) {
		case 0:
			o.Type = strategy.Market
		case 1, 2:
			o.Type = strategy.Limit
			if side == feed.Buy {
				o.Price = decimal.New(price-off, -1)
			} else {
				o.Price = decimal.New(price+off, -1)
			}
			if rng.IntN(4) == 0 {
				o.Close = &strategy.CloseOrder{Type: strategy.Limit, Price: decimal.New(price, -1)}
			}
			if rng.IntN(5) == 0 {
				o.TimeInForce, o.ExpireTime = strategy.GTD, now.Add(time.Duration(1+rng.IntN(60))*time.Second)
			}
		case 3:
			o.Type = strategy.StopLoss
			if side == feed.Buy {
				o.Price = decimal.New(price+off, -1)
			} else {
				o.Price = decimal.New(price-off, -1)
			}
		case 4:
			o.Type = strategy.StopLossLimit
			if side == feed.Buy {
				o.Price, o.Price2 = decimal.New(price+off, -1), decimal.New(price+off+20, -1)
			} else {
				o.Price, o.Price2 = decimal.New(price-off, -1), decimal.New(price-off-20, -1)
			}
		}
		return o
	}
	step := func(e []*Exchange) []string {
		now = now.Add(time.Duration(100+rng.IntN(900)) * time.Millisecond)
		price += int64(rng.IntN(41) - 20)
		side := feed.Buy
		if rng.IntN(2) == 0 {
			side = feed.Sell
		}
		out := trade(e, price, side)
		if rng.IntN(3) == 0 {
			out = append(out, submit(e, order())...)
		}
		return out
	}
	for range 300 {
		step([]*Exchange{a})
		if err := a.Check(); err != nil {
			t.Fatal(err)
		}
	}
	// Something must be in flight at the restart for the test to mean anything.
	submit([]*Exchange{a}, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Market, Qty: dd("0.01")})
	if len(a.live) < 5 {
		t.Fatalf("only %d live orders at the restart", len(a.live))
	}
	ls, r := resumeOf(t, a, submitted)
	b := resumed(t, cfg, ls, r)
	// Totals and positions carry over exactly; reservations are recomputed (a market buy's
	// depended on the market at submission), which only matters if funds run short.
	if got, want := fmt.Sprint(b.led.Snapshot()), fmt.Sprint(a.led.Snapshot()); got != want {
		t.Fatalf("restored account\n got %s\nwant %s", got, want)
	}
	now = now.Add(time.Second) // the offline window: longer than the latency
	fills := 0
	for i := range 600 {
		out := step([]*Exchange{a, b})
		for j := 0; j < len(out); j += 2 {
			if out[j] != out[j+1] {
				t.Fatalf("step %d after the restart diverged:\noriginal %s\nrestored %s", i, out[j], out[j+1])
			}
			fills += strings.Count(out[j], "fill ")
		}
		if err := b.Check(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if fills < 20 {
		t.Fatalf("only %d fills after the restart; the script does not exercise the restored orders", fills)
	}
}

func TestRestoreKinds(t *testing.T) {
	led := ledger.New("USD")
	if err := led.Deposit("USD", dd("100000")); err != nil {
		t.Fatal(err)
	}
	if err := led.Deposit("BTC", dd("1")); err != nil {
		t.Fatal(err)
	}
	e := New(Config{Seed: 5}, restoreLookup, led)
	o := func(id string, side feed.Side, typ strategy.OrderType, p, p2 string) strategy.Order {
		or := strategy.Order{ID: strategy.OrderID(id), Pair: "BTC/USD", Side: side, Type: typ, Qty: dd("0.1")}
		if p != "" {
			or.Price = dd(p)
		}
		if p2 != "" {
			or.Price2 = dd(p2)
		}
		return or
	}
	orders := []RestoredOrder{
		{Order: o("L", feed.Buy, strategy.Limit, "49000", ""), Status: strategy.StatusOpen, Filled: dd("0.04"), Cost: dd("1960"), Fees: dd("4.9")},
		{Order: o("P", feed.Sell, strategy.Limit, "51000", ""), Status: strategy.StatusPending},
		{Order: o("M", feed.Buy, strategy.Market, "", ""), Status: strategy.StatusOpen},
		{Order: o("S", feed.Sell, strategy.StopLoss, "48000", ""), Status: strategy.StatusOpen},
		{Order: o("T", feed.Sell, strategy.StopLoss, "48000", ""), Status: strategy.StatusOpen, Triggered: true},
		{Order: o("SL", feed.Sell, strategy.StopLossLimit, "48000", "47900"), Status: strategy.StatusOpen, Triggered: true},
		{Order: o("TP", feed.Buy, strategy.TakeProfit, "45000", ""), Status: strategy.StatusOpen},
		{Order: o("TR", feed.Sell, strategy.TrailingStop, "100", ""), Status: strategy.StatusOpen},
		{Order: o("TRL", feed.Sell, strategy.TrailingStopLimit, "100", "10"), Status: strategy.StatusOpen, Triggered: true},
	}
	if err := e.Restore(Resume{IDsIssued: 12, Orders: orders, Now: t0.Add(2 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	want := map[string]listKind{"L": inBids, "P": inNone, "M": inAwaiting, "S": inTrigLE, "T": inAwaiting, "SL": inAsks, "TP": inTrigLE, "TR": inTrailing, "TRL": inTrailing}
	for id, k := range want {
		if got := e.orders[strategy.OrderID(id)].list; got != k {
			t.Errorf("order %s restored on list %d, want %d", id, got, k)
		}
	}
	if o := e.orders["L"]; o.queueKnown || !o.limit.Equal(dd("49000")) {
		t.Errorf("restored limit: queue known %v, limit %s", o.queueKnown, o.limit)
	}
	// The limit buy reserves for its remaining 0.06 at 49000 plus the taker fee, rounded up.
	if _, amt, _ := led.Reservation("L"); !amt.Equal(dd("2951.76")) {
		t.Errorf("reservation of L = %s, want 2951.76", amt)
	}
	if n := e.nids; n != 12 {
		t.Errorf("ids issued = %d, want 12", n)
	}
	// New ids continue the sequence.
	id, err := e.Submit(t0, 1, strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("40000")})
	if err != nil || id != orderID(5, 13) {
		t.Fatalf("first new order = %s %v, want %s", id, err, orderID(5, 13))
	}
	// The pending order arrives with the first event; nothing fills on it.
	rep := e.OnEvent(&feed.Event{Kind: feed.KindTrade, Seq: 1, Pair: "BTC/USD", Time: t0.Add(time.Hour),
		Trade: feed.Trade{Pair: "BTC/USD", Price: dd("50000"), Qty: dd("1"), Side: feed.Buy}})
	var got []string
	for _, r := range rep {
		if r.Kind == ReportFill {
			got = append(got, "fill "+string(r.Fill.OrderID))
		} else {
			got = append(got, string(r.Update.Order.ID)+" "+r.Update.Status.String())
			// The event is older than the account's restored time: time does not go back.
			if !r.Update.Time.Equal(t0.Add(2 * time.Hour)) {
				t.Errorf("%s stamped %s, want the restored time", r.Update.Order.ID, r.Update.Time)
			}
		}
	}
	if s := strings.Join(got, ", "); !strings.Contains(s, "P open") || strings.Contains(s, "fill P") {
		t.Fatalf("first event after restore: %s", s)
	}
	if err := e.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestRestoreRefuses(t *testing.T) {
	base := func() *Exchange {
		led := ledger.New("USD")
		_ = led.Deposit("USD", dd("1000"))
		return New(Config{}, restoreLookup, led)
	}
	ord := strategy.Order{ID: "A", Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: dd("0.01"), Price: dd("100")}
	tests := []struct {
		name string
		r    Resume
		prep func(*Exchange)
		want string
	}{
		{"no id", Resume{Orders: []RestoredOrder{{Order: strategy.Order{Pair: "BTC/USD", Qty: dd("1")}, Status: strategy.StatusOpen}}}, nil, "no id"},
		{"twice", Resume{Orders: []RestoredOrder{{Order: ord, Status: strategy.StatusOpen}, {Order: ord, Status: strategy.StatusOpen}}}, nil, "twice"},
		{"closed", Resume{Orders: []RestoredOrder{{Order: ord, Status: strategy.StatusClosed}}}, nil, "only pending and open"},
		{"filled", Resume{Orders: []RestoredOrder{{Order: ord, Status: strategy.StatusOpen, Filled: dd("0.01")}}}, nil, "filled 0.01 of 0.01"},
		{"unknown pair", Resume{Orders: []RestoredOrder{{Order: strategy.Order{ID: "B", Pair: "NOPE/USD", Qty: dd("1")}, Status: strategy.StatusOpen}}}, nil, "Unknown asset pair"},
		{"in use", Resume{}, func(e *Exchange) { e.OnEvent(&feed.Event{Kind: feed.KindHeartbeat}) }, "already in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := base()
			if tc.prep != nil {
				tc.prep(e)
			}
			err := e.Restore(tc.r)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Restore = %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if err := base().Restore(Resume{Orders: []RestoredOrder{{Order: strategy.Order{ID: "B", Pair: "NOPE/USD", Qty: dd("1")}, Status: strategy.StatusOpen}}}); !errors.Is(err, strategy.ErrUnknownAssetPair) {
		t.Fatalf("unknown pair error %v does not wrap ErrUnknownAssetPair", err)
	}
}

func TestIDsIssued(t *testing.T) {
	const seed = 77
	var known []strategy.OrderID
	for _, n := range []uint64{1, 2, 4, 7, 8} { // 3, 5, 6 were drawn but never recorded
		known = append(known, orderID(seed, n))
	}
	n, err := IDsIssued(seed, known, 8)
	if err != nil || n != 8 {
		t.Fatalf("IDsIssued = %d, %v; want 8", n, err)
	}
	if n, err := IDsIssued(seed, nil, 100); err != nil || n != 0 {
		t.Fatalf("IDsIssued(none) = %d, %v; want 0", n, err)
	}
	if _, err := IDsIssued(seed+1, known, 100); err == nil || !strings.Contains(err.Error(), "another seed") {
		t.Fatalf("IDsIssued under another seed = %v, want a refusal", err)
	}
}
