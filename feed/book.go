package feed

import (
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
)

// BookLevel is one price level as the exchange sent it. Qty zero in an update deletes the
// level. Republish marks a Kraken v1 "r" entry (a level re-sent because a deletion pulled it
// back into the subscribed depth); it is applied like any other level.
type BookLevel struct {
	Price     Fixed
	Qty       Fixed
	Republish bool
}

// BookUpdate is a snapshot (replace the book) or an update (apply levels in order) for one pair.
type BookUpdate struct {
	Pair        Pair
	Snapshot    bool
	Bids        []BookLevel
	Asks        []BookLevel
	Checksum    uint32 // Kraken's CRC32 of the top 10 levels after this message
	HasChecksum bool
	Time        time.Time
	// Depth is the subscribed depth when the message says it (Kraken v1 channel names such as
	// "book-25"); 0 when it does not (v2 says it only in the subscription ack).
	Depth int
}

// Book is an L2 order book for one pair, maintained from snapshots and updates and truncated
// to its depth after every message, as Kraken's checksum requires. Levels are kept sorted in
// place (best first) with their wire precision, so applying an update neither sorts nor
// allocates per level.
//
// A Book literal (&Book{Pair: p, Depth: 10}) works like NewBook without preallocated
// storage. A Book is not safe for concurrent use.
type Book struct {
	Pair  Pair
	Depth int // levels kept per side after each message; 0 keeps everything

	bids, asks bookSide
}

type bookLevel struct {
	key int64 // price at the side's common scale, for ordering
	BookLevel
}

type bookSide struct {
	lv    []bookLevel
	scale int32 // common price scale of key
	desc  bool  // bids: best (highest) first
}

// NewBook returns an empty book that keeps depth levels per side (0 keeps everything).
func NewBook(pair Pair, depth int) *Book {
	b := &Book{Pair: pair, Depth: depth}
	b.bids.desc = true
	if depth > 0 {
		b.bids.lv = make([]bookLevel, 0, 2*depth+8)
		b.asks.lv = make([]bookLevel, 0, 2*depth+8)
	}
	return b
}

// Reset empties both sides, keeping their capacity.
func (b *Book) Reset() {
	b.bids.lv = b.bids.lv[:0]
	b.asks.lv = b.asks.lv[:0]
	b.bids.scale, b.asks.scale = 0, 0
}

// ErrBadLevel is wrapped by Apply's errors for levels that cannot be part of a book.
var ErrBadLevel = errors.New("feed: bad book level")

// Apply applies a snapshot or an update, then truncates both sides to the book's depth. On
// error the book is unchanged.
func (b *Book) Apply(u *BookUpdate) error {
	// NewBook sets the bids' order, but a Book literal (&Book{Depth: 10}) does not: without
	// this its bids would be kept worst first.
	b.bids.desc = true
	bidScale, err := b.bids.check(u.Bids, u.Snapshot)
	if err != nil {
		return fmt.Errorf("%s bids: %w", u.Pair, err)
	}
	askScale, err := b.asks.check(u.Asks, u.Snapshot)
	if err != nil {
		return fmt.Errorf("%s asks: %w", u.Pair, err)
	}
	if u.Snapshot {
		b.Reset()
	}
	b.bids.setScale(bidScale)
	b.asks.setScale(askScale)
	b.bids.apply(u.Bids)
	b.asks.apply(u.Asks)
	if b.Depth > 0 {
		if len(b.bids.lv) > b.Depth {
			b.bids.lv = b.bids.lv[:b.Depth]
		}
		if len(b.asks.lv) > b.Depth {
			b.asks.lv = b.asks.lv[:b.Depth]
		}
	}
	return nil
}

// check validates levels and returns the price scale the side needs to hold them, so that
// setScale and apply cannot fail. It does not modify the side.
func (s *bookSide) check(levels []BookLevel, snapshot bool) (int32, error) {
	need := s.scale
	if snapshot {
		need = 0
	}
	for i := range levels {
		l := &levels[i]
		if l.Price.Sign() <= 0 {
			return 0, fmt.Errorf("%w: price %s", ErrBadLevel, l.Price)
		}
		if l.Qty.Sign() < 0 {
			return 0, fmt.Errorf("%w: quantity %s", ErrBadLevel, l.Qty)
		}
		if l.Price.Scale < 0 || l.Price.Scale > MaxScale || l.Qty.Scale < 0 || l.Qty.Scale > MaxScale {
			return 0, fmt.Errorf("%w: scale out of range", ErrBadLevel)
		}
		need = max(need, l.Price.Scale)
	}
	for i := range levels {
		if _, ok := levels[i].Price.Rescale(need); !ok {
			return 0, fmt.Errorf("%w: price %s overflows at %d decimals", ErrBadLevel, levels[i].Price, need)
		}
	}
	if !snapshot && need > s.scale {
		for i := range s.lv {
			if _, ok := s.lv[i].Price.Rescale(need); !ok {
				return 0, fmt.Errorf("%w: book price %s overflows at %d decimals", ErrBadLevel, s.lv[i].Price, need)
			}
		}
	}
	return need, nil
}

// setScale re-keys the side at a wider scale; check has proven it fits.
func (s *bookSide) setScale(scale int32) {
	if scale == s.scale {
		return
	}
	s.scale = scale
	for i := range s.lv {
		k, _ := s.lv[i].Price.Rescale(scale)
		s.lv[i].key = k.Mant
	}
}

func (s *bookSide) apply(levels []BookLevel) {
	for i := range levels {
		l := levels[i]
		k, _ := l.Price.Rescale(s.scale)
		pos, found := s.search(k.Mant)
		switch {
		case l.Qty.IsZero():
			if found {
				s.lv = append(s.lv[:pos], s.lv[pos+1:]...)
			}
		case found:
			s.lv[pos].BookLevel = l
		default:
			s.lv = append(s.lv, bookLevel{})
			copy(s.lv[pos+1:], s.lv[pos:])
			s.lv[pos] = bookLevel{key: k.Mant, BookLevel: l}
		}
	}
}

// search returns the index of key, or where it would be inserted.
func (s *bookSide) search(key int64) (int, bool) {
	lo, hi := 0, len(s.lv)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		k := s.lv[m].key
		if k == key {
			return m, true
		}
		if (k > key) == s.desc {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo, false
}

// Len returns the number of levels on a side.
func (b *Book) Len(side Side) int {
	if side == Buy {
		return len(b.bids.lv)
	}
	return len(b.asks.lv)
}

// Level returns the i-th best level of a side (0 is the best): bids for Buy, asks for Sell.
func (b *Book) Level(side Side, i int) BookLevel {
	if side == Buy {
		return b.bids.lv[i].BookLevel
	}
	return b.asks.lv[i].BookLevel
}

// Bid returns the i-th best bid.
func (b *Book) Bid(i int) BookLevel { return b.bids.lv[i].BookLevel }

// Ask returns the i-th best ask.
func (b *Book) Ask(i int) BookLevel { return b.asks.lv[i].BookLevel }

// BestBid returns the best bid price and quantity; ok is false when there are no bids.
func (b *Book) BestBid() (price, qty decimal.Decimal, ok bool) {
	if len(b.bids.lv) == 0 {
		return decimal.Decimal{}, decimal.Decimal{}, false
	}
	l := b.bids.lv[0]
	return l.Price.Decimal(), l.Qty.Decimal(), true
}

// BestAsk returns the best ask price and quantity; ok is false when there are no asks.
func (b *Book) BestAsk() (price, qty decimal.Decimal, ok bool) {
	if len(b.asks.lv) == 0 {
		return decimal.Decimal{}, decimal.Decimal{}, false
	}
	l := b.asks.lv[0]
	return l.Price.Decimal(), l.Qty.Decimal(), true
}

// CopyFrom makes b an independent copy of o, reusing b's storage.
func (b *Book) CopyFrom(o *Book) {
	b.Pair, b.Depth = o.Pair, o.Depth
	b.bids.scale, b.bids.desc = o.bids.scale, o.bids.desc
	b.asks.scale, b.asks.desc = o.asks.scale, o.asks.desc
	b.bids.lv = append(b.bids.lv[:0], o.bids.lv...)
	b.asks.lv = append(b.asks.lv[:0], o.asks.lv...)
}
