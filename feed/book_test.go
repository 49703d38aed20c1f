package feed

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// lv is a book level from wire text.
func lv(price, qty string) BookLevel {
	return BookLevel{Price: MustFixed(price), Qty: MustFixed(qty)}
}

func snapshot(bids, asks []BookLevel) *BookUpdate {
	return &BookUpdate{Pair: "BTC/USD", Snapshot: true, Bids: bids, Asks: asks}
}

func update(bids, asks []BookLevel) *BookUpdate {
	return &BookUpdate{Pair: "BTC/USD", Bids: bids, Asks: asks}
}

// sideText renders one side best first as "price:qty" at wire precision, "r" marking a
// republished level.
func sideText(b *Book, side Side) string {
	parts := make([]string, b.Len(side))
	for i := range parts {
		l := b.Level(side, i)
		parts[i] = l.Price.String() + ":" + l.Qty.String()
		if l.Republish {
			parts[i] += "r"
		}
	}
	return strings.Join(parts, " ")
}

func bookText(b *Book) string {
	return "bids " + sideText(b, Buy) + " | asks " + sideText(b, Sell)
}

func mustApply(t *testing.T, b *Book, u *BookUpdate) {
	t.Helper()
	if err := b.Apply(u); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func TestBookSnapshotReplacesAndSorts(t *testing.T) {
	b := NewBook("BTC/USD", 10)
	mustApply(t, b, snapshot(
		[]BookLevel{lv("99.0", "1"), lv("101.0", "2"), lv("100.0", "3")},
		[]BookLevel{lv("103.0", "1"), lv("102.0", "2"), lv("104.0", "3")},
	))
	if got, want := bookText(b), "bids 101.0:2 100.0:3 99.0:1 | asks 102.0:2 103.0:1 104.0:3"; got != want {
		t.Fatalf("after snapshot:\n got %s\nwant %s", got, want)
	}
	// A second snapshot replaces everything, including levels it does not mention.
	mustApply(t, b, snapshot([]BookLevel{lv("50.5", "7")}, []BookLevel{lv("60.25", "8"), lv("60.5", "9")}))
	if got, want := bookText(b), "bids 50.5:7 | asks 60.25:8 60.5:9"; got != want {
		t.Fatalf("after second snapshot:\n got %s\nwant %s", got, want)
	}
	// An empty snapshot empties the book.
	mustApply(t, b, snapshot(nil, nil))
	if b.Len(Buy) != 0 || b.Len(Sell) != 0 {
		t.Fatalf("after empty snapshot: %s", bookText(b))
	}
	if _, _, ok := b.BestBid(); ok {
		t.Error("BestBid on an empty book: ok")
	}
	if _, _, ok := b.BestAsk(); ok {
		t.Error("BestAsk on an empty book: ok")
	}
}

func TestBookUpdates(t *testing.T) {
	b := NewBook("BTC/USD", 10)
	mustApply(t, b, snapshot(
		[]BookLevel{lv("100.0", "1.00000000"), lv("99.0", "2.00000000"), lv("98.0", "3.00000000")},
		[]BookLevel{lv("101.0", "1.00000000"), lv("102.0", "2.00000000")},
	))
	tests := []struct {
		name string
		u    *BookUpdate
		want string
	}{
		{"upsert existing", update([]BookLevel{lv("99.0", "5.50000000")}, nil),
			"bids 100.0:1.00000000 99.0:5.50000000 98.0:3.00000000 | asks 101.0:1.00000000 102.0:2.00000000"},
		{"insert middle", update(nil, []BookLevel{lv("101.5", "0.10000000")}),
			"bids 100.0:1.00000000 99.0:5.50000000 98.0:3.00000000 | asks 101.0:1.00000000 101.5:0.10000000 102.0:2.00000000"},
		{"insert best and worst", update([]BookLevel{lv("100.5", "1.0"), lv("97.0", "1.0")}, nil),
			"bids 100.5:1.0 100.0:1.00000000 99.0:5.50000000 98.0:3.00000000 97.0:1.0 | asks 101.0:1.00000000 101.5:0.10000000 102.0:2.00000000"},
		{"delete", update([]BookLevel{lv("100.0", "0.00000000")}, []BookLevel{lv("102.0", "0.00000000")}),
			"bids 100.5:1.0 99.0:5.50000000 98.0:3.00000000 97.0:1.0 | asks 101.0:1.00000000 101.5:0.10000000"},
		{"delete absent is a no-op", update([]BookLevel{lv("42.0", "0.00000000")}, []BookLevel{lv("500.0", "0")}),
			"bids 100.5:1.0 99.0:5.50000000 98.0:3.00000000 97.0:1.0 | asks 101.0:1.00000000 101.5:0.10000000"},
		{"same price twice, last wins", update([]BookLevel{lv("99.0", "1.0"), lv("99.0", "2.0")}, nil),
			"bids 100.5:1.0 99.0:2.0 98.0:3.00000000 97.0:1.0 | asks 101.0:1.00000000 101.5:0.10000000"},
		{"same price in other text, last text wins", update([]BookLevel{lv("99.00", "3.0"), lv("99.000", "4.0")}, nil),
			"bids 100.5:1.0 99.000:4.0 98.0:3.00000000 97.0:1.0 | asks 101.0:1.00000000 101.5:0.10000000"},
		{"insert then delete in one message", update([]BookLevel{lv("98.5", "1"), lv("98.5", "0")}, nil),
			"bids 100.5:1.0 99.000:4.0 98.0:3.00000000 97.0:1.0 | asks 101.0:1.00000000 101.5:0.10000000"},
		{"delete then re-add in one message", update(nil, []BookLevel{lv("101.0", "0"), lv("101.0", "9.9")}),
			"bids 100.5:1.0 99.000:4.0 98.0:3.00000000 97.0:1.0 | asks 101.0:9.9 101.5:0.10000000"},
		{"republish entry kept as sent", update(nil, []BookLevel{{Price: MustFixed("103.0"), Qty: MustFixed("1.5"), Republish: true}}),
			"bids 100.5:1.0 99.000:4.0 98.0:3.00000000 97.0:1.0 | asks 101.0:9.9 101.5:0.10000000 103.0:1.5r"},
		{"empty update", update(nil, nil),
			"bids 100.5:1.0 99.000:4.0 98.0:3.00000000 97.0:1.0 | asks 101.0:9.9 101.5:0.10000000 103.0:1.5r"},
	}
	for _, tt := range tests {
		mustApply(t, b, tt.u)
		if got := bookText(b); got != tt.want {
			t.Fatalf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
	p, q, ok := b.BestBid()
	if !ok || p.String() != "100.5" || q.String() != "1" {
		t.Errorf("BestBid = %s, %s, %v", p, q, ok)
	}
	p, q, ok = b.BestAsk()
	if !ok || p.String() != "101" || q.String() != "9.9" || p.Exponent() != -1 {
		t.Errorf("BestAsk = %s (exponent %d), %s, %v", p, p.Exponent(), q, ok)
	}
	if b.Bid(1) != b.Level(Buy, 1) || b.Ask(2) != b.Level(Sell, 2) || !b.Ask(2).Republish {
		t.Error("Bid/Ask disagree with Level")
	}
}

func TestBookTruncatesAfterWholeMessage(t *testing.T) {
	b := NewBook("BTC/USD", 3)
	mustApply(t, b, snapshot(
		[]BookLevel{lv("10", "1"), lv("9", "1"), lv("8", "1"), lv("7", "1")}, // 4 levels: the worst is cut
		[]BookLevel{lv("11", "1"), lv("12", "1"), lv("13", "1")},
	))
	if got, want := bookText(b), "bids 10:1 9:1 8:1 | asks 11:1 12:1 13:1"; got != want {
		t.Fatalf("snapshot beyond depth:\n got %s\nwant %s", got, want)
	}
	// An insert beyond the depth, then a delete that pulls it back in, in one message: the
	// level must survive, because Kraken truncates only after the whole message.
	mustApply(t, b, update([]BookLevel{lv("6", "2"), lv("9", "0")}, []BookLevel{lv("14", "2"), lv("11", "0")}))
	if got, want := bookText(b), "bids 10:1 8:1 6:2 | asks 12:1 13:1 14:2"; got != want {
		t.Fatalf("insert beyond depth then delete:\n got %s\nwant %s", got, want)
	}
	// The same two changes in two messages: the first is cut at once, so the second leaves
	// a hole (which Kraken fills with a republished level).
	mustApply(t, b, update([]BookLevel{lv("5", "3")}, nil))
	mustApply(t, b, update([]BookLevel{lv("8", "0")}, nil))
	if got, want := bookText(b), "bids 10:1 6:2 | asks 12:1 13:1 14:2"; got != want {
		t.Fatalf("two messages:\n got %s\nwant %s", got, want)
	}
	// A better level pushes the worst one out.
	mustApply(t, b, update(nil, []BookLevel{lv("11.5", "1")}))
	if got, want := bookText(b), "bids 10:1 6:2 | asks 11.5:1 12:1 13:1"; got != want {
		t.Fatalf("better ask:\n got %s\nwant %s", got, want)
	}
}

func TestBookDepthZeroKeepsAll(t *testing.T) {
	b := NewBook("BTC/USD", 0)
	var bids []BookLevel
	for i := range 1500 {
		bids = append(bids, lv(fmt.Sprintf("%d.5", 10000-i), "1"))
	}
	mustApply(t, b, snapshot(bids, nil))
	if b.Len(Buy) != 1500 {
		t.Fatalf("Len(Buy) = %d, want 1500", b.Len(Buy))
	}
	if b.Bid(0).Price.String() != "10000.5" || b.Bid(1499).Price.String() != "8501.5" {
		t.Errorf("ends: %s .. %s", b.Bid(0).Price, b.Bid(1499).Price)
	}
}

func TestBookScaleWidening(t *testing.T) {
	b := NewBook("XDG/USD", 10)
	mustApply(t, b, snapshot(
		[]BookLevel{lv("0.1", "1"), lv("0.3", "1")},
		[]BookLevel{lv("0.5", "1"), lv("0.7", "1")},
	))
	// A level with more decimals than anything so far lands between its neighbours …
	mustApply(t, b, update([]BookLevel{lv("0.25", "2"), lv("0.2999999", "3")}, []BookLevel{lv("0.6000001", "4")}))
	if got, want := bookText(b), "bids 0.3:1 0.2999999:3 0.25:2 0.1:1 | asks 0.5:1 0.6000001:4 0.7:1"; got != want {
		t.Fatalf("after widening:\n got %s\nwant %s", got, want)
	}
	// … and the old levels are still found by any spelling of their price.
	mustApply(t, b, update([]BookLevel{lv("0.30", "0"), lv("0.1000000", "5")}, []BookLevel{lv("0.7", "0")}))
	if got, want := bookText(b), "bids 0.2999999:3 0.25:2 0.1000000:5 | asks 0.5:1 0.6000001:4"; got != want {
		t.Fatalf("after deleting through other spellings:\n got %s\nwant %s", got, want)
	}
	// Integers and 12-decimal prices (v1 LUNA/EUR) side by side.
	mustApply(t, b, update([]BookLevel{lv("1", "1"), lv("0.000000000001", "1")}, nil))
	if got, want := sideText(b, Buy), "1:1 0.2999999:3 0.25:2 0.1000000:5 0.000000000001:1"; got != want {
		t.Fatalf("integers and 12 decimals:\n got %s\nwant %s", got, want)
	}
	// A snapshot starts again from its own precision.
	mustApply(t, b, snapshot([]BookLevel{lv("2", "1"), lv("3", "1")}, []BookLevel{lv("4", "1")}))
	if got, want := bookText(b), "bids 3:1 2:1 | asks 4:1"; got != want {
		t.Fatalf("after snapshot:\n got %s\nwant %s", got, want)
	}
}

func TestBookErrorsLeaveBookUnchanged(t *testing.T) {
	tests := []struct {
		name string
		u    *BookUpdate
	}{
		{"negative qty", update(nil, []BookLevel{lv("102.0", "1"), lv("103.0", "-1")})},
		{"negative qty after good bids", update([]BookLevel{lv("99.5", "1"), lv("98.0", "0")}, []BookLevel{lv("103.0", "-0.1")})},
		{"zero price", update([]BookLevel{lv("99.5", "1"), lv("0", "1")}, nil)},
		{"zero price with decimals", update(nil, []BookLevel{lv("0.000", "1")})},
		{"negative price", update([]BookLevel{lv("-99.0", "1")}, nil)},
		{"bad snapshot", snapshot([]BookLevel{lv("1", "1")}, []BookLevel{lv("2", "-1")})},
		{"price scale out of range", update([]BookLevel{{Price: Fixed{Mant: 1, Scale: 19}, Qty: MustFixed("1")}}, nil)},
		{"negative price scale", update([]BookLevel{{Price: Fixed{Mant: 1, Scale: -1}, Qty: MustFixed("1")}}, nil)},
		{"qty scale out of range", update([]BookLevel{{Price: MustFixed("1"), Qty: Fixed{Mant: 1, Scale: 40}}}, nil)},
		// The book holds 999999999999999999 at scale 0 (set up below); widening to 2
		// decimals would overflow.
		{"widening overflows the book", update(nil, []BookLevel{lv("1000.05", "1")})},
		{"price overflows at the needed scale", update([]BookLevel{lv("99.5", "1"), lv("99999999999999999", "1"), lv("0.01", "1")}, nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBook("BTC/USD", 10)
			mustApply(t, b, snapshot(
				[]BookLevel{lv("99.0", "1"), lv("98.0", "2")},
				[]BookLevel{lv("101.0", "1"), lv("102.0", "2")},
			))
			if tt.name == "widening overflows the book" {
				mustApply(t, b, snapshot(
					[]BookLevel{lv("99", "1"), lv("98.0", "2")},
					[]BookLevel{lv("101", "1"), lv("999999999999999999", "1")},
				))
			}
			before := bookText(b)
			err := b.Apply(tt.u)
			if err == nil {
				t.Fatalf("Apply accepted a bad level; book now %s", bookText(b))
			}
			if !errors.Is(err, ErrBadLevel) {
				t.Errorf("error %v is not ErrBadLevel", err)
			}
			if !strings.Contains(err.Error(), "BTC/USD") {
				t.Errorf("error %q does not name the pair", err)
			}
			if got := bookText(b); got != before {
				t.Errorf("book changed by a failed Apply:\n got %s\nwant %s", got, before)
			}
			// The book still works.
			mustApply(t, b, update([]BookLevel{lv("99.0", "0")}, nil))
			if b.Bid(0).Price.String() != "98.0" {
				t.Errorf("after a good update: %s", bookText(b))
			}
		})
	}
}

func TestBookCopyFrom(t *testing.T) {
	a := NewBook("ETH/USD", 5)
	mustApply(t, a, snapshot(
		[]BookLevel{lv("2000.10", "1"), lv("1999.50", "2")},
		[]BookLevel{lv("2000.20", "3")},
	))
	c := NewBook("OLD/USD", 50)
	mustApply(t, c, snapshot([]BookLevel{lv("1", "1"), lv("2", "1"), lv("3", "1")}, []BookLevel{lv("4", "1")}))
	c.CopyFrom(a)
	if c.Pair != "ETH/USD" || c.Depth != 5 || bookText(c) != bookText(a) {
		t.Fatalf("copy: %s %d %s, want %s", c.Pair, c.Depth, bookText(c), bookText(a))
	}
	want := bookText(a)
	// Changing the original does not reach the copy …
	mustApply(t, a, update([]BookLevel{lv("2000.10", "0"), lv("2000.15", "9")}, []BookLevel{lv("2000.25", "1")}))
	if got := bookText(c); got != want {
		t.Errorf("copy changed with the original:\n got %s\nwant %s", got, want)
	}
	// … and changing the copy does not reach the original, including its precision.
	wantA := bookText(a)
	mustApply(t, c, update([]BookLevel{lv("1999.505", "4")}, []BookLevel{lv("2000.20", "0")}))
	if got := bookText(a); got != wantA {
		t.Errorf("original changed with the copy:\n got %s\nwant %s", got, wantA)
	}
	if got, want := bookText(c), "bids 2000.10:1 1999.505:4 1999.50:2 | asks "; got != want {
		t.Errorf("copy after its own update:\n got %s\nwant %s", got, want)
	}
	// A zero Book can be the target.
	var z Book
	z.CopyFrom(a)
	if bookText(&z) != bookText(a) {
		t.Errorf("copy into zero Book: %s", bookText(&z))
	}
	mustApply(t, &z, update([]BookLevel{lv("2000.16", "1")}, nil))
	if z.Bid(0).Price.String() != "2000.16" {
		t.Errorf("zero-Book copy sorts wrongly: %s", bookText(&z))
	}
}

func TestBookZeroValueSortsBids(t *testing.T) {
	b := &Book{Pair: "BTC/USD", Depth: 2}
	mustApply(t, b, snapshot([]BookLevel{lv("1", "1"), lv("3", "1"), lv("2", "1")}, []BookLevel{lv("6", "1"), lv("4", "1"), lv("5", "1")}))
	if got, want := bookText(b), "bids 3:1 2:1 | asks 4:1 5:1"; got != want {
		t.Errorf("Book literal:\n got %s\nwant %s", got, want)
	}
}

func TestBookReset(t *testing.T) {
	b := NewBook("BTC/USD", 10)
	mustApply(t, b, snapshot([]BookLevel{lv("1.25", "1")}, []BookLevel{lv("2.5", "1")}))
	b.Reset()
	if b.Len(Buy) != 0 || b.Len(Sell) != 0 {
		t.Fatalf("after Reset: %s", bookText(b))
	}
	mustApply(t, b, update([]BookLevel{lv("3", "1"), lv("4", "1")}, nil))
	if got, want := sideText(b, Buy), "4:1 3:1"; got != want {
		t.Errorf("after Reset and update: %s, want %s", got, want)
	}
}

// refBook is the naive reference for FuzzBookApply: a map per side, sorted on demand.
type refBook struct {
	depth      int
	bids, asks map[int64]BookLevel // key: refKey(price)
}

// refKey is the price in units of 10^-4, which every fuzz price is a multiple of; it is
// computed here, not with Fixed.Rescale, to stay independent of the code under test.
func refKey(p Fixed) int64 {
	k := p.Mant
	for s := p.Scale; s < 4; s++ {
		k *= 10
	}
	return k
}

func (r *refBook) apply(u *BookUpdate) bool {
	for _, l := range slices.Concat(u.Bids, u.Asks) {
		if l.Price.Sign() <= 0 || l.Qty.Sign() < 0 {
			return false
		}
	}
	if u.Snapshot {
		clear(r.bids)
		clear(r.asks)
	}
	for _, s := range []struct {
		m  map[int64]BookLevel
		ls []BookLevel
	}{{r.bids, u.Bids}, {r.asks, u.Asks}} {
		for _, l := range s.ls {
			if l.Qty.IsZero() {
				delete(s.m, refKey(l.Price))
			} else {
				s.m[refKey(l.Price)] = l
			}
		}
	}
	if r.depth > 0 {
		for _, side := range []Side{Buy, Sell} {
			for _, l := range r.sorted(side)[min(r.depth, len(r.side(side))):] {
				delete(r.side(side), refKey(l.Price))
			}
		}
	}
	return true
}

func (r *refBook) side(s Side) map[int64]BookLevel {
	if s == Buy {
		return r.bids
	}
	return r.asks
}

func (r *refBook) sorted(s Side) []BookLevel {
	var out []BookLevel
	for _, l := range r.side(s) {
		out = append(out, l)
	}
	slices.SortFunc(out, func(a, b BookLevel) int {
		c := cmp.Compare(refKey(a.Price), refKey(b.Price))
		if s == Buy {
			return -c
		}
		return c
	})
	return out
}

// fuzzBookUpdates turns fuzz bytes into book messages over a small price grid, so that
// prices collide, come with different spellings and precisions, and sometimes are invalid.
func fuzzBookUpdates(data []byte) (depth int, us []*BookUpdate) {
	if len(data) == 0 {
		return 0, nil
	}
	depth = int(data[0] % 8)
	data = data[1:min(len(data), 3000)] // long inputs only slow the fuzzer down
	for len(data) > 0 {
		h := data[0]
		data = data[1:]
		u := &BookUpdate{Pair: "FUZZ/USD", Snapshot: h&7 == 0}
		n := int(h>>3) % 12
		for ; n > 0 && len(data) >= 3; n-- {
			a, p, q := data[0], data[1], data[2]
			data = data[3:]
			// Price: 1.0 … 32.0 in steps of 0.5, written with 1–3 decimals, or a finer
			// 4-decimal price next to it.
			mant := int64(p%64) + 2 // in halves
			price := Fixed{Mant: mant * 5, Scale: 1}
			switch (p >> 6) & 3 {
			case 1:
				price = Fixed{Mant: mant * 50, Scale: 2}
			case 2:
				price = Fixed{Mant: mant * 500, Scale: 3}
			case 3:
				price = Fixed{Mant: mant*5000 + 1, Scale: 4}
			}
			qty := Fixed{Mant: int64(q % 100), Scale: int32(q % 3)}
			switch q {
			case 255:
				qty.Mant = -1 // invalid: the whole message must be refused
			case 254:
				price = Fixed{Scale: 2} // invalid price 0.00
			}
			l := BookLevel{Price: price, Qty: qty, Republish: a&2 != 0}
			if a&1 == 0 {
				u.Bids = append(u.Bids, l)
			} else {
				u.Asks = append(u.Asks, l)
			}
		}
		us = append(us, u)
	}
	return depth, us
}

func FuzzBookApply(f *testing.F) {
	f.Add([]byte{3, 8, 0, 10, 5, 1, 12, 5, 1 << 3, 0, 10, 0})
	f.Add([]byte{2, 3 << 3, 0, 10, 5, 0, 11, 6, 0, 12, 7, 2 << 3, 0, 13, 1, 0, 11, 0})
	f.Add([]byte{0, 5 << 3, 1, 70, 1, 1, 134, 2, 1, 198, 3, 0, 6, 255, 1, 7, 254})
	f.Add([]byte{1, 4<<3 | 1, 0, 1, 1, 0, 65, 2, 1, 129, 3, 1, 193, 4})
	f.Fuzz(func(t *testing.T, data []byte) {
		depth, us := fuzzBookUpdates(data)
		b := NewBook("FUZZ/USD", depth)
		ref := &refBook{depth: depth, bids: map[int64]BookLevel{}, asks: map[int64]BookLevel{}}
		for i, u := range us {
			err := b.Apply(u)
			if ok := ref.apply(u); ok != (err == nil) {
				t.Fatalf("message %d: Apply error %v, reference accepts: %v", i, err, ok)
			}
			for _, side := range []Side{Buy, Sell} {
				want := ref.sorted(side)
				if b.Len(side) != len(want) {
					t.Fatalf("message %d side %v: %d levels, reference %d\nbook %s", i, side, b.Len(side), len(want), bookText(b))
				}
				for j := range want {
					if got := b.Level(side, j); got != want[j] {
						t.Fatalf("message %d side %v level %d: %+v, reference %+v", i, side, j, got, want[j])
					}
				}
			}
		}
	})
}

// benchBook returns a book of n levels per side (prices 10000.0 ± k) and the level prices.
func benchBook(b *testing.B, n int) *Book {
	bids := make([]BookLevel, n)
	asks := make([]BookLevel, n)
	for i := range n {
		bids[i] = BookLevel{Price: Fixed{Mant: int64(100000 - 10*i - 10), Scale: 1}, Qty: Fixed{Mant: 150000000, Scale: 8}}
		asks[i] = BookLevel{Price: Fixed{Mant: int64(100000 + 10*i + 10), Scale: 1}, Qty: Fixed{Mant: 150000000, Scale: 8}}
	}
	book := NewBook("BTC/USD", n)
	if err := book.Apply(&BookUpdate{Pair: book.Pair, Snapshot: true, Bids: bids, Asks: asks}); err != nil {
		b.Fatal(err)
	}
	return book
}

// BenchmarkBookApply applies one-level updates: a quantity change of an existing level, and
// an insert of a new level followed (next op) by its deletion, in the middle of the book and
// next to the best ask (where most real updates land).
func BenchmarkBookApply(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("levels=%d/change", n), func(b *testing.B) {
			book := benchBook(b, n)
			mid := int64(100000 - 10*(n/2))
			us := [2]BookUpdate{
				{Pair: book.Pair, Bids: []BookLevel{{Price: Fixed{Mant: mid, Scale: 1}, Qty: Fixed{Mant: 1, Scale: 8}}}},
				{Pair: book.Pair, Bids: []BookLevel{{Price: Fixed{Mant: mid, Scale: 1}, Qty: Fixed{Mant: 2, Scale: 8}}}},
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if err := book.Apply(&us[i&1]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		for _, at := range []struct {
			name string
			k    int // the new ask goes after the k-th ask
		}{{"mid", n / 2}, {"top", 1}} {
			b.Run(fmt.Sprintf("levels=%d/insert-delete-%s", n, at.name), func(b *testing.B) {
				book := benchBook(b, n)
				p := int64(100000+10*at.k) + 5 // between two asks
				us := [2]BookUpdate{
					{Pair: book.Pair, Asks: []BookLevel{{Price: Fixed{Mant: p, Scale: 1}, Qty: Fixed{Mant: 1, Scale: 8}}}},
					{Pair: book.Pair, Asks: []BookLevel{{Price: Fixed{Mant: p, Scale: 1}, Qty: Fixed{Mant: 0, Scale: 8}}}},
				}
				b.ReportAllocs()
				i := 0
				for b.Loop() {
					if err := book.Apply(&us[i&1]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		}
	}
}
