package krakentest_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
)

// countingMarket wraps a market: it counts calls to Next and closes first at the first.
type countingMarket struct {
	m     krakentest.Market
	calls atomic.Int64
	once  sync.Once
	first chan struct{}
}

func (c *countingMarket) Next(dst []feed.Event) []feed.Event {
	c.once.Do(func() { close(c.first) })
	c.calls.Add(1)
	return c.m.Next(dst)
}

// Issue 15 item 16: at a rate of 1e9 events/s (serve --rate 1e9) the market loop made one
// batch of 10 million events while holding the server's lock, so Close (SIGTERM) waited for
// all of them. Now a tick's batch is bounded, generation runs without the server's lock and
// stops when the server closes: Close returns after at most one tick's worth of Next calls.
func TestCloseDuringAHugeRate(t *testing.T) {
	info := pairInfo(t, "BTC/USD")
	m := &countingMarket{m: newTestMarket(1, info), first: make(chan struct{})}
	srv := krakentest.New(krakentest.WithMarket(m, 1e9))
	<-m.first // the market loop is generating
	before := m.calls.Load()
	srv.Close()
	during := m.calls.Load() - before
	// One tick makes at most 10,000 events, and each Next makes at least one.
	if during > 10_000 {
		t.Fatalf("Close waited for %d more calls of the market's Next (a batch grew under the lock)", during)
	}
	if after := m.calls.Load(); after != before+during {
		t.Fatalf("the market was still called after Close returned: %d calls, %d when it returned", after, before+during)
	}
	if krakentest.MaxRate != 1e6 {
		t.Fatalf("MaxRate = %g, serve --help documents 1e6", krakentest.MaxRate)
	}
}
