package backtest

import (
	"context"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"time"

	"github.com/shopspring/decimal"
	"go.uber.org/zap"

	"github.com/papertrade/papertrade/engine/report"
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/tape"
)

// Events is market data decoded once and kept in memory compactly, to be replayed many
// times (a sweep runs every trial on it). A trade takes 88 bytes; a book message is kept as
// the decoder's immutable *feed.BookUpdate, shared by every replay; rarer kinds are kept as
// they are. Replays rebuild feed.Events batch by batch, so memory does not grow with the
// number of replays, and the rebuilt events are exactly the decoded ones (same decimals,
// times, ids), so a replay produces the results a streaming backtest of the tape does.
//
// Events is immutable once loaded and safe for concurrent replays.
type Events struct {
	// evs holds the events in chunks of chunkSize: loading never copies what it already
	// holds, and no slack beyond one chunk is allocated.
	evs    [][]cev
	n      int
	books  []*feed.BookUpdate
	others []feed.Event
	pairs  []feed.Pair
	files  []report.DataFile
}

// cev is one compact event. Times are unix nanoseconds (noTime for the zero time); a trade's
// price and quantity are decimal coefficients and exponents.
type cev struct {
	recv, time, ttime int64
	price, qty        int64
	id                uint64
	ref               uint32 // index into books (KindBook) or others (any other kind)
	conn              uint32
	pair              uint16
	kind              feed.Kind
	api               feed.API
	side              feed.Side
	ord               feed.OrdType
	pexp, qexp        int8
	inline            bool // a trade stored inline; otherwise ref points at the full event
}

const noTime = math.MinInt64

const chunkBits = 14
const chunkSize = 1 << chunkBits

// at returns event i.
func (e *Events) at(i int) *cev { return &e.evs[i>>chunkBits][i&(chunkSize-1)] }

func (e *Events) push(c cev) {
	if e.n&(chunkSize-1) == 0 {
		e.evs = append(e.evs, make([]cev, 0, chunkSize))
	}
	k := len(e.evs) - 1
	e.evs[k] = append(e.evs[k], c)
	e.n++
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return noTime
	}
	return t.UnixNano()
}

func fromNano(ns int64) time.Time {
	if ns == noTime {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// compactDecimal returns d's coefficient and exponent when they fit the compact form.
func compactDecimal(d decimal.Decimal) (int64, int8, bool) {
	e := d.Exponent()
	if e < math.MinInt8 || e > math.MaxInt8 {
		return 0, 0, false
	}
	c := d.Coefficient()
	if !c.IsInt64() {
		return 0, 0, false
	}
	return c.Int64(), int8(e), true
}

// LoadEvents decodes the tape at path (the events a backtest replays: EngineKinds, and of
// pairs only those given, all when none) into memory, with the files' hashes.
func LoadEvents(ctx context.Context, path string, pairs []feed.Pair, log *zap.Logger) (*Events, error) {
	return LoadEventsCached(ctx, path, pairs, "", log)
}

// LoadEventsCached is LoadEvents with the decoded-event cache in dir ("" or CacheOff: none):
// the tape's events are read from the cache when it holds them, else decoded and written
// there (every pair, so that any later selection hits).
func LoadEventsCached(ctx context.Context, path string, pairs []feed.Pair, dir string, log *zap.Logger) (*Events, error) {
	if log == nil {
		log = zap.NewNop()
	}
	r, err := tape.Open(path, tape.ReadLogger(log))
	if err != nil {
		return nil, fmt.Errorf("backtest: %w", err)
	}
	files, err := DataFiles(path)
	if err != nil {
		return nil, err
	}
	e := &Events{files: files}
	keep := func(ev *feed.Event) bool {
		return len(pairs) == 0 || ev.Pair == "" || slices.Contains(pairs, ev.Pair)
	}
	var w *cacheWriter
	if dir != "" && dir != CacheOff {
		key := cacheKey(files)
		cr, err := openCache(dir, key)
		if cr != nil {
			var ev feed.Event
			for {
				ok, err := cr.next(&ev)
				if err != nil || !ok {
					cr.close()
					if err == nil {
						return e, nil
					}
					os.Remove(cachePath(dir, key))
					log.Warn("decoded-event cache damaged; removed, decoding the tape", zap.Error(err))
					e = &Events{files: files}
					break
				}
				if keep(&ev) {
					e.Add(&ev)
				}
			}
		} else if err != nil {
			log.Warn("decoded-event cache unreadable; decoding the tape and rewriting it", zap.Error(err))
		}
		if w, err = newCacheWriter(dir, key); err != nil {
			log.Warn("decoded-event cache cannot be written", zap.String("dir", dir), zap.Error(err))
			w = nil
		}
	}
	for ev, err := range r.Events(ctx, NewNormalizer(log), tape.Filter{Kinds: EngineKinds}) {
		if err != nil {
			if w != nil {
				w.abort()
			}
			return nil, fmt.Errorf("backtest: %w", err)
		}
		if w != nil {
			w.add(&ev)
		}
		if keep(&ev) {
			e.Add(&ev)
		}
	}
	if w != nil {
		if err := w.commit(); err != nil {
			log.Warn("decoded-event cache not written", zap.Error(err))
		}
	}
	return e, nil
}

// Add appends one event (building Events by hand: tests, generated markets). Events must be
// added in replay order.
func (e *Events) Add(ev *feed.Event) {
	c := cev{recv: unixNano(ev.Recv), time: unixNano(ev.Time), kind: ev.Kind, api: ev.API, conn: ev.Conn}
	if p, ok := e.pairIndex(ev.Pair); ok {
		c.pair = p
	} else {
		c.kind = feed.KindUnknown // more than 65535 pairs: keep it whole
	}
	switch {
	case ev.Kind == feed.KindTrade && c.kind == feed.KindTrade && ev.Trade.Pair == ev.Pair && ev.Book == nil:
		t := &ev.Trade
		pm, pe, ok1 := compactDecimal(t.Price)
		qm, qe, ok2 := compactDecimal(t.Qty)
		if ok1 && ok2 {
			c.inline = true
			c.price, c.pexp, c.qty, c.qexp = pm, pe, qm, qe
			c.side, c.ord, c.id, c.ttime = t.Side, t.OrdType, t.ID, unixNano(t.Time)
			e.push(c)
			return
		}
	case ev.Kind == feed.KindBook && c.kind == feed.KindBook && ev.Book != nil:
		c.ref = uint32(len(e.books))
		e.books = append(e.books, ev.Book)
		e.push(c)
		return
	}
	c.kind = ev.Kind
	c.ref = uint32(len(e.others))
	e.others = append(e.others, *ev)
	e.push(c)
}

func (e *Events) pairIndex(p feed.Pair) (uint16, bool) {
	for i, q := range e.pairs {
		if q == p {
			return uint16(i), true
		}
	}
	if len(e.pairs) > math.MaxUint16 {
		return 0, false
	}
	e.pairs = append(e.pairs, p)
	return uint16(len(e.pairs) - 1), true
}

// Len returns the number of events.
func (e *Events) Len() int { return e.n }

// Files returns the hashes of the files the events were loaded from.
func (e *Events) Files() []report.DataFile { return slices.Clone(e.files) }

// Span returns the receive times of the first and last events.
func (e *Events) Span() (first, last time.Time) {
	for i := 0; i < e.n; i++ {
		if r := e.at(i).recv; r != noTime {
			first = fromNano(r)
			break
		}
	}
	for i := e.n - 1; i >= 0; i-- {
		if r := e.at(i).recv; r != noTime {
			last = fromNano(r)
			break
		}
	}
	return first, last
}

// event rebuilds event i.
func (e *Events) event(i int, dst *feed.Event) {
	c := e.at(i)
	if !c.inline && c.kind != feed.KindBook {
		*dst = e.others[c.ref]
		return
	}
	*dst = feed.Event{Kind: c.kind, API: c.api, Conn: c.conn, Pair: e.pairs[c.pair], Time: fromNano(c.time), Recv: fromNano(c.recv)}
	if c.kind == feed.KindBook {
		dst.Book = e.books[c.ref]
		return
	}
	dst.Trade = feed.Trade{
		Pair: dst.Pair, Side: c.side, OrdType: c.ord, ID: c.id, Time: fromNano(c.ttime),
		Price: decimal.New(c.price, int32(c.pexp)), Qty: decimal.New(c.qty, int32(c.qexp)),
	}
}

// index returns the range [lo, hi) of events whose receive time is in [from, to), the way a
// tape.Range selects frames (events without a receive time stay with their neighbours).
func (e *Events) index(from, to time.Time) (int, int) {
	lo, hi := 0, e.n
	if !from.IsZero() {
		f := from.UnixNano()
		lo = sort.Search(e.n, func(i int) bool { r := e.at(i).recv; return r != noTime && r >= f })
	}
	if !to.IsZero() {
		t := to.UnixNano()
		hi = sort.Search(e.n, func(i int) bool { r := e.at(i).recv; return r != noTime && r >= t })
	}
	return lo, max(lo, hi)
}

// Count returns how many events a replay of [from, to) sends.
func (e *Events) Count(from, to time.Time) int {
	lo, hi := e.index(from, to)
	return hi - lo
}

// Source returns a feed.Source replaying the events received in [from, to) (zero bounds are
// open) in batches of tape.BatchSize; each batch is a fresh slice the receiver owns.
func (e *Events) Source(from, to time.Time) feed.Source {
	src, _ := e.replay(from, to, nil, time.Minute, nil)
	return src
}

// replay is Source with an observer for the market and progress, as a tape replay has.
func (e *Events) replay(from, to time.Time, pairs []feed.Pair, interval time.Duration, progress func(Progress)) (feed.Source, *observer) {
	obs := &observer{pairs: pairs, market: report.NewMarketRecorder(min(interval, time.Minute)), progress: progress}
	lo, hi := e.index(from, to)
	if hi > lo {
		obs.from, obs.to = e.at(lo).recv, e.at(hi-1).recv
	}
	src := feed.SourceFunc(func(ctx context.Context, out chan<- []feed.Event) error {
		for i := lo; i < hi; {
			n := min(tape.BatchSize, hi-i)
			b := make([]feed.Event, n)
			for j := range b {
				e.event(i+j, &b[j])
				obs.observe(&b[j])
			}
			i += n
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})
	return src, obs
}

// Market computes the prices of the pairs' trades received in [from, to) (all pairs when
// none are given), sampled every interval, without replaying the other events.
func (e *Events) Market(from, to time.Time, pairs []feed.Pair, interval time.Duration) *report.Market {
	mr := report.NewMarketRecorder(interval)
	lo, hi := e.index(from, to)
	var ev feed.Event
	for i := lo; i < hi; i++ {
		c := e.at(i)
		if c.kind != feed.KindTrade {
			continue
		}
		if len(pairs) > 0 && !slices.Contains(pairs, e.pairs[c.pair]) {
			continue
		}
		e.event(i, &ev)
		mr.Observe(&ev)
	}
	return mr.Market()
}
