package kraken

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

func TestBackoffSchedule(t *testing.T) {
	cfg := ClientConfig{Pairs: []feed.Pair{"BTC/USD"}}
	if err := cfg.setDefaults(); err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		attempt  int
		min, max time.Duration
	}{
		{1, 0, 0}, {2, 0, 0}, {3, 0, 0}, // immediate retries
		{4, 4 * time.Second, 6 * time.Second},
		{5, 8 * time.Second, 12 * time.Second},
		{6, 16 * time.Second, 24 * time.Second},
		{7, 32 * time.Second, 48 * time.Second},
		{8, 48 * time.Second, 60 * time.Second}, // capped
		{50, 48 * time.Second, 60 * time.Second},
	} {
		for range 100 {
			if d := backoff(tc.attempt, &cfg, rng, feed.SystemOnline); d < tc.min || d > tc.max {
				t.Fatalf("attempt %d: %v, want %v..%v", tc.attempt, d, tc.min, tc.max)
			}
		}
	}
	// After maintenance, never faster than BackoffMin.
	if d := backoff(1, &cfg, rng, feed.SystemMaintenance); d != 5*time.Second {
		t.Errorf("after maintenance: %v", d)
	}
}

// TestConnBudgetCapsEveryWindow hammers the budget and checks that no 10-minute window sees
// more than 150 connection attempts.
func TestConnBudgetCapsEveryWindow(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	b := newConnBudget(150, 10*time.Minute, start)
	now := start
	var attempts []time.Time
	for now.Before(start.Add(time.Hour)) {
		if wait := b.take(now); wait > 0 {
			now = now.Add(wait)
			continue
		}
		attempts = append(attempts, now)
		now = now.Add(100 * time.Millisecond) // a client that would reconnect 10 times a second
	}
	j := 0
	for i := range attempts {
		for attempts[i].Sub(attempts[j]) >= 10*time.Minute {
			j++
		}
		if n := i - j + 1; n > 150 {
			t.Fatalf("%d attempts in the 10 minutes before %v", n, attempts[i])
		}
	}
	if len(attempts) < 700 {
		t.Errorf("only %d attempts in an hour: the budget is too strict", len(attempts))
	}
}

func TestEventQueueBatchesInOrder(t *testing.T) {
	q := newEventQueue(10_000)
	var n uint64
	for range 30 {
		evs := make([]feed.Event, 100)
		for i := range evs {
			n++
			evs[i].Seq = n
		}
		if err := q.push(t.Context(), evs, time.Second); err != nil {
			t.Fatal(err)
		}
	}
	var got uint64
	for got < n {
		b, err := q.pop(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > maxBatch {
			t.Fatalf("batch of %d", len(b))
		}
		for _, ev := range b {
			got++
			if ev.Seq != got {
				t.Fatalf("event %d after %d", ev.Seq, got-1)
			}
		}
	}
}
