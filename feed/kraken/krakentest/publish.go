package krakentest

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/papertrade/papertrade/feed"
)

// marketTick is how often the market loop generates what its rate makes due.
const marketTick = 10 * time.Millisecond

// maxTickEvents bounds one tick's batch: the time the batch takes to make and to publish
// (with the server's lock held) stays short whatever the rate.
const maxTickEvents = 10_000

// MaxRate is the fastest generated market in events per second (rate times speed): at most
// maxTickEvents per tick. A faster rate is served at MaxRate.
const MaxRate = float64(maxTickEvents) * float64(time.Second/marketTick)

// Step generates at least n events from the market (WithMarket) and publishes them now,
// whatever the rate and the system status. It returns how many events it published; 0 when
// the server has no market or is closed. Tests use it with a rate of 0 for exact control.
func (s *Server) Step(n int) int {
	return s.step(context.Background(), n)
}

// step generates up to n events (stopping early when ctx ends) with only the generator lock
// held, then publishes them under the server's lock.
func (s *Server) step(ctx context.Context, n int) int {
	if s.cfg.market == nil {
		return 0
	}
	s.gen.Lock()
	defer s.gen.Unlock()
	// Everything due now is published as one batch, so trades that happen together (a sweep,
	// several takers within one tick) go out in one message, as Kraken batches close trades.
	s.genBuf = s.genBuf[:0]
	for len(s.genBuf) < n && ctx.Err() == nil {
		before := len(s.genBuf)
		s.genBuf = s.cfg.market.Next(s.genBuf)
		if len(s.genBuf) == before {
			break
		}
	}
	done := len(s.genBuf)
	s.mu.Lock()
	if s.closed || ctx.Err() != nil {
		done = 0
	} else {
		s.publishLocked(s.genBuf, true, false)
	}
	s.mu.Unlock()
	clear(s.genBuf)
	return done
}

// Publish applies events to the server's market and sends them to subscribers, as if the
// source had produced them: trades (Trade.ID 0 gets the pair's next id; an id the pair has
// passed is a duplicate and dropped) and book snapshots/updates. Events keep their Time
// (Recv, then the server clock, when zero). Other kinds are ignored.
func (s *Server) Publish(events ...feed.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.publishLocked(events, false, false)
}

// SetRate changes the generated market's rate (events per second; 0 pauses it).
func (s *Server) SetRate(eventsPerSecond float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cfg.rate = eventsPerSecond
	s.rateGen++
}

// runMarket generates the market at its rate until ctx ends. It paces by the clock rather
// than sleeping per event, and pauses (without catching up afterwards) while the system
// status is not online.
func (s *Server) runMarket(ctx context.Context) {
	t := time.NewTicker(marketTick)
	defer t.Stop()
	start := time.Now()
	var emitted float64
	var gen uint64
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			s.mu.Lock()
			rate := s.cfg.rate * s.cfg.speed
			if gen != s.rateGen || s.status != feed.SystemOnline || rate <= 0 {
				gen = s.rateGen
				start, emitted = now, 0
				s.mu.Unlock()
				continue
			}
			due := rate*now.Sub(start).Seconds() - emitted
			if due > rate { // more than a second behind (a slow machine): don't burst
				start, emitted, due = now, 0, rate*marketTick.Seconds()
			}
			s.mu.Unlock()
			if due >= 1 {
				emitted += float64(s.step(ctx, int(min(due, maxTickEvents))))
			}
		}
	}
}

// publishLocked applies a batch of source events. live stamps them with the server clock.
// recorded marks a recording's events, whose books were cut to the recorded depth (see
// applyBook). A batch's trades of one pair go out as one frame after its book messages
// (Kraken sends the trades of one match together: 2-trade messages with one timestamp are
// common in captures), followed by one ticker and one candle update each. s.mu held.
func (s *Server) publishLocked(evs []feed.Event, live, recorded bool) {
	type pend struct {
		ps   *pairState
		recs []tradeRec
	}
	var pending []pend
	flush := func() {
		for _, p := range pending {
			s.sendTrades(p.ps, p.recs)
		}
		pending = pending[:0]
	}
	now := s.now()
	for i := range evs {
		e := &evs[i]
		t := now
		if !live {
			switch {
			case !e.Time.IsZero():
				t = e.Time
			case !e.Recv.IsZero():
				t = e.Recv
			}
		}
		switch e.Kind {
		case feed.KindTrade:
			pair := e.Trade.Pair
			if pair == "" {
				pair = e.Pair
			}
			ps := s.byV2[pair]
			if ps == nil {
				continue
			}
			if rec, ok := ps.addTrade(e.Trade, t, s.cfg.history); ok {
				j := 0
				for j < len(pending) && pending[j].ps != ps {
					j++
				}
				if j == len(pending) {
					pending = append(pending, pend{ps: ps})
				}
				pending[j].recs = append(pending[j].recs, rec)
			}
		case feed.KindBook:
			if e.Book == nil {
				continue
			}
			pair := e.Book.Pair
			if pair == "" {
				pair = e.Pair
			}
			if ps := s.byV2[pair]; ps != nil {
				s.applyBook(ps, e.Book, t, recorded)
			}
		}
	}
	flush()
}

func (s *Server) sendTrades(ps *pairState, recs []tradeRec) {
	pair := ps.info.Pair
	s.fanout(streamKey{api: feed.APIV2, ch: chTrade, pair: pair}, func() []byte { return v2Trades(ps, recs, false) })
	s.fanout(streamKey{api: feed.APIV1, ch: chTrade, pair: pair}, func() []byte {
		return v1Trades(s.channelID(ps, "trade"), ps, recs)
	})
	now := recs[len(recs)-1].time
	s.fanout(streamKey{api: feed.APIV2, ch: chTicker, pair: pair}, func() []byte { return v2Ticker(ps, false, now) })
	s.fanout(streamKey{api: feed.APIV1, ch: chTicker, pair: pair}, func() []byte {
		return v1Ticker(s.channelID(ps, "ticker"), ps)
	})
	for i, iv := range ohlcIntervals {
		c := &ps.candles[i]
		s.fanout(streamKey{api: feed.APIV2, ch: chOHLC, pair: pair, param: iv}, func() []byte { return v2OHLC(ps, c, false, now) })
		s.fanout(streamKey{api: feed.APIV1, ch: chOHLC, pair: pair, param: iv}, func() []byte {
			return v1OHLC(s.channelID(ps, v1ChannelName(streamKey{ch: chOHLC, param: iv})), ps, c)
		})
	}
}

// applyBook applies a source book message. A recorded stream was cut to its subscription's
// depth and relies on truncation (levels that leave the window are not deleted), so the full
// book keeps that depth: the message's own (v1 book-N) or, for v2, the smallest Kraken depth
// that holds the snapshot.
func (s *Server) applyBook(ps *pairState, u *feed.BookUpdate, t time.Time, recorded bool) {
	switch {
	case u.Depth > 0:
		ps.book.Depth = u.Depth
	case recorded && u.Snapshot:
		n := max(len(u.Bids), len(u.Asks))
		ps.book.Depth = bookDepths[len(bookDepths)-1]
		for _, d := range bookDepths {
			if d >= n {
				ps.book.Depth = d
				break
			}
		}
	}
	diffs, err := ps.applyBook(u, t)
	if err != nil {
		s.log.Warn("bad book update from the source", zap.String("pair", string(ps.info.Pair)), zap.Error(err))
		return
	}
	corrupt := false
	for i := range diffs {
		d := &diffs[i]
		v := d.view
		ck1, ck2 := ps.checksums(v)
		if ps.corruptCk && !d.snapshot {
			ck1, ck2 = ck1^0x5eed, ck2^0x5eed
			corrupt = true
		}
		k2 := streamKey{api: feed.APIV2, ch: chBook, pair: ps.info.Pair, param: v.depth}
		k1 := streamKey{api: feed.APIV1, ch: chBook, pair: ps.info.Pair, param: v.depth}
		id := func() int64 { return s.channelID(ps, v1ChannelName(k1)) }
		if d.snapshot {
			s.fanout(k2, func() []byte { return v2BookSnapshot(ps, v, ck2) })
			s.fanout(k1, func() []byte { return v1BookSnapshot(id(), ps, v) })
		} else {
			s.fanout(k2, func() []byte { return v2BookUpdate(ps, d, ck2, t) })
			s.fanout(k1, func() []byte { return v1BookUpdate(id(), ps, d, ck1) })
		}
	}
	if corrupt {
		ps.corruptCk = false
	}
	var bid, ask feed.BookLevel
	if ps.book.Len(feed.Buy) > 0 {
		bid = ps.book.Bid(0)
	}
	if ps.book.Len(feed.Sell) > 0 {
		ask = ps.book.Ask(0)
	}
	if bid != ps.topBid || ask != ps.topAsk {
		ps.topBid, ps.topAsk = bid, ask
		s.fanout(streamKey{api: feed.APIV1, ch: chSpread, pair: ps.info.Pair}, func() []byte {
			return v1Spread(s.channelID(ps, "spread"), ps)
		})
		s.fanout(streamKey{api: feed.APIV2, ch: chTicker, pair: ps.info.Pair, param: 1}, func() []byte { return v2Ticker(ps, false, t) })
	}
}
