package journal_test

import (
	"context"
	"testing"
	"time"

	"github.com/papertrade/papertrade/engine/journal"
	"github.com/papertrade/papertrade/feed"
)

// TestBookGapsClose: a book gap opens at a disconnect with no end ("stale until the next
// snapshot") and was journaled with to_ns = 0 for good (issue 15 item 14). The pair's next
// snapshot closes it; one still open when the session ends closes at the session's last event
// time (the book was stale until then); other gaps are left as they were.
func TestBookGapsClose(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	j, err := journal.Open(path, journal.Options{Pairs: pairs.Lookup})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := j.Begin(ctx, sessionConfig("h1", instances())); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	stale := "disconnected: stale until the next snapshot"
	j.NoteEvent(t0)
	j.BookSnapshot("BTC/USD", t0) // nothing open: nothing to close
	j.Gap("BTC/USD", feed.Gap{Channel: "book", From: t0.Add(time.Second), Reason: stale})
	j.Gap("ETH/USD", feed.Gap{Channel: "book", From: t0.Add(time.Second), Reason: stale})
	j.Gap("BTC/USD", feed.Gap{Channel: "trade", FromID: 5, ToID: 9, Missing: 5, From: t0, To: t0.Add(3 * time.Second), Reason: "trade ids skipped"})
	j.BookSnapshot("BTC/USD", t0.Add(4*time.Second))
	j.BookSnapshot("BTC/USD", t0.Add(9*time.Second)) // already closed: stays at 4 s
	j.NoteEvent(t0.Add(10 * time.Second))
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := journal.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	gaps, err := r.Gaps(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]time.Time{
		"BTC/USD book":  t0.Add(4 * time.Second),
		"ETH/USD book":  t0.Add(10 * time.Second),
		"BTC/USD trade": t0.Add(3 * time.Second),
	}
	if len(gaps) != len(want) {
		t.Fatalf("gaps %+v", gaps)
	}
	for _, g := range gaps {
		key := string(g.Pair) + " " + g.Gap.Channel
		if !g.Gap.To.Equal(want[key]) {
			t.Errorf("%s gap ends %v, want %v", key, g.Gap.To, want[key])
		}
	}
}
