package feedtest

import (
	"errors"
	"fmt"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// Checker holds a stream of events, one at a time and in order, to the rules every source's
// output obeys (see the package doc). The zero value is ready to use; set the fields before
// the first event. A Checker is not safe for concurrent use.
type Checker struct {
	// BookDepth is the depth the checker keeps each pair's book at (0: every level). Set it
	// to the source's subscribed depth when VerifyBook checks something that depends on
	// truncation, such as Kraken's checksum of the top levels.
	BookDepth int
	// VerifyBook, when set, checks each pair's book after every book event that applied
	// (the book is the checker's, read-only, valid during the call).
	VerifyBook func(b *feed.Book, u *feed.BookUpdate) error

	n        int
	lastRecv time.Time
	pairs    map[feed.Pair]*pairState
}

type pairState struct {
	lastID    uint64    // last trade id delivered (0: none yet, or the source has none)
	lastTrade time.Time // last trade time delivered
	gapFrom   uint64    // a reported trade gap's FromID..gapTo that the next trade must follow
	gapTo     uint64
	book      *feed.Book
	live      bool // a snapshot applied and no KindGap for the book since
}

// Events returns how many events the checker has seen.
func (c *Checker) Events() int { return c.n }

func (c *Checker) pair(p feed.Pair) *pairState {
	if c.pairs == nil {
		c.pairs = map[feed.Pair]*pairState{}
	}
	ps := c.pairs[p]
	if ps == nil {
		ps = &pairState{}
		c.pairs[p] = ps
	}
	return ps
}

// Event checks the next event of the stream and returns what it breaks, or nil. The event is
// read, not kept.
func (c *Checker) Event(e *feed.Event) error {
	i := c.n
	c.n++
	if err := c.event(e); err != nil {
		return fmt.Errorf("event %d (%s %s conn %d recv %s): %w", i, e.Kind, e.Pair, e.Conn, e.Recv.Format(time.RFC3339Nano), err)
	}
	return nil
}

func (c *Checker) event(e *feed.Event) error {
	if e.Seq != 0 {
		return fmt.Errorf("stamped Seq %d: a source leaves Seq 0, the engine's sequencer stamps it", e.Seq)
	}
	if err := payload(e); err != nil {
		return err
	}
	if !e.Recv.IsZero() {
		if e.Recv.Before(c.lastRecv) {
			return fmt.Errorf("receive time went back from %s: a source sends events in the order they were received", c.lastRecv.Format(time.RFC3339Nano))
		}
		c.lastRecv = e.Recv
	}
	switch e.Kind {
	case feed.KindTrade:
		return c.trade(e)
	case feed.KindGap:
		return c.gap(e)
	case feed.KindBook:
		return c.book(e)
	}
	return nil
}

// payload checks that exactly the payload e.Kind names is set and names e's pair.
func payload(e *feed.Event) error {
	set := map[string]bool{
		"Book": e.Book != nil, "Ticker": e.Ticker != nil, "Candle": e.Candle != nil, "Spread": e.Spread != nil,
		"Status": e.Status != nil, "Instrument": e.Instrument != nil, "Ack": e.Ack != nil, "Gap": e.Gap != nil,
	}
	var want string
	var pair feed.Pair
	switch e.Kind {
	case feed.KindTrade:
		pair = e.Trade.Pair
	case feed.KindBook:
		want = "Book"
		if e.Book != nil {
			pair = e.Book.Pair
		}
	case feed.KindTicker:
		want = "Ticker"
		if e.Ticker != nil {
			pair = e.Ticker.Pair
		}
	case feed.KindCandle:
		want = "Candle"
		if e.Candle != nil {
			pair = e.Candle.Pair
		}
	case feed.KindSpread:
		want = "Spread"
		if e.Spread != nil {
			pair = e.Spread.Pair
		}
	case feed.KindStatus:
		want = "Status"
	case feed.KindInstrument:
		want = "Instrument"
	case feed.KindAck, feed.KindPong, feed.KindError:
		want = "Ack"
	case feed.KindGap:
		want = "Gap"
	case feed.KindHeartbeat:
	default:
		return fmt.Errorf("kind %d is not one of feed's kinds", e.Kind)
	}
	// Payload names are checked in a fixed order, so the message does not depend on map order.
	for _, name := range [...]string{"Book", "Ticker", "Candle", "Spread", "Status", "Instrument", "Ack", "Gap"} {
		if set[name] != (name == want) {
			if set[name] {
				return fmt.Errorf("payload Event.%s is set on a %s event: exactly the payload the Kind names is set", name, e.Kind)
			}
			return fmt.Errorf("payload Event.%s is nil on a %s event", name, e.Kind)
		}
	}
	if e.Kind != feed.KindTrade && e.Trade != (feed.Trade{}) {
		return fmt.Errorf("payload Event.Trade is set on a %s event: exactly the payload the Kind names is set", e.Kind)
	}
	switch e.Kind {
	case feed.KindTrade, feed.KindBook, feed.KindTicker, feed.KindCandle, feed.KindSpread:
		if pair == "" {
			return fmt.Errorf("the %s payload names no pair", e.Kind)
		}
		if e.Pair != pair {
			return fmt.Errorf("event pair %q but the %s payload's pair is %q", e.Pair, e.Kind, pair)
		}
	}
	return nil
}

func (c *Checker) trade(e *feed.Event) error {
	t := &e.Trade
	if t.Side != feed.Buy && t.Side != feed.Sell {
		return fmt.Errorf("trade side %d is neither buy nor sell", t.Side)
	}
	if t.Price.Sign() <= 0 || t.Qty.Sign() <= 0 {
		return fmt.Errorf("trade %s @ %s: price and quantity must be positive", t.Qty, t.Price)
	}
	ps := c.pair(t.Pair)
	if !t.Time.IsZero() {
		if t.Time.Before(ps.lastTrade) {
			return fmt.Errorf("trade time %s is before the pair's previous trade (%s)", t.Time.Format(time.RFC3339Nano), ps.lastTrade.Format(time.RFC3339Nano))
		}
		ps.lastTrade = t.Time
	}
	if t.ID == 0 {
		return nil
	}
	defer func() { ps.lastID, ps.gapFrom, ps.gapTo = t.ID, 0, 0 }()
	switch {
	case ps.gapTo != 0:
		if t.ID != ps.gapTo+1 {
			return fmt.Errorf("trade id %d after a gap reported as ids %d..%d: want %d", t.ID, ps.gapFrom, ps.gapTo, ps.gapTo+1)
		}
	case ps.lastID == 0:
	case t.ID <= ps.lastID:
		return fmt.Errorf("trade id %d after %d: a pair's trade ids only go up (duplicates are dropped)", t.ID, ps.lastID)
	case t.ID > ps.lastID+1:
		return fmt.Errorf("trade ids jump from %d to %d with no KindGap reporting the %d missing", ps.lastID, t.ID, t.ID-ps.lastID-1)
	}
	return nil
}

func (c *Checker) gap(e *feed.Event) error {
	g := e.Gap
	if g.Channel == "" || g.Reason == "" {
		return fmt.Errorf("gap %+v: a gap says its channel and why", *g)
	}
	if !g.From.IsZero() && !g.To.IsZero() && g.To.Before(g.From) {
		return fmt.Errorf("gap window %s..%s ends before it starts", g.From.Format(time.RFC3339Nano), g.To.Format(time.RFC3339Nano))
	}
	if g.FromID != 0 || g.ToID != 0 {
		if g.FromID == 0 || g.ToID < g.FromID {
			return fmt.Errorf("gap ids %d..%d are not a range", g.FromID, g.ToID)
		}
		if g.Missing != g.ToID-g.FromID+1 {
			return fmt.Errorf("gap ids %d..%d are %d trades, Missing says %d", g.FromID, g.ToID, g.ToID-g.FromID+1, g.Missing)
		}
	}
	if e.Pair == "" {
		return nil
	}
	ps := c.pair(e.Pair)
	switch g.Channel {
	case "trade":
		if g.FromID != 0 {
			if ps.lastID != 0 && g.FromID != ps.lastID+1 {
				return fmt.Errorf("gap ids %d..%d do not start after the pair's last trade id %d", g.FromID, g.ToID, ps.lastID)
			}
			ps.gapFrom, ps.gapTo = g.FromID, g.ToID
		}
	case "book":
		ps.live = false // stale: the next book event must be a snapshot
	}
	return nil
}

func (c *Checker) book(e *feed.Event) error {
	u := e.Book
	ps := c.pair(u.Pair)
	if !u.Snapshot && !ps.live {
		if ps.book == nil {
			return errors.New("a book update before the pair's first snapshot: books are delivered only once verified")
		}
		return errors.New("a book update while the pair's book is stale (a KindGap for it, no snapshot since): a stale book's updates are withheld")
	}
	for _, side := range [2][]feed.BookLevel{u.Bids, u.Asks} {
		for _, l := range side {
			if l.Price.Sign() <= 0 || l.Qty.Sign() < 0 || (u.Snapshot && l.Qty.Sign() == 0) {
				return fmt.Errorf("book level %s x %s: prices are positive, quantities positive (zero only to delete in an update)", l.Price, l.Qty)
			}
		}
	}
	if ps.book == nil {
		ps.book = feed.NewBook(u.Pair, c.BookDepth)
	}
	if err := ps.book.Apply(u); err != nil {
		ps.live = false
		return fmt.Errorf("the book update does not apply: %w", err)
	}
	ps.live = true
	if c.VerifyBook != nil {
		if err := c.VerifyBook(ps.book, u); err != nil {
			return fmt.Errorf("book does not verify: %w", err)
		}
	}
	return nil
}

// maxErrors bounds the violations reported for one stream: the first ones explain the rest.
const maxErrors = 20

// Check holds evs, in order, to the stream rules (a zero Checker) and returns every
// violation found, up to 20, joined; nil when the stream conforms.
func Check(evs []feed.Event) error {
	var c Checker
	var errs []error
	for i := range evs {
		if err := c.Event(&evs[i]); err != nil {
			errs = append(errs, err)
			if len(errs) == maxErrors {
				errs = append(errs, fmt.Errorf("(stopped after %d violations)", maxErrors))
				break
			}
		}
	}
	return errors.Join(errs...)
}
