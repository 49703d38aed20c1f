package tape

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// TestSourceRecycle hands every batch back as soon as it is read, as the engine does once
// every worker is done with it: the events are those Events gives and the source refills
// the returned batches instead of allocating new ones.
func TestSourceRecycle(t *testing.T) {
	dir := t.TempDir()
	var frames []Frame
	for s := range 5000 {
		n := 1
		switch s % 1000 {
		case 100, 377:
			n = 2 // crosses a batch boundary now and then
		case 500:
			n = BatchSize + 44 // fills more than a batch
		case 900:
			n = 3*BatchSize + 1
		}
		frames = append(frames, Frame{Recv: t0.Add(time.Duration(s) * time.Second), API: feed.APIV2, Conn: 1, Raw: fmt.Appendf(nil, `{"pair":"BTC/USD","kind":"trade","n":%d}`, n)})
	}
	write(t, dir, frames)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var want []evKey
	for e, err := range r.Events(t.Context(), &fakeDecoder{}, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, keyOf(e))
	}

	src := r.Source(&fakeDecoder{}, Filter{})
	rec, ok := src.(feed.BatchRecycler)
	if !ok {
		t.Fatal("the Source does not take batches back")
	}
	out := make(chan []feed.Event)
	done := make(chan error, 1)
	go func() { done <- src.Run(context.Background(), out) }()
	var got []evKey
	batches := 0
	for running := true; running; {
		select {
		case b := <-out:
			batches++
			if len(b) == 0 || len(b) > BatchSize || cap(b) != len(b) && len(b) == BatchSize {
				t.Errorf("batch %d: %d events, capacity %d", batches, len(b), cap(b))
			}
			for _, e := range b {
				got = append(got, keyOf(e))
			}
			rec.Recycle(b)
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			running = false
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("source sent %d events, Events gives %d (or a different order)", len(got), len(want))
	}
	// A few batches are in flight at a time; the rest are refilled. (A frame that crosses a
	// batch boundary still grows one as the decoder appends to it.)
	if made := src.(*source).pool.Made(); batches < 30 || made > 4 {
		t.Errorf("%d batches sent, %d allocated; want them refilled", batches, made)
	}
}

// A batch handed back is cleared (it keeps no payload alive) and kept for refilling; one
// too small to refill is dropped.
func TestSourceRecycleClears(t *testing.T) {
	s := (&Reader{}).Source(&fakeDecoder{}, Filter{}).(*source)
	b := make([]feed.Event, BatchSize)
	for i := range b {
		b[i] = feed.Event{Seq: uint64(i + 1), Kind: feed.KindBook, Book: &feed.BookUpdate{}}
	}
	s.Recycle(b[:10])
	s.Recycle(make([]feed.Event, 3))
	got := s.batch()
	if len(got) != 0 || cap(got) != BatchSize || &got[:1][0] != &b[0] {
		t.Fatalf("refilled batch: len %d cap %d, want the one handed back", len(got), cap(got))
	}
	for i, e := range got[:BatchSize] {
		if e != (feed.Event{}) {
			t.Fatalf("event %d not cleared: %+v", i, e)
		}
	}
	if fresh := s.batch(); cap(fresh) != BatchSize || &fresh[:1][0] == &b[0] {
		t.Fatal("the short batch was kept, or the same batch given out twice")
	}
}
