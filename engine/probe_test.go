package engine_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine"
	"github.com/papertrade/papertrade/engine/ledger"
	"github.com/papertrade/papertrade/engine/sim"
	"github.com/papertrade/papertrade/feed"
	"github.com/shopspring/decimal"
)

// A Restore hook replaces the configured deposits before the first event; a failing one is
// an error naming the instance, before anything runs.
func TestInstanceRestoreHook(t *testing.T) {
	in := instance("a", 1_000_000, "BTC/USD")
	in.Restore = func(ex *sim.Exchange) error {
		return ex.Ledger().Restore(ledger.Snapshot{Currency: "USD", Balances: []ledger.BalanceSnapshot{{Asset: "USD", Total: decimal.RequireFromString("123.45")}}})
	}
	res, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{replay(market(t, 1, 50))}, Instances: []engine.Instance{in}, Pairs: pairs.Lookup, FailFast: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Instances[0].Balances; len(got) != 1 || got[0].Asset != "USD" || !got[0].Total.Equal(decimal.RequireFromString("123.45")) {
		t.Fatalf("balances after a restored run = %v, want USD 123.45 only", got)
	}

	bad := instance("b", 1, "BTC/USD")
	bad.Restore = func(*sim.Exchange) error { return errors.New("journal says no") }
	_, err = engine.Run(context.Background(), engine.Config{Instances: []engine.Instance{bad}, Pairs: pairs.Lookup})
	if err == nil || !strings.Contains(err.Error(), "instance b: restore: journal says no") {
		t.Fatalf("failing restore hook: %v", err)
	}
}

// A Probe reports every instance, in configuration order, while and after the run.
func TestProbeBacklog(t *testing.T) {
	var p engine.Probe
	if got := p.Backlog(); len(got) != 0 {
		t.Fatalf("unattached probe reports %v", got)
	}
	seen := make(chan []engine.Backlog, 1)
	src := feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		seen <- p.Backlog() // the run has built its workers before any source starts
		return nil
	})
	_, err := engine.Run(context.Background(), engine.Config{
		Sources: []feed.Source{src}, Pairs: pairs.Lookup, Probe: &p,
		Instances: []engine.Instance{instance("x", 1, "BTC/USD"), instance("y", 1, "ETH/USD")},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := <-seen
	if len(got) != 2 || got[0].Instance != "x" || got[1].Instance != "y" || got[0].Events != 0 {
		t.Fatalf("backlog = %+v", got)
	}
}
