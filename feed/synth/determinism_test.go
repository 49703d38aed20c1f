package synth

import (
	"fmt"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// eventString renders every field of an event that the generator sets.
func eventString(e *feed.Event) string {
	var s strings.Builder
	fmt.Fprintf(&s, "%s %s %s recv=%s", e.Time.Format("15:04:05.000000"), e.Kind, e.Pair, e.Recv.Format("15:04:05.000000"))
	switch e.Kind {
	case feed.KindTrade:
		t := &e.Trade
		fmt.Fprintf(&s, " %s %s %s %s@%s #%d %s exp=%d/%d", t.Pair, t.Side, t.OrdType, t.Qty, t.Price, t.ID,
			t.Time.Format("15:04:05.000000"), t.Price.Exponent(), t.Qty.Exponent())
	case feed.KindBook:
		u := e.Book
		fmt.Fprintf(&s, " %s snap=%v ck=%v/%d %s", u.Pair, u.Snapshot, u.HasChecksum, u.Checksum, u.Time.Format("15:04:05.000000"))
		for _, l := range u.Bids {
			fmt.Fprintf(&s, " b%s@%s", l.Qty, l.Price)
		}
		for _, l := range u.Asks {
			fmt.Fprintf(&s, " a%s@%s", l.Qty, l.Price)
		}
	}
	return s.String()
}

func firstDiff(t *testing.T, a, b []feed.Event) int {
	t.Helper()
	for i := range min(len(a), len(b)) {
		if eventString(&a[i]) != eventString(&b[i]) {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}

func TestDeterminism(t *testing.T) {
	a := generate(t, testConfig(99), 30_000)
	b := generate(t, testConfig(99), 30_000)
	if i := firstDiff(t, a, b); i >= 0 {
		t.Fatalf("same seed, event %d differs:\n%s\n%s", i, eventString(&a[i]), eventString(&b[i]))
	}
	c := generate(t, testConfig(100), 30_000)
	i := firstDiff(t, a, c)
	if i < 0 {
		t.Fatal("seeds 99 and 100 produce the same events")
	}
	// Only the four snapshots can coincide... and not even those: the books differ in sizes.
	if i > 4 {
		t.Errorf("seeds 99 and 100 agree on their first %d events", i)
	}
}

// TestPairIndependence: a pair's events depend only on the seed and its own config, not on
// the other pairs or their order in the config.
func TestPairIndependence(t *testing.T) {
	only := func(evs []feed.Event, p feed.Pair) []feed.Event {
		var out []feed.Event
		for _, e := range evs {
			if e.Pair == p {
				out = append(out, e)
			}
		}
		return out
	}
	all := testConfig(7)
	reversed := Config{Seed: 7}
	for i := len(all.Pairs) - 1; i >= 0; i-- {
		reversed.Pairs = append(reversed.Pairs, all.Pairs[i])
	}
	alone := Config{Seed: 7, Pairs: all.Pairs[2:3]} // SOL/USD
	full := generate(t, all, 20_000)
	r := generate(t, reversed, 20_000)
	if i := firstDiff(t, full, r); i >= 0 {
		t.Fatalf("config order changed event %d:\n%s\n%s", i, eventString(&full[i]), eventString(&r[i]))
	}
	a := only(full, "SOL/USD")
	b := generate(t, alone, len(a))[:len(a)]
	if i := firstDiff(t, a, b); i >= 0 {
		t.Fatalf("SOL/USD event %d differs when generated alone:\n%s\n%s", i, eventString(&a[i]), eventString(&b[i]))
	}
	t.Logf("%d SOL/USD events identical", len(a))
}
