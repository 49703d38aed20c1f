package breakout

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

// checked runs a Breakout and, on every trade it manages, reads the account afresh and
// fails if the cached view OnTrade used differs from it: the cache must never change what
// the strategy does.
type checked struct {
	*Breakout
	checks   int
	holdings int // checks that found a tradable position
	phases   [4]int
}

func (k *checked) OnTrade(c strategy.Context, t feed.Trade) error {
	st := k.pairs[t.Pair]
	if st == nil || st.phase == flat {
		return k.Breakout.OnTrade(c, t)
	}
	k.phases[st.phase]++
	m := c.Market(t.Pair)
	var fresh accountView
	fresh.refresh(c, t.Pair, &m, k.gen+1) // a gen the cache has never seen: always rereads
	want := fresh.pos.Sign() > 0 && m.Tradable(fresh.pos, t.Price)
	if err := k.Breakout.OnTrade(c, t); err != nil {
		return err
	}
	v := &st.view
	if v.pos.String() != fresh.pos.String() || v.pos.Exponent() != fresh.pos.Exponent() ||
		v.buying != fresh.buying || v.hasStop != fresh.hasStop || v.stop != fresh.stop || v.selling != fresh.selling {
		return fmt.Errorf("trade %s at %s: cached view %s, fresh %s", t.Price, t.Time.Format(time.RFC3339Nano), v, &fresh)
	}
	if got := v.holding(&m, t.Price); got != want {
		return fmt.Errorf("trade %s at %s: holding %v, Tradable says %v", t.Price, t.Time.Format(time.RFC3339Nano), got, want)
	}
	k.checks++
	if want {
		k.holdings++
	}
	return nil
}

func (v *accountView) String() string {
	return fmt.Sprintf("pos=%s buying=%v stop=%q/%v selling=%d", v.pos, v.buying, v.stop, v.hasStop, v.selling)
}

// newChecked returns a checked breakout of size 0.05, with its parameters outside the
// ranges a sweep would try so that short runs go through every phase.
func newChecked(t *testing.T, period int, interval time.Duration, stop, take string) *checked {
	t.Helper()
	p := Params{Period: period, Interval: interval, Size: decimal.RequireFromString("0.05"), Stop: decimal.RequireFromString(stop), Take: decimal.RequireFromString(take)}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	return &checked{Breakout: NewWith(p, nil)}
}

func (k *checked) verifyExercised(t *testing.T) {
	t.Helper()
	t.Logf("%d trades checked (%d holding); phases entering/long/exiting %d/%d/%d", k.checks, k.holdings, k.phases[entering], k.phases[long], k.phases[exiting])
	if k.checks == 0 || k.holdings == 0 || k.phases[entering] == 0 || k.phases[long] == 0 || k.phases[exiting] == 0 {
		t.Error("the run did not go through every phase: the check proves little")
	}
}

// TestViewMatchesContextOnFake checks the cached view against the fake Context, which
// cancels and fills at once.
func TestViewMatchesContextOnFake(t *testing.T) {
	for _, seed := range []uint64{6, 13, 21} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			k := newChecked(t, 5, time.Minute, "0.25", "0.5")
			c := strategytest.NewContext(t, k, strategytest.WithBalance("USD", "100000"), strategytest.WithMatching())
			for _, e := range strategytest.RandomWalk(seed, 8000) {
				if err := c.Event(e); err != nil {
					t.Fatal(err)
				}
			}
			k.verifyExercised(t)
		})
	}
}

// TestViewMatchesContextInEngine checks the cached view in the engine, against the
// simulated exchange with latency (orders pending for a while, cancels that lose the race
// with fills), on a synthetic market with a book.
func TestViewMatchesContextInEngine(t *testing.T) {
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
			k := newChecked(t, 3, 10*time.Second, "0.25", "0.25")
			_, err = engine.Run(context.Background(), engine.Config{
				Sources: []feed.Source{m.Source(60000, 0)},
				Instances: []engine.Instance{{
					Name: "b", Strategy: k, Pairs: []feed.Pair{info.Pair},
					Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(100000)}},
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
