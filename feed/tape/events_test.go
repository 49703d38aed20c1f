package tape

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// fakeDecoder decodes frames of the form {"pair":"BTC/USD","kind":"trade","n":3,"api":true}
// into n events numbered by Trade.ID; anything else is an error.
type fakeDecoder struct{ frames int }

func (d *fakeDecoder) DecodeFrame(f Frame, dst []feed.Event) ([]feed.Event, error) {
	frame, recv := f.Raw, f.Recv
	var m struct {
		Pair string `json:"pair"`
		Kind string `json:"kind"`
		N    int    `json:"n"`
		API  bool   `json:"api"`
	}
	if err := json.Unmarshal(frame, &m); err != nil {
		return dst, fmt.Errorf("fake: %w", err)
	}
	kind := map[string]feed.Kind{"trade": feed.KindTrade, "book": feed.KindBook, "status": feed.KindStatus}[m.Kind]
	for i := range m.N {
		e := feed.Event{Kind: kind, Pair: feed.Pair(m.Pair), Recv: recv, Conn: 99}
		e.Trade.ID = uint64(d.frames*1000 + i)
		if m.API {
			e.API = feed.APIV1 // the decoder's word wins over the frame's
		}
		dst = append(dst, e)
	}
	d.frames++
	return dst, nil
}

// eventsTape records frames for the fake decoder on two connections: per second, a BTC/USD
// trade frame with 3 trades, an ETH/USD book frame with 2 levels, every tenth second a
// status frame, and once an undecodable frame.
func eventsTape(t *testing.T, seconds int) string {
	dir := t.TempDir()
	for c := uint32(1); c <= 2; c++ {
		var frames []Frame
		for s := range seconds {
			recv := t0.Add(time.Duration(s)*time.Second + time.Duration(c)*time.Millisecond)
			raw := `{"pair":"BTC/USD","kind":"trade","n":3}`
			if c == 2 {
				raw = `{"pair":"ETH/USD","kind":"book","n":2,"api":true}`
			}
			frames = append(frames, Frame{Recv: recv, API: feed.APIV2, Conn: c, Raw: []byte(raw)})
			if c == 1 && s%10 == 0 {
				frames = append(frames, Frame{Recv: recv.Add(time.Microsecond), API: feed.APIV2, Conn: c, Raw: []byte(`{"kind":"status","n":1}`)})
			}
			if c == 1 && s == 5 {
				frames = append(frames, Frame{Recv: recv.Add(2 * time.Microsecond), API: feed.APIV2, Conn: c, Raw: []byte(`oops`)})
			}
		}
		write(t, dir, frames, WithName(fmt.Sprintf("c%d", c)))
	}
	return dir
}

type evKey struct {
	kind feed.Kind
	pair feed.Pair
	api  feed.API
	conn uint32
	id   uint64
	recv time.Time
}

func keyOf(e feed.Event) evKey { return evKey{e.Kind, e.Pair, e.API, e.Conn, e.Trade.ID, e.Recv} }

func TestEvents(t *testing.T) {
	dir := eventsTape(t, 100)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []evKey
	for e, err := range r.Events(t.Context(), &fakeDecoder{}, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, keyOf(e))
	}
	// 100 s × (3 trades + 2 book levels) + 10 status events
	if len(all) != 510 {
		t.Fatalf("%d events, want 510", len(all))
	}
	if st := r.Stats(); st.DecodeErrors != 1 {
		t.Errorf("decode errors %d, want 1", st.DecodeErrors)
	}
	if w := r.Warnings(); len(w) != 1 || !strings.Contains(w[0].Msg, "fake:") || !strings.Contains(w[0].File, "c1-") || w[0].Line != 8 {
		t.Errorf("warnings %v, want the undecodable frame at c1 line 8", w)
	}
	if !slices.IsSortedFunc(all, func(a, b evKey) int { return a.recv.Compare(b.recv) }) {
		t.Error("events are not in receive order")
	}
	first := all[0]
	if first.kind != feed.KindTrade || first.pair != "BTC/USD" || first.conn != 1 || first.api != feed.APIV2 {
		t.Errorf("first event %+v: want a BTC/USD trade with Conn and API from the frame", first)
	}
	for _, k := range all {
		if k.kind == feed.KindBook && (k.conn != 2 || k.api != feed.APIV1) {
			t.Fatalf("book event %+v: want conn 2 and the decoder's API v1", k)
		}
	}

	tests := []struct {
		name string
		f    Filter
		want func(evKey) bool
	}{
		{"pair", Filter{Pairs: []feed.Pair{"ETH/USD"}}, func(k evKey) bool { return k.pair == "ETH/USD" || k.pair == "" }},
		{"kind", Filter{Kinds: []feed.Kind{feed.KindTrade}}, func(k evKey) bool { return k.kind == feed.KindTrade }},
		{"pair and kind", Filter{Pairs: []feed.Pair{"BTC/USD"}, Kinds: []feed.Kind{feed.KindTrade, feed.KindBook}}, func(k evKey) bool { return k.pair == "BTC/USD" }},
		{"range", Filter{Range: Range{From: t0.Add(20 * time.Second), To: t0.Add(30 * time.Second)}}, func(k evKey) bool {
			return !k.recv.Before(t0.Add(20*time.Second)) && k.recv.Before(t0.Add(30*time.Second))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []evKey
			for e, err := range r.Events(t.Context(), &fakeDecoder{}, tt.f) {
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, keyOf(e))
			}
			var want []evKey
			for _, k := range all {
				if tt.want(k) {
					want = append(want, k)
				}
			}
			// Trade.ID numbers frames as the decoder saw them; ranges shift that
			strip := func(ks []evKey) []evKey {
				out := slices.Clone(ks)
				for i := range out {
					out[i].id %= 1000
				}
				return out
			}
			if !slices.Equal(strip(got), strip(want)) || len(got) == 0 {
				t.Errorf("got %d events, want %d", len(got), len(want))
			}
		})
	}
}

// runSource runs src to the end, collecting its batches.
func runSource(ctx context.Context, src feed.Source) ([][]feed.Event, error) {
	out := make(chan []feed.Event)
	done := make(chan error, 1)
	go func() { done <- src.Run(ctx, out) }()
	var batches [][]feed.Event
	for {
		select {
		case b := <-out:
			batches = append(batches, b)
		case err := <-done:
			return batches, err
		}
	}
}

func TestSource(t *testing.T) {
	dir := eventsTape(t, 500)
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
	batches, err := runSource(t.Context(), r.Source(&fakeDecoder{}, Filter{}))
	if err != nil {
		t.Fatal(err)
	}
	var got []evKey
	for i, b := range batches {
		if len(b) == 0 || len(b) > BatchSize || (i < len(batches)-1 && len(b) != BatchSize) {
			t.Errorf("batch %d has %d events", i, len(b))
		}
		if cap(b) > len(b) && i < len(batches)-1 {
			t.Errorf("batch %d has spare capacity %d: appending to it would touch the source's memory", i, cap(b)-len(b))
		}
		for _, e := range b {
			got = append(got, keyOf(e))
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("source sent %d events, Events gives %d (or a different order)", len(got), len(want))
	}
	if len(batches) < 10 {
		t.Errorf("only %d batches", len(batches))
	}
}

func TestSourceCancel(t *testing.T) {
	dir := eventsTape(t, 500)
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	out := make(chan []feed.Event)
	done := make(chan error, 1)
	go func() { done <- r.Source(&fakeDecoder{}, Filter{}).Run(ctx, out) }()
	<-out // the source is now blocked on its second send
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel: %v", err)
	}
	select {
	case _, ok := <-out:
		t.Errorf("out received after Run returned (open: %v)", ok)
	default: // open and empty: the source did not close it
	}
}

func TestSourceReadError(t *testing.T) {
	dir := t.TempDir()
	if _, err := readErr(t, dir); err == nil {
		t.Fatal("empty dir opened")
	}
	zstdFile(t, dir+"/2026-11-24/seg-20261124T101500.123Z-000001.jsonl.zst", "junk\n")
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runSource(t.Context(), r.Source(&fakeDecoder{}, Filter{}))
	var pe *PosError
	if !errors.As(err, &pe) || pe.Line != 1 {
		t.Errorf("Run: %v, want the bad line's error", err)
	}
}
