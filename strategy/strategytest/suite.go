package strategytest

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/shopspring/decimal"
	"go.uber.org/zap"
)

// Run runs the conformance suite against the strategy that f builds with params, one
// subtest per check (see Check). events is the market to replay; nil means
// Walk{Seed: 1, N: 3000, BookEvery: 10}. opts configure every Context the suite creates
// (pairs, balances, fee); when they set no balance, each configured pair's quote asset
// starts at 100000 and its base asset at 10.
func Run(t *testing.T, f strategy.Factory, params strategy.Params, events []feed.Event, opts ...Option) {
	t.Helper()
	s := newSuite(f, params, events, opts)
	for _, ck := range checks {
		t.Run(ck.name, func(t *testing.T) {
			if err := ck.run(s); err != nil {
				t.Error(err)
			}
		})
	}
}

// Check runs the conformance suite and returns every failed check's error, joined, or nil.
// The checks, each with fresh instances:
//
//   - NoEvents: start and stop without any event.
//   - Replay: the events with matching on.
//   - Deterministic: Replay twice; the actions (submits, cancels, amends, timers) and fills
//     must be identical.
//   - AllRejected: every Submit is rejected (cycling through Kraken's errors) and every
//     Cancel and Amend fails with "EOrder:Unknown order".
//   - SomeRejected: every third Submit fails with "EOrder:Insufficient funds", every other
//     Cancel with "EOrder:Unknown order".
//   - PartialFills: after each event every open order fills in two parts: half of it after
//     the first event it is open for, the rest after the next one.
//   - MarginRejected: Replay where every other margin order (Order.Leverage) is refused with
//     one of Kraken's margin errors ("EOrder:Margin level too low", "EOrder:Reduce
//     only:No position exists", "EOrder:Margin position size exceeded",
//     "EGeneral:Invalid arguments:leverage"); the others open and close margin positions.
//   - ExchangeCancels: after each event the exchange cancels every open order.
//
// In all of them the strategy must return no error, not panic, not use a Context after its
// callback returned, and submit only prices and quantities on the pair's tick and lot step.
func Check(f strategy.Factory, params strategy.Params, events []feed.Event, opts ...Option) error {
	s := newSuite(f, params, events, opts)
	var errs []error
	for _, ck := range checks {
		if err := ck.run(s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", ck.name, err))
		}
	}
	return errors.Join(errs...)
}

type suite struct {
	f      strategy.Factory
	params strategy.Params
	events []feed.Event
	opts   []Option
}

func newSuite(f strategy.Factory, params strategy.Params, events []feed.Event, opts []Option) *suite {
	if events == nil {
		events = Walk{Seed: 1, N: 3000, BookEvery: 10}.Events()
	}
	var cfg config
	for _, o := range opts {
		o(&cfg)
	}
	var all []Option
	if len(cfg.balances) == 0 {
		pairs := cfg.pairs
		if len(pairs) == 0 {
			pairs = []feed.PairInfo{BTCUSD()}
		}
		for _, p := range pairs {
			all = append(all, WithBalance(p.Pair.Quote(), "100000"), WithBalance(p.Pair.Base(), "10"))
		}
	}
	all = append(all, opts...)
	all = append(all, WithStrictPrecision())
	return &suite{f: f, params: params, events: events, opts: all}
}

var checks = []struct {
	name string
	run  func(*suite) error
}{
	{"NoEvents", func(s *suite) error {
		_, err := s.runOnce(nil, nil)
		return err
	}},
	{"Replay", func(s *suite) error {
		_, err := s.runOnce(s.events, nil, WithMatching())
		return err
	}},
	{"Deterministic", (*suite).deterministic},
	{"AllRejected", func(s *suite) error {
		errs := []error{strategy.ErrInsufficientFunds, strategy.ErrOrderMinimum, strategy.ErrCostMinimum, strategy.ErrUnavailable, strategy.ErrInvalidArguments}
		n := 0
		_, err := s.runOnce(s.events, nil, WithMatching(),
			WithReject(func(strategy.Order) error { n++; return errs[n%len(errs)] }),
			WithCancelReject(func(strategy.OrderID) error { return strategy.ErrUnknownOrder }))
		return err
	}},
	{"SomeRejected", func(s *suite) error {
		subs, cancels := 0, 0
		_, err := s.runOnce(s.events, nil, WithMatching(),
			WithReject(func(strategy.Order) error {
				subs++
				if subs%3 == 0 {
					return strategy.ErrInsufficientFunds
				}
				return nil
			}),
			WithCancelReject(func(strategy.OrderID) error {
				cancels++
				if cancels%2 == 0 {
					return strategy.ErrUnknownOrder
				}
				return nil
			}))
		return err
	}},
	{"PartialFills", func(s *suite) error {
		parts := make(map[strategy.OrderID]int)
		_, err := s.runOnce(s.events, func(c *Context) error {
			for _, o := range c.Open("") {
				if st, _, _ := c.Status(o.ID); st != strategy.StatusOpen {
					continue // cancelled by a callback of an earlier fill
				}
				m := c.markets[o.Pair].info
				price := o.Price
				if o.Type != strategy.Limit {
					if !m.HasLast {
						continue
					}
					price = m.Last
				}
				_, filled, _ := c.Status(o.ID)
				qty := o.Qty.Sub(filled) // the second part: the rest
				if parts[o.ID] == 0 {
					if half := m.FloorQty(qty.Div(decimal.NewFromInt(2))); half.Sign() > 0 {
						qty = half
					}
				}
				parts[o.ID]++
				if err := c.Fill(o.ID, qty, price); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}},
	{"MarginRejected", func(s *suite) error {
		// Every other margin order is refused with one of Kraken's margin errors in turn; the
		// rest trade on margin. A strategy that never uses leverage just replays.
		errs := []error{strategy.ErrMarginLevel, strategy.ErrReduceOnlyNoPosition, strategy.ErrMarginPositionSize, strategy.ErrLeverage}
		n := 0
		_, err := s.runOnce(s.events, nil, WithMatching(), WithReject(func(o strategy.Order) error {
			if o.Leverage == 0 {
				return nil
			}
			n++
			if n%2 == 0 {
				return errs[(n/2)%len(errs)]
			}
			return nil
		}))
		return err
	}},
	{"ExchangeCancels", func(s *suite) error {
		_, err := s.runOnce(s.events, func(c *Context) error {
			for _, o := range c.Open("") {
				if st, _, _ := c.Status(o.ID); st != strategy.StatusOpen {
					continue
				}
				reason := "canceled by strategytest"
				if o.PostOnly {
					reason = strategy.ReasonPostOnly
				}
				if err := c.Cancelled(o.ID, reason); err != nil {
					return err
				}
			}
			return nil
		})
		return err
	}},
}

// runOnce builds an instance and replays events, calling after (when set) after each one.
func (s *suite) runOnce(events []feed.Event, after func(*Context) error, extra ...Option) (*Context, error) {
	st, err := s.f(s.params.Clone(), zap.NewNop())
	if err != nil {
		return nil, fmt.Errorf("factory: %w", err)
	}
	if st == nil {
		return nil, errors.New("factory returned a nil strategy")
	}
	c := NewContext(nil, st, append(append([]Option{}, s.opts...), extra...)...)
	if err := c.Start(); err != nil {
		return c, s.withViolations(c, fmt.Errorf("start: %w", err))
	}
	for i, e := range events {
		if err := c.Event(e); err != nil {
			return c, s.withViolations(c, fmt.Errorf("event %d (%s %s at %s): %w", i, e.Kind, e.Pair, e.Time.Format("15:04:05.000"), err))
		}
		if after != nil {
			if err := after(c); err != nil {
				return c, s.withViolations(c, fmt.Errorf("after event %d: %w", i, err))
			}
		}
	}
	if err := c.Stop(); err != nil {
		return c, s.withViolations(c, fmt.Errorf("stop: %w", err))
	}
	return c, s.withViolations(c, nil)
}

func (s *suite) withViolations(c *Context, err error) error {
	v := c.Violations()
	if len(v) == 0 {
		return err
	}
	// Collapse repeats, keeping first-seen order.
	var distinct []string
	count := make(map[string]int)
	for _, m := range v {
		if count[m] == 0 {
			distinct = append(distinct, m)
		}
		count[m]++
	}
	const show = 10
	var b strings.Builder
	for _, m := range distinct[:min(len(distinct), show)] {
		b.WriteString("\n  ")
		b.WriteString(m)
		if n := count[m]; n > 1 {
			fmt.Fprintf(&b, " (×%d)", n)
		}
	}
	if len(distinct) > show {
		fmt.Fprintf(&b, "\n  … and %d more", len(distinct)-show)
	}
	return errors.Join(err, fmt.Errorf("%d contract violations:%s", len(v), b.String()))
}

func (s *suite) deterministic() error {
	a, err := s.runOnce(s.events, nil, WithMatching())
	if err != nil {
		return err
	}
	b, err := s.runOnce(s.events, nil, WithMatching())
	if err != nil {
		return err
	}
	la, lb := actionLines(a), actionLines(b)
	for i := range max(len(la), len(lb)) {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return fmt.Errorf("the same events gave different actions; first difference at line %d:\n  run 1: %s\n  run 2: %s", i, x, y)
		}
	}
	return nil
}

func actionLines(c *Context) []string {
	var out []string
	for _, a := range c.Actions() {
		out = append(out, a.String())
	}
	for _, f := range c.Fills() {
		out = append(out, fmt.Sprintf("fill %s %s %s %s@%s fee %s", f.OrderID, f.Pair, f.Side, f.Qty, f.Price, f.Fee))
	}
	return out
}
