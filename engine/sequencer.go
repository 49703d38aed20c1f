package engine

import (
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/candle"
)

// sequencer turns the sources' batches into the run's single ordered stream: it stamps every
// event with its Seq and inserts the closed candles every worker shares (built once per pair
// and interval, not once per strategy). It runs on the dispatch goroutine only.
type sequencer struct {
	n        uint64
	builders []*candleSeries // sorted by interval, then pair
	byPair   map[feed.Pair][]*candleSeries
	next     time.Time // earliest end among forming candles; zero when none is forming
	closed   []feed.Event
	parts    []part // stamp's result, reused
}

// part is one batch to dispatch: a piece of the source's batch (lent), or closed candles.
type part struct {
	ev   []feed.Event
	lent bool
}

type candleSeries struct {
	b   *candle.Builder
	end time.Time // end of the forming candle; zero when none
}

func newSequencer(keys []candleKey) *sequencer {
	s := &sequencer{byPair: make(map[feed.Pair][]*candleSeries)}
	for _, k := range sortCandleKeys(keys) {
		cs := &candleSeries{b: candle.New(k.pair, k.interval)}
		s.builders = append(s.builders, cs)
		s.byPair[k.pair] = append(s.byPair[k.pair], cs)
	}
	return s
}

// stamp numbers b's events and returns the batches to dispatch, in order: b itself, or —
// when candles close — the pieces of b between them and batches of the closed candles, each
// before the event whose time closed it. A candle is never emitted before event time
// reaches its end, so nobody can look ahead. The pieces share b's storage (nothing is
// copied); the result is valid until the next stamp.
func (s *sequencer) stamp(b []feed.Event) []part {
	clear(s.parts)
	s.parts = s.parts[:0]
	if len(s.builders) == 0 {
		for i := range b {
			s.n++
			b[i].Seq = s.n
		}
		if len(b) > 0 {
			s.parts = append(s.parts, part{ev: b, lent: true})
		}
		return s.parts
	}
	from := 0 // start of the piece of b not yet in parts
	for i := range b {
		ev := &b[i]
		s.closed = s.closed[:0]
		if !ev.Time.IsZero() && !s.next.IsZero() && !ev.Time.Before(s.next) {
			s.advance(ev.Time)
		}
		if ev.Kind == feed.KindTrade {
			s.add(ev)
		}
		if len(s.closed) > 0 {
			if i > from {
				s.parts = append(s.parts, part{ev: b[from:i:i], lent: true})
				from = i
			}
			candles := make([]feed.Event, len(s.closed))
			for j := range s.closed {
				s.n++
				s.closed[j].Seq = s.n
				candles[j] = s.closed[j]
			}
			s.parts = append(s.parts, part{ev: candles})
		}
		s.n++
		ev.Seq = s.n
	}
	if from < len(b) {
		s.parts = append(s.parts, part{ev: b[from:], lent: true})
	}
	return s.parts
}

func (s *sequencer) advance(now time.Time) {
	s.next = time.Time{}
	for _, cs := range s.builders {
		if !cs.end.IsZero() && !now.Before(cs.end) {
			if c, ok := cs.b.Advance(now); ok {
				s.emit(c, now)
			}
			cs.end = time.Time{}
		}
		s.track(cs.end)
	}
}

func (s *sequencer) add(ev *feed.Event) {
	p := ev.Trade.Pair
	if p == "" {
		p = ev.Pair
	}
	for _, cs := range s.byPair[p] {
		if c, ok := cs.b.Add(ev.Trade); ok {
			s.emit(c, ev.Time)
		}
		if end, ok := cs.b.FormingEnd(); ok {
			cs.end = end
		}
		s.track(cs.end)
	}
}

func (s *sequencer) track(end time.Time) {
	if !end.IsZero() && (s.next.IsZero() || end.Before(s.next)) {
		s.next = end
	}
}

func (s *sequencer) emit(c feed.Candle, now time.Time) {
	c.Closed = true
	cc := c
	s.closed = append(s.closed, feed.Event{Kind: feed.KindCandle, Pair: c.Pair, Time: now, Recv: now, Candle: &cc})
}
