package feedtest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/papertrade/papertrade/feed"
)

// Option configures Run.
type Option func(*config)

type config struct {
	enough        func(seen []feed.Event) bool // nil: finite, read to the end
	deterministic bool
	buffer        int
	bookDepth     int
	verifyBook    func(*feed.Book, *feed.BookUpdate) error
	leaks         []goleak.Option
}

// Endless says the source runs until cancelled (a live feed): the suite reads until enough
// reports that the events seen so far suffice, then cancels. Without it the source must end
// on its own and Run must return nil.
func Endless(enough func(seen []feed.Event) bool) Option {
	return func(c *config) { c.enough = enough }
}

// Deterministic says two sources newSource makes give the same events (a replay): the suite
// compares them event by event.
func Deterministic() Option { return func(c *config) { c.deterministic = true } }

// Buffer sets the capacity of the channel the suite hands to Run (default 0: a batch changed
// right after its send is then seen changed, where a buffer could hide it).
func Buffer(n int) Option { return func(c *config) { c.buffer = n } }

// VerifyBook checks each pair's book, kept by the suite at depth (0: every level), after
// every book event: see Checker.
func VerifyBook(depth int, verify func(b *feed.Book, u *feed.BookUpdate) error) Option {
	return func(c *config) { c.bookDepth, c.verifyBook = depth, verify }
}

// IgnoreGoroutines adds goleak options for goroutines the source's environment owns beyond
// the subtest (a server shared by several tests).
func IgnoreGoroutines(opts ...goleak.Option) Option {
	return func(c *config) { c.leaks = append(c.leaks, opts...) }
}

// guard turns a source that hangs (no batch and no return for this long) into a failure
// that says so; it is not a speed requirement (no source under test comes near it).
const guard = 2 * time.Minute

// Run runs the conformance suite: subtests Stream, CancelMidStream, CancelledBeforeRun,
// Deterministic (with that option) and Recycle (for a feed.BatchRecycler), each with a
// fresh source from newSource. newSource may register cleanups on its t (closing a test
// server); they run before the subtest's goroutine check.
func Run(t *testing.T, newSource func(t *testing.T) feed.Source, opts ...Option) {
	t.Helper()
	cfg := config{}
	for _, o := range opts {
		o(&cfg)
	}
	var first []string
	t.Run("Stream", func(t *testing.T) {
		src := start(t, &cfg, newSource)
		first = stream(t, &cfg, src, false)
		if len(first) == 0 {
			t.Error("the source sent no event: the suite proves nothing on an empty stream")
		}
	})
	t.Run("CancelMidStream", func(t *testing.T) { cancelMidStream(t, start(t, &cfg, newSource), &cfg) })
	t.Run("CancelledBeforeRun", func(t *testing.T) { cancelledBeforeRun(t, start(t, &cfg, newSource)) })
	if cfg.deterministic {
		t.Run("Deterministic", func(t *testing.T) {
			again := stream(t, &cfg, start(t, &cfg, newSource), false)
			if i := firstDiff(first, again); i >= 0 {
				t.Errorf("two sources differ at event %d of %d/%d:\n first %s\n again %s", i, len(first), len(again), at(first, i), at(again, i))
			}
		})
	}
	t.Run("Recycle", func(t *testing.T) {
		src := start(t, &cfg, newSource)
		if _, ok := src.(feed.BatchRecycler); !ok {
			t.Skip("the source does not implement feed.BatchRecycler")
		}
		got := stream(t, &cfg, src, true)
		if cfg.deterministic {
			if i := firstDiff(first, got); i >= 0 {
				t.Errorf("with batches handed back, event %d differs:\n without %s\n with    %s", i, at(first, i), at(got, i))
			}
		}
	})
}

// start registers the subtest's goroutine check (run last, after newSource's cleanups) and
// makes a source.
func start(t *testing.T, cfg *config, newSource func(t *testing.T) feed.Source) feed.Source {
	t.Helper()
	opts := append([]goleak.Option{goleak.IgnoreCurrent()}, cfg.leaks...)
	t.Cleanup(func() {
		if err := goleak.Find(opts...); err != nil {
			t.Errorf("goroutines left after Run returned and the test's cleanups ran: %v", err)
		}
	})
	src := newSource(t)
	if src == nil {
		t.Fatal("newSource returned nil")
	}
	return src
}

// run starts src.Run on its own goroutine; its error arrives on the returned channel.
func run(ctx context.Context, src feed.Source, out chan<- []feed.Event) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- src.Run(ctx, out) }()
	return errc
}

// stream reads src to its end (or, endless, until enough), checking every event as it
// arrives, and returns the events rendered at receipt. With recycle every batch is handed
// back as soon as it was read, keeping only copies of its events.
func stream(t *testing.T, cfg *config, src feed.Source, recycle bool) []string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan []feed.Event, cfg.buffer)
	errc := run(ctx, src, out)
	chk := Checker{BookDepth: cfg.bookDepth, VerifyBook: cfg.verifyBook}
	var (
		batches   [][]feed.Event // as received (kept unless recycled)
		copies    []feed.Event   // the events, copied out of their batches (payloads shared)
		clones    []feed.Event   // the events, deep copies made on receipt
		errs      int
		runErr    error
		cancelled bool
		nbatches  int
	)
	// On receipt an event is deep-copied and checked, which keeps up with a live feed;
	// rendering (for the comparisons) waits until Run returned.
	receive := func(b []feed.Event) {
		nbatches++
		for i := range b {
			clones = append(clones, clone(&b[i]))
			copies = append(copies, b[i])
			if err := chk.Event(&b[i]); err != nil && errs < maxErrors {
				errs++
				t.Error(err)
			}
		}
		if recycle {
			src.(feed.BatchRecycler).Recycle(b)
		} else {
			batches = append(batches, b)
		}
	}
	timer := time.NewTimer(guard)
	defer timer.Stop()
	for done := false; !done; {
		select {
		case b, ok := <-out:
			if !ok {
				t.Error("Run closed its channel: a Source never closes out, the caller owns it")
				runErr, done = <-errc, true
				continue
			}
			receive(b)
			timer.Reset(guard) // the guard is on silence, not on the stream's length
			if cfg.enough != nil && cfg.enough(copies) {
				cancel() // and stop reading: every send must also watch ctx
				cancelled = true
				runErr, done = waitRun(t, errc), true
			}
		case runErr = <-errc:
			done = true
			if !cancelled {
				// Batches sent before Run returned may still be buffered: they are the end
				// of the stream.
				drain(t, out, receive)
			}
		case <-timer.C:
			t.Errorf("no batch and no return from Run in %v (%d events so far)", guard, len(copies))
			cancel()
			runErr, done = waitRun(t, errc), true
		}
	}
	switch {
	case cfg.enough == nil && runErr != nil:
		t.Errorf("Run returned %v; a finite source returns nil at the end of its data", runErr)
	case cfg.enough != nil && !cancelled:
		t.Errorf("an endless source's Run returned %v before it sent enough (%d events)", runErr, len(copies))
	case cancelled && runErr != nil && !errors.Is(runErr, context.Canceled):
		t.Errorf("Run returned %v after its context was cancelled; want ctx.Err() (or nil)", runErr)
	}
	if cancelled {
		checkOutAfterReturn(t, out)
	}
	rendered := make([]string, len(clones))
	for i := range clones {
		rendered[i] = render(&clones[i])
	}
	k := 0
sent:
	for i, b := range batches {
		for j := range b {
			if now := render(&b[j]); now != rendered[k] {
				t.Errorf("batch %d changed after it was sent (event %d): a source never touches a batch it handed over\n sent %s\n now  %s", i, j, rendered[k], now)
				break sent
			}
			k++
		}
	}
	for i := range copies {
		if now := render(&copies[i]); now != rendered[i] {
			t.Errorf("event %d, copied out of its batch, changed later (batches handed back: %v): payloads must stay valid\n then %s\n now  %s", i, recycle, rendered[i], now)
			break
		}
	}
	t.Logf("%d events in %d batches; Run returned %v", len(copies), nbatches, runErr)
	return rendered
}

// waitRun waits for Run's return after its context was cancelled.
func waitRun(t *testing.T, errc <-chan error) error {
	t.Helper()
	timer := time.NewTimer(guard)
	defer timer.Stop()
	select {
	case err := <-errc:
		return err
	case <-timer.C:
		t.Fatalf("Run did not return within %v of its context's cancellation: every send must also select on ctx.Done()", guard)
		return nil
	}
}

// drain receives the batches left in out's buffer after Run returned; out must still be
// open.
func drain(t *testing.T, out chan []feed.Event, receive func([]feed.Event)) {
	t.Helper()
	for {
		select {
		case b, ok := <-out:
			if !ok {
				t.Error("out is closed after Run returned: a Source never closes out, the caller owns it")
				return
			}
			receive(b)
		default:
			return
		}
	}
}

// checkOutAfterReturn: after Run returned, out is still open (batches buffered before the
// return are discarded).
func checkOutAfterReturn(t *testing.T, out chan []feed.Event) {
	t.Helper()
	drain(t, out, func([]feed.Event) {})
}

// cancelMidStream reads one batch, cancels, and stops reading: Run must return.
func cancelMidStream(t *testing.T, src feed.Source, cfg *config) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(chan []feed.Event) // unbuffered: the source blocks on its next send
	errc := run(ctx, src, out)
	timer := time.NewTimer(guard)
	defer timer.Stop()
	select {
	case <-out:
	case err := <-errc: // a finite source may end before the first read
		if cfg.enough != nil || err != nil {
			t.Errorf("Run returned %v before its first batch was read", err)
		}
		return
	case <-timer.C:
		t.Errorf("no batch in %v", guard)
	}
	cancel()
	if err := waitRun(t, errc); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v after its context was cancelled; want ctx.Err()", err)
	}
	checkOutAfterReturn(t, out)
}

// cancelledBeforeRun: with ctx already cancelled and nobody reading, Run returns.
func cancelledBeforeRun(t *testing.T, src feed.Source) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	out := make(chan []feed.Event)
	if err := waitRun(t, run(ctx, src, out)); err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run with a cancelled context returned %v; want ctx.Err()", err)
	}
	checkOutAfterReturn(t, out)
}

// render writes out everything a receiver could read from an event, payloads included.
func render(e *feed.Event) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s %s conn=%d %s t=%s recv=%s", e.Seq, e.Kind, e.API, e.Conn, e.Pair,
		e.Time.UTC().Format(time.RFC3339Nano), e.Recv.UTC().Format(time.RFC3339Nano))
	if e.Kind == feed.KindTrade {
		t := e.Trade
		fmt.Fprintf(&b, " trade{%s %s %d %s@%s id=%d %s}", t.Pair, t.Side, t.OrdType, t.Qty, t.Price, t.ID, t.Time.UTC().Format(time.RFC3339Nano))
	}
	for _, p := range []any{e.Book, e.Ticker, e.Candle, e.Spread, e.Status, e.Instrument, e.Ack, e.Gap} {
		switch v := p.(type) {
		case *feed.BookUpdate:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Ticker:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Candle:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Spread:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Status:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Instrument:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Ack:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		case *feed.Gap:
			if v != nil {
				fmt.Fprintf(&b, " %+v", *v)
			}
		}
	}
	return b.String()
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func at(s []string, i int) string {
	if i < len(s) {
		return s[i]
	}
	return "(none)"
}

// clone deep-copies an event: its payloads and their slices, so that what a source later
// writes into the originals does not reach the copy. Decimals are values that are never
// modified in place, so they are shared.
func clone(e *feed.Event) feed.Event {
	c := *e
	if e.Book != nil {
		u := *e.Book
		u.Bids, u.Asks = slices.Clone(u.Bids), slices.Clone(u.Asks)
		c.Book = &u
	}
	if e.Ticker != nil {
		v := *e.Ticker
		c.Ticker = &v
	}
	if e.Candle != nil {
		v := *e.Candle
		c.Candle = &v
	}
	if e.Spread != nil {
		v := *e.Spread
		c.Spread = &v
	}
	if e.Status != nil {
		v := *e.Status
		v.Upcoming, v.Emergency = cloneNotices(v.Upcoming), cloneNotices(v.Emergency)
		c.Status = &v
	}
	if e.Instrument != nil {
		v := *e.Instrument
		v.Pairs = slices.Clone(v.Pairs)
		for i := range v.Pairs {
			pi := &v.Pairs[i]
			pi.Taker, pi.Maker = slices.Clone(pi.Taker), slices.Clone(pi.Maker)
			pi.LeverageBuy, pi.LeverageSell = slices.Clone(pi.LeverageBuy), slices.Clone(pi.LeverageSell)
		}
		c.Instrument = &v
	}
	if e.Ack != nil {
		v := *e.Ack
		v.Warnings = slices.Clone(v.Warnings)
		c.Ack = &v
	}
	if e.Gap != nil {
		v := *e.Gap
		c.Gap = &v
	}
	return c
}

func cloneNotices(ms []feed.Maintenance) []feed.Maintenance {
	ms = slices.Clone(ms)
	for i := range ms {
		ms[i].AffectedServices = slices.Clone(ms[i].AffectedServices)
	}
	return ms
}
