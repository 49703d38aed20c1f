package engine

import (
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy/indicator"
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
}

type candleSeries struct {
	b   *indicator.CandleBuilder
	end time.Time // end of the forming candle; zero when none
}

func newSequencer(keys []candleKey) *sequencer {
	s := &sequencer{byPair: make(map[feed.Pair][]*candleSeries)}
	for _, k := range sortCandleKeys(keys) {
		cs := &candleSeries{b: indicator.NewCandleBuilder(k.pair, k.interval)}
		s.builders = append(s.builders, cs)
		s.byPair[k.pair] = append(s.byPair[k.pair], cs)
	}
	return s
}

// stamp numbers b's events and returns the batch to dispatch: b itself, or a copy with
// closed candles inserted before the event whose time closed them. A candle is never
// emitted before event time reaches its end, so nobody can look ahead.
func (s *sequencer) stamp(b []feed.Event) []feed.Event {
	if len(s.builders) == 0 {
		for i := range b {
			s.n++
			b[i].Seq = s.n
		}
		return b
	}
	var out []feed.Event // nil until a candle must be inserted
	for i := range b {
		ev := &b[i]
		s.closed = s.closed[:0]
		if !ev.Time.IsZero() && !s.next.IsZero() && !ev.Time.Before(s.next) {
			s.advance(ev.Time)
		}
		if ev.Kind == feed.KindTrade {
			s.add(ev)
		}
		if len(s.closed) > 0 && out == nil {
			out = make([]feed.Event, 0, len(b)+len(s.closed)+4)
			out = append(out, b[:i]...)
		}
		for j := range s.closed {
			s.n++
			s.closed[j].Seq = s.n
			out = append(out, s.closed[j])
		}
		s.n++
		ev.Seq = s.n
		if out != nil {
			out = append(out, *ev)
		}
	}
	if out != nil {
		return out
	}
	return b
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
		if t := ev.Trade.Time; cs.end.IsZero() || !t.Before(cs.end) {
			// The builder aligns candles to the Unix epoch; mirror that to know when the
			// forming candle ends without asking it for the candle on every trade.
			iv := cs.b.Interval().Nanoseconds()
			ns := t.UnixNano()
			start := ns - ns%iv
			if ns%iv < 0 {
				start -= iv
			}
			cs.end = time.Unix(0, start+iv)
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
