package engine_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
)

// armer arms the trap in OnStart, then optionally submits from OnStart (a Context call
// that enters the simulator from inside a strategy callback) or panics itself in OnTrade.
type armer struct {
	armed   *atomic.Bool
	submit  bool
	selfish bool
}

func (a *armer) OnStart(c strategy.Context) error {
	a.armed.Store(true)
	if a.submit {
		_, _ = c.Submit(strategy.Order{Pair: "ETH/USD", Side: feed.Buy, Type: strategy.Market, Qty: decimal.NewFromInt(1)})
	}
	return nil
}

func (a *armer) OnTrade(strategy.Context, feed.Trade) error {
	if a.selfish {
		panic("strategy bug")
	}
	return nil
}

// TestPanicIsAttributed: a panic is reported as the strategy's only when the strategy's own
// code panicked. A panic inside the simulated exchange (or its ledger) — whether reached from
// the engine's per-event matching or from a Context call inside a callback — is the
// simulator's, and says so. The trap is the pair table: the exchange looks a pair's rules
// up the first time it meets the pair, after OnStart armed it.
func TestPanicIsAttributed(t *testing.T) {
	for _, tc := range []struct {
		name      string
		s         *armer
		where     string
		wantInMsg string
	}{
		{"strategy panics in OnTrade", &armer{selfish: true}, engine.PanicInStrategy, "strategy k panicked: strategy bug"},
		{"exchange panics on an event", &armer{}, engine.PanicInSimulator, "simulated exchange of k panicked"},
		{"exchange panics in Submit", &armer{submit: true}, engine.PanicInSimulator, "simulated exchange of k panicked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			armed := new(atomic.Bool)
			tc.s.armed = armed
			lookup := func(p feed.Pair) (*feed.PairInfo, bool) {
				if armed.Load() && !tc.s.selfish {
					panic("pair table bug")
				}
				return pairs.Lookup(p)
			}
			res, err := engine.Run(context.Background(), engine.Config{
				Sources: []feed.Source{replay(market(t, 3, 200))},
				Instances: []engine.Instance{{Name: "k", Strategy: tc.s, Pairs: []feed.Pair{"BTC/USD", "ETH/USD"},
					Balances: []engine.Deposit{{Asset: "USD", Amount: decimal.NewFromInt(10000)}}}},
				Pairs: lookup,
			})
			if err != nil {
				t.Fatal(err)
			}
			fault := res.Instances[0].Fault
			if fault == nil {
				t.Fatal("no fault: the trap did not fire")
			}
			var pe *engine.PanicError
			if !errors.As(fault, &pe) || pe.Where != tc.where {
				t.Fatalf("fault %q: want a PanicError in the %s", fault, tc.where)
			}
			if !strings.Contains(fault.Error(), tc.wantInMsg) {
				t.Errorf("fault %q: want it to say %q", fault, tc.wantInMsg)
			}
		})
	}
}
