package strategytest_test

import (
	"errors"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/strategytest"
)

// A post-only order that would take is accepted, then cancelled with Kraken's reason, as the
// simulator does.
func TestFakePostOnlyWouldTakeIsCancelled(t *testing.T) {
	var id strategy.OrderID
	var err error
	var got []strategy.OrderUpdate
	p := &probe{
		onTrade: func(c strategy.Context, _ feed.Trade) error {
			if id == "" {
				id, err = c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("30000.1"), PostOnly: true})
			}
			return nil
		},
		onOrder: func(_ strategy.Context, u strategy.OrderUpdate) error { got = append(got, u); return nil },
	}
	c := strategytest.NewContext(t, p, strategytest.WithBalance("USD", "1000"))
	if e := c.Trade(tr(1, "30000", "1")); e != nil {
		t.Fatal(e)
	}
	if err != nil || id == "" {
		t.Fatalf("Submit = %q, %v; want accepted", id, err)
	}
	if e := c.Advance(t0.Add(2 * time.Second)); e != nil {
		t.Fatal(e)
	}
	if len(got) != 2 || got[0].Status != strategy.StatusOpen || got[1].Status != strategy.StatusCanceled || got[1].Reason != strategy.ReasonPostOnly {
		t.Fatalf("updates = %+v, want open then canceled (Post only order)", got)
	}
	if o := c.Open(""); len(o) != 0 {
		t.Fatalf("still open: %v", o)
	}
}

func TestFakeCancelAllOrdersAfter(t *testing.T) {
	var reasons []string
	calls := 0
	p := &probe{
		onTrade: func(c strategy.Context, tr feed.Trade) error {
			calls++
			switch calls {
			case 1:
				if _, err := c.Submit(strategy.Order{Pair: "BTC/USD", Side: feed.Buy, Type: strategy.Limit, Qty: d("0.01"), Price: d("29000")}); err != nil {
					return err
				}
				at, err := c.CancelAllOrdersAfter(60 * time.Second)
				if err != nil || !at.Equal(tr.Time.Add(60*time.Second)) {
					t.Errorf("CancelAllOrdersAfter = %v, %v", at, err)
				}
				if _, err := c.CancelAllOrdersAfter(-time.Second); !errors.Is(err, strategy.ErrInvalidArguments) {
					t.Errorf("negative timeout: %v", err)
				}
			case 2: // at 30 s: reset to 60 s from now
				if _, err := c.CancelAllOrdersAfter(60 * time.Second); err != nil {
					return err
				}
			}
			return nil
		},
		onOrder: func(_ strategy.Context, u strategy.OrderUpdate) error {
			if u.Status == strategy.StatusCanceled {
				reasons = append(reasons, u.Reason)
			}
			return nil
		},
	}
	c := strategytest.NewContext(t, p, strategytest.WithBalance("USD", "1000"))
	for _, sec := range []int{1, 31, 80} {
		if err := c.Trade(tr(sec, "30000", "1")); err != nil {
			t.Fatal(err)
		}
	}
	if len(reasons) != 0 || len(c.Open("")) != 1 {
		t.Fatalf("fired before the reset deadline: %v", reasons)
	}
	if err := c.Trade(tr(91, "30000", "1")); err != nil {
		t.Fatal(err)
	}
	if len(reasons) != 1 || len(c.Open("")) != 0 {
		t.Fatalf("at the deadline: cancels %v, open %v", reasons, c.Open(""))
	}
}
