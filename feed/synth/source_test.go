package synth

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/papertrade/papertrade/feed"
)

// collect runs src and gathers its batches and their arrival times until Run returns;
// stop, when set, is asked after each batch whether to cancel the run.
func collect(ctx context.Context, src feed.Source, stop func([][]feed.Event) bool) ([][]feed.Event, []time.Time, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out := make(chan []feed.Event)
	var (
		batches [][]feed.Event
		at      []time.Time
		g       errgroup.Group
	)
	g.Go(func() error {
		defer close(out) // the caller owns out: the source never closes it
		return src.Run(ctx, out)
	})
	g.Go(func() error {
		for b := range out {
			batches = append(batches, b)
			at = append(at, time.Now())
			if stop != nil && stop(batches) {
				cancel()
			}
		}
		return nil
	})
	err := g.Wait()
	return batches, at, err
}

func TestSourceLimit(t *testing.T) {
	const limit = 5000
	cfg := testConfig(11)
	m := mustNew(t, cfg)
	batches, _, err := collect(t.Context(), m.Source(limit, 0), nil)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var all []feed.Event
	trades := 0
	for i, b := range batches {
		if len(b) == 0 || len(b) > BatchSize {
			t.Fatalf("batch %d has %d events; want 1..%d", i, len(b), BatchSize)
		}
		for j := range b {
			if err := v.Check(&b[j]); err != nil {
				t.Fatal(err)
			}
			if b[j].Kind == feed.KindTrade {
				trades++
			}
		}
		all = append(all, b...)
	}
	if trades != limit || m.Trades() != limit {
		t.Fatalf("sent %d trades, market counts %d; want exactly %d", trades, m.Trades(), limit)
	}
	if last := all[len(all)-1]; last.Kind != feed.KindBook {
		t.Fatalf("last event is a %s; want the book update that follows the last trade", last.Kind)
	}
	// Up to the final (possibly shortened) step, the source sends exactly what Next makes.
	ref := generate(t, cfg, len(all))
	if i := firstDiff(t, all, ref); i >= 0 && i < len(all)-2*maxFills-1 {
		t.Fatalf("event %d differs from Next's:\n%s\n%s", i, eventString(&all[i]), eventString(&ref[i]))
	}
	// A second run continues the same market.
	if err := m.Source(10, 0).Run(t.Context(), make(chan []feed.Event, 100)); err != nil {
		t.Fatal(err)
	}
	if m.Trades() != limit+10 {
		t.Fatalf("after a second run of 10 trades the market counts %d", m.Trades())
	}
}

func TestSourceCancel(t *testing.T) {
	m := mustNew(t, testConfig(12))
	batches, _, err := collect(t.Context(), m.Source(0, 0), func(b [][]feed.Event) bool { return len(b) == 3 })
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run returned %v; want context.Canceled", err)
	}
	if len(batches) != 3 {
		t.Fatalf("received %d batches; want 3", len(batches))
	}
	for i, b := range batches {
		if len(b) == 0 || len(b) > BatchSize {
			t.Fatalf("batch %d has %d events", i, len(b))
		}
	}
}

func TestSourceBadSpeed(t *testing.T) {
	m := mustNew(t, testConfig(1))
	for _, s := range []float64{-1, nan(), 1 / zero()} {
		if err := m.Source(1, s).Run(t.Context(), make(chan []feed.Event)); err == nil {
			t.Errorf("speed %v accepted", s)
		}
	}
}

func zero() float64 { return 0 }

// TestSourcePaced runs a paced source on synctest's fake clock: no event may arrive before
// its due time, and (the fake clock never drifts) each batch arrives when its last event is
// due.
func TestSourcePaced(t *testing.T) {
	for _, speed := range []float64{1, 25} {
		synctest.Test(t, func(t *testing.T) {
			m := mustNew(t, testConfig(13))
			wallStart := time.Now()
			batches, at, err := collect(t.Context(), m.Source(300, speed), nil)
			if err != nil {
				t.Fatal(err)
			}
			simStart := batches[0][0].Time
			trades := 0
			for i, b := range batches {
				for _, e := range b {
					due := wallStart.Add(time.Duration(float64(e.Time.Sub(simStart)) / speed))
					if at[i].Before(due) {
						t.Fatalf("speed %v: batch %d arrived at %s, before its event due at %s", speed, i, at[i].Sub(wallStart), due.Sub(wallStart))
					}
					if e.Kind == feed.KindTrade {
						trades++
					}
				}
				last := b[len(b)-1]
				due := wallStart.Add(time.Duration(float64(last.Time.Sub(simStart)) / speed))
				if late := at[i].Sub(due); late > time.Millisecond {
					t.Fatalf("speed %v: batch %d arrived %s after its last event was due", speed, i, late)
				}
			}
			if trades != 300 {
				t.Fatalf("%d trades; want 300", trades)
			}
			elapsed := at[len(at)-1].Sub(wallStart)
			simulated := batches[len(batches)-1][0].Time.Sub(simStart)
			t.Logf("speed %v: %d batches, %s of market in %s of (fake) wall time", speed, len(batches), simulated, elapsed)
		})
	}
}

// TestSourcePacedCancel: a paced source waiting for its next event stops when cancelled.
func TestSourcePacedCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		m := mustNew(t, testConfig(14))
		ctx, cancel := context.WithCancel(t.Context())
		out := make(chan []feed.Event)
		done := make(chan error, 1)
		go func() { done <- m.Source(0, 1).Run(ctx, out) }()
		<-out           // the snapshots are due at once
		synctest.Wait() // the source now sleeps until its next step is due
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("Run returned %v; want context.Canceled", err)
		}
	})
}
