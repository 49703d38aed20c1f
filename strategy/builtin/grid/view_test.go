package grid

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/strategytest"
	"github.com/shopspring/decimal"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// checked runs a Grid and, on every trade, asks the Context whether the pair has open
// orders and fails if the cached answer OnTrade used differs: the cache must never change
// what the strategy does.
type checked struct {
	*Grid
	checks, builds int
}

func (k *checked) OnTrade(c strategy.Context, t feed.Trade) error {
	st := k.state(t.Pair)
	if st.backoff {
		return k.Grid.OnTrade(c, t)
	}
	want := len(c.OpenOrders(t.Pair)) > 0
	gen := k.gen
	if err := k.Grid.OnTrade(c, t); err != nil {
		return err
	}
	if st.openGen != gen || st.hasOpen != want {
		return fmt.Errorf("trade %s at %s: cached hasOpen %v (gen %d of %d), OpenOrders says %v", t.Price, t.Time.Format(time.RFC3339Nano), st.hasOpen, st.openGen, gen, want)
	}
	k.checks++
	if !want {
		k.builds++
	}
	return nil
}

func newChecked(t *testing.T, levels int, spacing string, recenter time.Duration) *checked {
	t.Helper()
	p := Params{Levels: levels, Spacing: decimal.RequireFromString(spacing), Size: decimal.RequireFromString("0.002"), Recenter: recenter}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return &checked{Grid: NewWith(p, nil)}
}

func (k *checked) verifyExercised(t *testing.T) {
	t.Helper()
	t.Logf("%d trades checked, %d grids built", k.checks, k.builds)
	if k.checks == 0 || k.builds < 3 {
		t.Error("the run built too few grids: the check proves little")
	}
}

// TestOpenCacheMatchesContextOnFake checks the cache against the fake Context, which
// cancels and fills at once.
func TestOpenCacheMatchesContextOnFake(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			k := newChecked(t, 3, "5", 10*time.Second)
			c := strategytest.NewContext(t, k, strategytest.WithBalance("USD", "100000"), strategytest.WithBalance("BTC", "1"), strategytest.WithMatching())
			for _, e := range strategytest.RandomWalk(seed, 8000) {
				if err := c.Event(e); err != nil {
					t.Fatal(err)
				}
			}
			k.verifyExercised(t)
		})
	}
}

// TestOpenCacheMatchesContextInEngine checks the cache in the engine, against the simulated
// exchange with latency (orders pending for a while, cancels that lose the race with
// fills), on a synthetic market with a book.
func TestOpenCacheMatchesContextInEngine(t *testing.T) {
	info := strategytest.BTCUSD()
	for _, tc := range []struct {
		seed            uint64
		model           sim.FillModel
		latency, jitter time.Duration
	}{
		{1, sim.Conservative, 50 * time.Millisecond, 20 * time.Millisecond},
		{2, sim.Pessimistic, -1, 0},
		{3, sim.Optimistic, 2 * time.Second, time.Second},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			m, err := synth.New(synth.Config{Seed: tc.seed, Pairs: []synth.PairConfig{{Info: info, StartPrice: decimal.NewFromInt(60000), Volatility: 3}}})
			if err != nil {
				t.Fatal(err)
			}
			k := newChecked(t, 3, "2", 10*time.Second)
			_, err = engine.Run(context.Background(), engine.Config{
				Sources: []feed.Source{m.Source(60000, 0)},
				Instances: []engine.Instance{{
					Name: "g", Strategy: k, Pairs: []feed.Pair{info.Pair},
					Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}, {Asset: "BTC", Amount: decimal.NewFromInt(1)}},
					Sim:      sim.Config{Latency: tc.latency, Jitter: tc.jitter, Seed: tc.seed, Model: tc.model},
				}},
				Pairs: func(p feed.Pair) (*feed.PairInfo, bool) {
					if p != info.Pair {
						return nil, false
					}
					return &info, true
				},
				Mode:     engine.Backtest,
				FailFast: true,
			})
			if err != nil {
				t.Fatal(err)
			}
			k.verifyExercised(t)
		})
	}
}
