package synth

import (
	"math"
	"slices"

	"github.com/papertrade/papertrade/feed"
)

// Market generates a multi-pair market. Create it with New; advance it with Next or run it
// as a feed.Source with Source.
//
// A Market is not safe for concurrent use: one goroutine drives it.
type Market struct {
	pairs  []*pairModel // sorted by pair name: ties in time go to the first name
	arena  arena
	trades uint64
}

// New validates cfg, applies its defaults and returns the market positioned before its
// first events (the initial snapshots). Errors wrap ErrConfig and name the offending pair.
func New(cfg Config) (*Market, error) {
	ps, start, err := validate(&cfg)
	if err != nil {
		return nil, err
	}
	m := &Market{pairs: make([]*pairModel, len(ps))}
	for i, p := range ps {
		m.pairs[i] = newPairModel(p, cfg.Seed, start)
	}
	slices.SortFunc(m.pairs, func(a, b *pairModel) int {
		switch {
		case a.pair < b.pair:
			return -1
		case a.pair > b.pair:
			return 1
		}
		return 0
	})
	return m, nil
}

// Next appends the market's next step to dst and returns it. A step belongs to the pair
// whose next step is earliest (ties: the smaller pair name) and is one of:
//   - the pair's initial book snapshot (each pair's first step, at the start time);
//   - a taker order: one or more trades, each followed by the book update that consumes
//     the traded quantity at the touch, then (usually) an update that moves and refills
//     the book;
//   - a book-only update.
//
// All events of a step carry the same time. Next never returns an empty step. The events
// are new: the Market never touches them again, so they may be sent to other goroutines.
func (m *Market) Next(dst []feed.Event) []feed.Event {
	dst, _ = m.next(dst, math.MaxInt)
	return dst
}

func (m *Market) next(dst []feed.Event, maxTrades int) ([]feed.Event, int) {
	p := m.pairs[0]
	for _, q := range m.pairs[1:] {
		if q.tns < p.tns {
			p = q
		}
	}
	dst, n := p.step(dst, maxTrades, &m.arena)
	m.trades += uint64(n)
	return dst, n
}

// Trades returns the number of trades generated so far, over all pairs.
func (m *Market) Trades() uint64 { return m.trades }

// Pairs returns the market's pairs in name order.
func (m *Market) Pairs() []feed.Pair {
	out := make([]feed.Pair, len(m.pairs))
	for i, p := range m.pairs {
		out[i] = p.pair
	}
	return out
}

// Book returns a copy of a pair's current book (the state after every event Next has
// returned so far), with Depth set to the pair's depth; nil for an unknown pair.
func (m *Market) Book(pair feed.Pair) *feed.Book {
	for _, p := range m.pairs {
		if p.pair == pair {
			return p.book()
		}
	}
	return nil
}

// Info returns the pair information a pair was configured with; ok is false for an
// unknown pair.
func (m *Market) Info(pair feed.Pair) (info feed.PairInfo, ok bool) {
	for _, p := range m.pairs {
		if p.pair == pair {
			return p.info, true
		}
	}
	return feed.PairInfo{}, false
}

// arena hands out book updates and levels from large blocks, so that emitting a book event
// costs a fraction of an allocation. Memory is never reused: once handed out, an update
// belongs to its event, and a block is freed by the GC when no event refers to it.
type arena struct {
	ups []feed.BookUpdate
	lvs []feed.BookLevel
}

const (
	arenaUpdates = 128
	arenaLevels  = 2048
)

func (a *arena) update() *feed.BookUpdate {
	if len(a.ups) == 0 {
		a.ups = make([]feed.BookUpdate, arenaUpdates)
	}
	u := &a.ups[0]
	a.ups = a.ups[1:]
	return u
}

// levels returns n levels whose capacity is exactly n, so that appending to one update's
// levels cannot overwrite another's.
func (a *arena) levels(n int) []feed.BookLevel {
	if n > len(a.lvs) {
		a.lvs = make([]feed.BookLevel, max(arenaLevels, n))
	}
	l := a.lvs[:n:n]
	a.lvs = a.lvs[n:]
	return l
}
