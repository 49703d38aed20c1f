package synth

import (
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// Verifier checks that a stream of events is a consistent market in the sense this package
// guarantees. It replays the events into one feed.Book per pair and checks, event by event:
//
//   - time never goes backwards, Recv equals Time, every event is a trade or a book event of
//     a configured pair, and each pair starts with exactly one snapshot;
//   - every price is positive, on the tick and has exactly the pair's price decimals; every
//     quantity is on the lot with exactly the lot decimals, positive (zero only as a delete
//     in an update); an update names a price at most once per side;
//   - the book is never crossed (best bid < best ask) and holds at most depth levels a side;
//   - a trade prints at the touch its taker takes (a buy at the best ask, a sell at the best
//     bid), for at most the touch's quantity, with the next per-pair trade id (from 1), and
//     the pair's next event is the book update that takes exactly that quantity off the level.
//
// A Verifier is not safe for concurrent use.
type Verifier struct {
	pairs  map[feed.Pair]*verifyPair
	last   time.Time
	events int
}

type verifyPair struct {
	params
	book    *feed.Book
	started bool
	tradeID uint64
	// pending is the consumption the last trade requires of the next update.
	pending      bool
	pendingBid   bool
	pendingPrice feed.Fixed
	pendingLeft  int64 // quantity mantissa expected at that price afterwards (0: gone)
	seen         map[int64]bool
}

// NewVerifier returns a Verifier for the market cfg describes.
func NewVerifier(cfg Config) (*Verifier, error) {
	ps, _, err := validate(&cfg)
	if err != nil {
		return nil, err
	}
	v := &Verifier{pairs: make(map[feed.Pair]*verifyPair, len(ps))}
	for _, p := range ps {
		v.pairs[p.info.Pair] = &verifyPair{params: p, book: feed.NewBook(p.info.Pair, 0), seen: map[int64]bool{}}
	}
	return v, nil
}

// Events returns the number of events checked so far.
func (v *Verifier) Events() int { return v.events }

// Book returns the verifier's replayed book of a pair (nil for an unknown pair). It is the
// Verifier's own: read it, don't change it.
func (v *Verifier) Book(pair feed.Pair) *feed.Book {
	if p := v.pairs[pair]; p != nil {
		return p.book
	}
	return nil
}

// Check checks the next event. The error names the event's position in the stream.
func (v *Verifier) Check(ev *feed.Event) error {
	n := v.events
	v.events++
	if err := v.check(ev); err != nil {
		return fmt.Errorf("synth: event %d (%s %s at %s): %w", n, ev.Kind, ev.Pair, ev.Time.Format(time.RFC3339Nano), err)
	}
	return nil
}

func (v *Verifier) check(ev *feed.Event) error {
	if ev.Time.Before(v.last) {
		return fmt.Errorf("time goes back from %s", v.last.Format(time.RFC3339Nano))
	}
	v.last = ev.Time
	if !ev.Recv.Equal(ev.Time) {
		return fmt.Errorf("recv %s differs from time", ev.Recv)
	}
	p := v.pairs[ev.Pair]
	if p == nil {
		return fmt.Errorf("unknown pair")
	}
	switch ev.Kind {
	case feed.KindBook:
		return p.checkBook(ev)
	case feed.KindTrade:
		return p.checkTrade(ev)
	}
	return fmt.Errorf("unexpected kind")
}

func (p *verifyPair) checkPrice(f feed.Fixed) error {
	if f.Scale != p.pd || f.Mant <= 0 || f.Mant%p.tickMant != 0 {
		return fmt.Errorf("price %s is not a positive multiple of the tick at %d decimals", f, p.pd)
	}
	return nil
}

func (p *verifyPair) checkQty(f feed.Fixed, zeroOK bool) error {
	if f.Scale != p.ld || f.Mant < 0 || (f.Mant == 0 && !zeroOK) || f.Mant%p.lotMant != 0 {
		return fmt.Errorf("quantity %s is not a positive multiple of the lot at %d decimals", f, p.ld)
	}
	return nil
}

func (p *verifyPair) checkLevels(what string, lv []feed.BookLevel, snapshot bool) error {
	clear(p.seen)
	for i, l := range lv {
		if err := p.checkPrice(l.Price); err != nil {
			return fmt.Errorf("%s[%d]: %w", what, i, err)
		}
		if err := p.checkQty(l.Qty, !snapshot); err != nil {
			return fmt.Errorf("%s[%d]: %w", what, i, err)
		}
		if p.seen[l.Price.Mant] {
			return fmt.Errorf("%s[%d]: price %s listed twice", what, i, l.Price)
		}
		p.seen[l.Price.Mant] = true
	}
	return nil
}

func (p *verifyPair) checkBook(ev *feed.Event) error {
	u := ev.Book
	if u == nil {
		return fmt.Errorf("book event without payload")
	}
	if u.Pair != ev.Pair || !u.Time.Equal(ev.Time) {
		return fmt.Errorf("payload pair %s / time %s differ from the event's", u.Pair, u.Time)
	}
	if u.Snapshot == p.started {
		if u.Snapshot {
			return fmt.Errorf("second snapshot")
		}
		return fmt.Errorf("update before the snapshot")
	}
	p.started = true
	if len(u.Bids)+len(u.Asks) == 0 {
		return fmt.Errorf("empty update")
	}
	if err := p.checkLevels("bids", u.Bids, u.Snapshot); err != nil {
		return err
	}
	if err := p.checkLevels("asks", u.Asks, u.Snapshot); err != nil {
		return err
	}
	if err := p.book.Apply(u); err != nil {
		return err
	}
	b := p.book
	if b.Len(feed.Buy) > 0 && b.Len(feed.Sell) > 0 && b.Bid(0).Price.Cmp(b.Ask(0).Price) >= 0 {
		return fmt.Errorf("crossed book: bid %s >= ask %s", b.Bid(0).Price, b.Ask(0).Price)
	}
	if b.Len(feed.Buy) > p.depth || b.Len(feed.Sell) > p.depth {
		return fmt.Errorf("book has %d bids and %d asks; depth is %d", b.Len(feed.Buy), b.Len(feed.Sell), p.depth)
	}
	if p.pending {
		p.pending = false
		var left int64
		side := feed.Sell
		if p.pendingBid {
			side = feed.Buy
		}
		for i := range b.Len(side) {
			if l := b.Level(side, i); l.Price.Cmp(p.pendingPrice) == 0 {
				left = l.Qty.Mant
			}
		}
		if left != p.pendingLeft {
			return fmt.Errorf("after the trade the level %s holds %s; want %s", p.pendingPrice,
				feed.Fixed{Mant: left, Scale: p.ld}, feed.Fixed{Mant: p.pendingLeft, Scale: p.ld})
		}
	}
	return nil
}

func (p *verifyPair) checkTrade(ev *feed.Event) error {
	t := &ev.Trade
	if p.pending {
		return fmt.Errorf("trade %d follows a trade whose consumption was not shown", t.ID)
	}
	if !p.started {
		return fmt.Errorf("trade before the snapshot")
	}
	if t.Pair != ev.Pair || !t.Time.Equal(ev.Time) {
		return fmt.Errorf("trade pair %s / time %s differ from the event's", t.Pair, t.Time)
	}
	if t.ID != p.tradeID+1 {
		return fmt.Errorf("trade id %d; want %d", t.ID, p.tradeID+1)
	}
	p.tradeID = t.ID
	if t.OrdType != feed.OrdLimit && t.OrdType != feed.OrdMarket {
		return fmt.Errorf("order type %d", t.OrdType)
	}
	price, ok := feed.FixedFromDecimal(t.Price)
	if !ok {
		return fmt.Errorf("price %s does not fit", t.Price)
	}
	if err := p.checkPrice(price); err != nil {
		return err
	}
	qty, ok := feed.FixedFromDecimal(t.Qty)
	if !ok {
		return fmt.Errorf("quantity %s does not fit", t.Qty)
	}
	if err := p.checkQty(qty, false); err != nil {
		return err
	}
	var touch feed.Side // the side of the book the taker takes
	switch t.Side {
	case feed.Buy:
		touch = feed.Sell
	case feed.Sell:
		touch = feed.Buy
	default:
		return fmt.Errorf("side %d", t.Side)
	}
	if p.book.Len(touch) == 0 {
		return fmt.Errorf("%s trade against an empty side", t.Side)
	}
	l := p.book.Level(touch, 0)
	if l.Price.Cmp(price) != 0 {
		return fmt.Errorf("%s trade at %s; the touch is %s", t.Side, price, l.Price)
	}
	lq, ok := l.Qty.Rescale(p.ld)
	if !ok || qty.Mant > lq.Mant {
		return fmt.Errorf("trade of %s exceeds the touch's %s", qty, l.Qty)
	}
	p.pending, p.pendingBid, p.pendingPrice, p.pendingLeft = true, touch == feed.Buy, l.Price, lq.Mant-qty.Mant
	return nil
}
