package journal_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"
	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/record"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

func TestMain(m *testing.M) {
	if crashChild() {
		return
	}
	goleak.VerifyTestMain(m)
}

// Everything the engine records comes back from the journal exactly, in order, and the
// balance changes add up to the account's final balances.
func TestRecordsRoundTrip(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup, Buffer: 64, MaxBatch: 50})
	if err != nil {
		t.Fatal(err)
	}
	ins := instances()
	start, err := j.Begin(ctx, sessionConfig("h1", ins))
	if err != nil {
		t.Fatal(err)
	}
	if start.Session != 1 || start.Previous != nil || start.States != nil {
		t.Fatalf("first session start = %+v", start)
	}
	var mem counting
	res := run(t, ctx, market(t, 3, 4000), ins, record.Multi(&mem, j))
	j.Gap("BTC/USD", feed.Gap{Channel: "trade", FromID: 5, ToID: 9, Missing: 5, Reason: "trade ids skipped"})
	if err := j.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	st := j.Stats()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Dropped != 0 || st.Committed != st.Accepted || st.Fills == 0 {
		t.Fatalf("stats = %+v", st)
	}

	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, ir := range res.Instances {
		got, err := r.Records(ctx, 1, ir.Name)
		if err != nil {
			t.Fatal(err)
		}
		if g, w := render(got), render(mem.of(ir.Name)); g != w {
			t.Fatalf("%s: journal records differ from the engine's\n%s", ir.Name, firstDiff(g, w))
		}
		if ir.Fills == 0 || ir.Rejects == 0 {
			t.Fatalf("%s: %d fills, %d rejects: the test strategy should do both", ir.Name, ir.Fills, ir.Rejects)
		}
		bals, err := r.Balances(ctx, 1, ir.Name)
		if err != nil {
			t.Fatal(err)
		}
		last := map[string]decimal.Decimal{}
		sum := map[string]decimal.Decimal{}
		for _, b := range bals {
			sum[b.Asset] = sum[b.Asset].Add(b.Delta)
			if !sum[b.Asset].Equal(b.Total) {
				t.Fatalf("%s: running total of %s is %s, row says %s", ir.Name, b.Asset, sum[b.Asset], b.Total)
			}
			last[b.Asset] = b.Total
		}
		for _, b := range ir.Balances {
			if !last[b.Asset].Equal(b.Total) {
				t.Errorf("%s: journal balance %s = %s, engine says %s", ir.Name, b.Asset, last[b.Asset], b.Total)
			}
		}
	}
	ss, err := r.Sessions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1 || ss[0].Status != "closed" || ss[0].Ended.IsZero() || ss[0].ConfigHash != "h1" || len(ss[0].Instances) != 2 ||
		ss[0].Feed.API != "v2" || ss[0].Records != int64(len(mem.recs)) {
		t.Fatalf("session = %+v", ss[0])
	}
	gaps, err := r.Gaps(ctx, 1)
	if err != nil || len(gaps) != 1 || gaps[0].Gap.Missing != 5 || gaps[0].Pair != "BTC/USD" {
		t.Fatalf("gaps = %+v, %v", gaps, err)
	}
}

func firstDiff(got, want string) string {
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(g) || i < len(w); i++ {
		var a, b string
		if i < len(g) {
			a = g[i]
		}
		if i < len(w) {
			b = w[i]
		}
		if a != b {
			return fmt.Sprintf("line %d:\n got %s\nwant %s", i+1, a, b)
		}
	}
	return "(equal)"
}

// A second session of the same configuration resumes every account exactly where the first
// left it: balances, positions (with their basis), open orders with what they filled, and the
// order id sequence.
func TestRestartResumesAccounts(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	batches := market(t, 5, 6000)
	half := len(batches) / 2

	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	ins := instances()
	if _, err := j.Begin(ctx, sessionConfig("same", ins)); err != nil {
		t.Fatal(err)
	}
	var mem counting
	res1 := run(t, ctx, batches[:half], ins, record.Multi(&mem, j))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j2, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	ins2 := instances()
	start, err := j2.Begin(ctx, sessionConfig("same", ins2))
	if err != nil {
		t.Fatal(err)
	}
	if start.Session != 2 || start.Previous == nil || start.Previous.Status != "closed" || len(start.States) != 2 {
		t.Fatalf("second start = %+v", start)
	}
	var newIDs []strategy.OrderID
	var mu sync.Mutex
	restored := 0
	for i := range ins2 {
		name := ins2[i].Name
		st := start.State(name)
		if st == nil || st.Fills == 0 {
			t.Fatalf("%s: restored state %+v", name, st)
		}
		apply := start.Restore(name)
		want := res1.Instances[i]
		wantOpen := openAtEnd(mem.of(name))
		ins2[i].Restore = func(ex *sim.Exchange) error {
			if err := apply(ex); err != nil {
				return err
			}
			led := ex.Ledger()
			if got, w := totals(led.Balances()), totals(want.Balances); got != w {
				t.Errorf("%s: restored balances %s, the first session ended with %s", name, got, w)
			}
			if got, w := positions(led.Positions()), positions(want.Positions); got != w {
				t.Errorf("%s: restored positions %s, the first session ended with %s", name, got, w)
			}
			if got := fmt.Sprint(orderIDs(ex.OpenOrders(""))); got != fmt.Sprint(wantOpen) {
				t.Errorf("%s: restored open orders %s, the first session ended with %s", name, got, wantOpen)
			}
			restored += len(wantOpen)
			return nil
		}
		ins2[i].Strategy = &spy{Strategy: ins2[i].Strategy, submitted: func(id strategy.OrderID) {
			mu.Lock()
			newIDs = append(newIDs, id)
			mu.Unlock()
		}}
	}
	run(t, ctx, batches[half:], ins2, j2)
	if err := j2.Close(); err != nil {
		t.Fatal(err)
	}
	if restored == 0 {
		t.Fatal("no open order at the restart: the test proves nothing about orders")
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	old, err := r.Records(ctx, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[strategy.OrderID]bool{}
	for _, rec := range old {
		if rec.Kind == engine.RecordOrder {
			seen[rec.Order.Order.ID] = true
		}
	}
	if len(newIDs) == 0 {
		t.Fatal("no orders after the restart")
	}
	for _, id := range newIDs {
		if seen[id] {
			t.Fatalf("order id %s reused after the restart", id)
		}
	}
	ss, err := r.Sessions(ctx)
	if err != nil || len(ss) != 2 || ss[1].Restored == nil || ss[1].Restored[0].Name != "btc" {
		t.Fatalf("sessions = %+v %v", ss, err)
	}
}

// openAtEnd is the independent reading of which orders a record stream leaves open: those
// whose last update is pending or open, in the order they first appeared.
func openAtEnd(recs []engine.Record) []strategy.OrderID {
	last := map[strategy.OrderID]strategy.OrderStatus{}
	var order []strategy.OrderID
	for _, r := range recs {
		if r.Kind != engine.RecordOrder || r.Order.Order.ID == "" {
			continue
		}
		id := r.Order.Order.ID
		if _, ok := last[id]; !ok {
			order = append(order, id)
		}
		last[id] = r.Order.Status
	}
	var out []strategy.OrderID
	for _, id := range order {
		if !last[id].Done() {
			out = append(out, id)
		}
	}
	return out
}

func totals(bs []strategy.Balance) string {
	var b strings.Builder
	for _, x := range bs {
		fmt.Fprintf(&b, "%s=%s ", x.Asset, x.Total)
	}
	return b.String()
}

func positions(ps []strategy.Position) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "%s qty=%s avg=%s realised=%s ", p.Pair, p.Qty, p.AvgEntry, p.RealizedPnL)
	}
	return b.String()
}

func orderIDs(os []strategy.Order) []strategy.OrderID {
	var out []strategy.OrderID
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

// spy wraps a strategy: before runs ahead of every callback, at after every one (its last call
// therefore sees the final state), and submitted learns the ids of orders placed.
type spy struct {
	strategy.Strategy
	before, at func(strategy.Context)
	submitted  func(strategy.OrderID)
}

func (s *spy) OnTrade(c strategy.Context, t feed.Trade) error {
	if s.before != nil {
		s.before(c)
	}
	var err error
	if s.submitted != nil {
		err = s.Strategy.OnTrade(&watch{Context: c, f: s.submitted}, t)
	} else {
		err = s.Strategy.OnTrade(c, t)
	}
	if s.at != nil {
		s.at(c)
	}
	return err
}

type watch struct {
	strategy.Context
	f func(strategy.OrderID)
}

func (w *watch) Submit(o strategy.Order) (strategy.OrderID, error) {
	id, err := w.Context.Submit(o)
	if err == nil {
		w.f(id)
	}
	return id, err
}

// A journal written under one configuration refuses another, says so, and is left as it was.
func TestOtherConfigRefused(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("aaaaaaaaaaaaaaaa", instances())); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Check(ctx, "aaaaaaaaaaaaaaaa"); err != nil {
		t.Fatalf("Check with the same config: %v", err)
	}
	if err := j.Check(ctx, "bbbbbbbbbbbbbbbb"); !errors.Is(err, journal.ErrOtherConfig) {
		t.Fatalf("Check with another config: %v", err)
	}
	_, err = j.Begin(ctx, sessionConfig("bbbbbbbbbbbbbbbb", instances()))
	if !errors.Is(err, journal.ErrOtherConfig) || !strings.Contains(err.Error(), "aaaaaaaaaaaa") || !strings.Contains(err.Error(), "bbbbbbbbbbbb") ||
		!strings.Contains(err.Error(), "another --db") {
		t.Fatalf("Begin with another config: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ss, err := r.Sessions(ctx)
	if err != nil || len(ss) != 1 || ss[0].Status != "closed" {
		t.Fatalf("sessions after a refused begin: %+v %v", ss, err)
	}
}

func TestOpenErrors(t *testing.T) {
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := journal.Open(path, journal.Options{}); err == nil || !strings.Contains(err.Error(), "in use by another papertrade process") {
		t.Fatalf("second Open: %v", err)
	}
	// Records before Begin are refused and counted, never silently kept.
	j.Record(&engine.Record{Instance: "x", Kind: engine.RecordEquity})
	if s := j.Stats(); s.Dropped != 1 || s.Accepted != 0 {
		t.Fatalf("stats after a record before Begin: %+v", s)
	}
	if err := j.Flush(context.Background()); !errors.Is(err, journal.ErrClosed) {
		t.Fatalf("Flush before Begin: %v", err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := journal.OpenReader(path + ".missing"); err == nil {
		t.Fatal("OpenReader of a missing file succeeded")
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		cfg  journal.SessionConfig
		want string
	}{
		{"no hash", journal.SessionConfig{Instances: []journal.InstanceConfig{{Name: "a"}}}, "no configuration hash"},
		{"no instances", journal.SessionConfig{ConfigHash: "x"}, "no instances"},
		{"duplicate", journal.SessionConfig{ConfigHash: "x", Instances: []journal.InstanceConfig{{Name: "a"}, {Name: "a"}}}, "used twice"},
		{"negative", journal.SessionConfig{ConfigHash: "x", Instances: []journal.InstanceConfig{{Name: "a", Deposits: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(-1)}}}}}, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := journal.Open(dbPath(t), journal.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer j.Close()
			if _, err := j.Begin(ctx, tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Begin = %v, want %q", err, tc.want)
			}
		})
	}
}

// With a one-record buffer every worker keeps waiting for the writer: nothing is dropped.
func TestFullBufferWaitsNeverDrops(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Buffer: 1, MaxBatch: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("h", instances())); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	const per = 300
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range per {
				j.Record(&engine.Record{Instance: fmt.Sprint("w", w), Kind: engine.RecordEquity, Seq: uint64(i + 1), Equity: decimal.NewFromInt(int64(i))})
			}
		}()
	}
	wg.Wait()
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	s := j.Stats()
	if s.Dropped != 0 || s.Committed != 4*per || s.Waits == 0 {
		t.Fatalf("stats = %+v", s)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	recs, err := r.Records(ctx, 1, "w2")
	if err != nil || len(recs) != per {
		t.Fatalf("w2 records: %d, %v", len(recs), err)
	}
	for i, rec := range recs {
		if rec.Seq != uint64(i+1) {
			t.Fatalf("w2 record %d has seq %d: out of order", i, rec.Seq)
		}
	}
}

// NoteEvent after a restart writes the offline window once, from the previous session's last
// event to the new session's first.
func TestOfflineGap(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	t0 := mustTime("2025-01-01T00:00:00Z")
	j, err := journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("h", instances())); err != nil {
		t.Fatal(err)
	}
	j.NoteEvent(t0)
	j.NoteEvent(t0.Add(90e9))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = journal.Open(path, journal.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("h", instances())); err != nil {
		t.Fatal(err)
	}
	j.NoteEvent(t0.Add(300e9))
	j.NoteEvent(t0.Add(301e9))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gaps, err := r.Gaps(ctx, 0)
	if err != nil || len(gaps) != 1 {
		t.Fatalf("gaps = %+v, %v", gaps, err)
	}
	g := gaps[0]
	if g.Session != 2 || g.Gap.Channel != "offline" || !g.Gap.From.Equal(t0.Add(90e9)) || !g.Gap.To.Equal(t0.Add(300e9)) {
		t.Fatalf("offline gap = %+v", g)
	}
	ss, _ := r.Sessions(ctx)
	if !ss[1].FirstEvent.Equal(t0.Add(300e9)) || !ss[1].LastEvent.Equal(t0.Add(301e9)) {
		t.Fatalf("session 2 events %s .. %s", ss[1].FirstEvent, ss[1].LastEvent)
	}
}

// The ledger snapshot a restart starts from equals one rebuilt independently from the
// balance rows.
func TestRestoredLedgerMatchesBalanceRows(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	ins := instances()
	if _, err := j.Begin(ctx, sessionConfig("h", ins)); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, market(t, 9, 3000), ins, j)
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	j, err = journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	start, err := j.Begin(ctx, sessionConfig("h", instances()))
	if err != nil {
		t.Fatal(err)
	}
	bals, err := j.Reader().Balances(ctx, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	for _, st := range start.States {
		last := map[string]decimal.Decimal{}
		for _, b := range bals {
			if b.Instance == st.Name {
				last[b.Asset] = b.Total
			}
		}
		for _, b := range st.Ledger.Balances {
			if !last[b.Asset].Equal(b.Total) {
				t.Errorf("%s: restored %s %s, balance rows end at %s", st.Name, b.Asset, b.Total, last[b.Asset])
			}
		}
		l := ledger.New("USD")
		if err := l.Restore(st.Ledger); err != nil {
			t.Fatal(err)
		}
		if err := l.Check(); err != nil {
			t.Fatal(err)
		}
	}
}
