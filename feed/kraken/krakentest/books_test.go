package krakentest_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// parsedBook is a book frame parsed independently of the codec under test (encoding/json
// with numbers kept as text), so the server is checked against Kraken's documented shapes.
type parsedBook struct {
	pair     string // as on the wire
	channel  string // v1 channelName (book-10); "book" on v2
	snapshot bool
	bids     []feed.BookLevel
	asks     []feed.BookLevel
	ck       uint32
	hasCk    bool
}

func parseBookFrame(t testing.TB, api feed.API, b []byte) (parsedBook, bool) {
	t.Helper()
	if api == feed.APIV2 {
		return parseV2Book(t, b)
	}
	return parseV1Book(t, b)
}

func parseV2Book(t testing.TB, b []byte) (parsedBook, bool) {
	if !bytes.HasPrefix(b, []byte(`{"channel":"book"`)) {
		return parsedBook{}, false
	}
	var msg struct {
		Type string
		Data []struct {
			Symbol     string
			Bids, Asks []struct{ Price, Qty json.Number }
			Checksum   *uint32
		}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&msg); err != nil || len(msg.Data) != 1 {
		t.Fatalf("v2 book frame %s: %v", b, err)
	}
	x := msg.Data[0]
	pb := parsedBook{pair: x.Symbol, channel: "book", snapshot: msg.Type == "snapshot"}
	conv := func(in []struct{ Price, Qty json.Number }) []feed.BookLevel {
		out := []feed.BookLevel{}
		for _, l := range in {
			out = append(out, feed.BookLevel{Price: feed.MustFixed(l.Price.String()), Qty: feed.MustFixed(l.Qty.String())})
		}
		return out
	}
	pb.bids, pb.asks = conv(x.Bids), conv(x.Asks)
	if x.Checksum != nil {
		pb.ck, pb.hasCk = *x.Checksum, true
	}
	return pb, true
}

func parseV1Book(t testing.TB, b []byte) (parsedBook, bool) {
	if len(b) == 0 || b[0] != '[' || !bytes.Contains(b, []byte(`"book-`)) {
		return parsedBook{}, false
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(b, &arr); err != nil || len(arr) < 4 {
		t.Fatalf("v1 book frame %s: %v", b, err)
	}
	var pb parsedBook
	json.Unmarshal(arr[len(arr)-1], &pb.pair)
	json.Unmarshal(arr[len(arr)-2], &pb.channel)
	levels := func(raw json.RawMessage) []feed.BookLevel {
		var ls [][]string
		if err := json.Unmarshal(raw, &ls); err != nil {
			t.Fatalf("v1 levels %s: %v", raw, err)
		}
		out := []feed.BookLevel{}
		for _, l := range ls {
			if len(l) < 3 || len(l) > 4 || (len(l) == 4 && l[3] != "r") {
				t.Fatalf("v1 level %q", l)
			}
			out = append(out, feed.BookLevel{Price: feed.MustFixed(l[0]), Qty: feed.MustFixed(l[1]), Republish: len(l) == 4})
		}
		return out
	}
	for _, raw := range arr[1 : len(arr)-2] {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("v1 book payload %s: %v", raw, err)
		}
		for k, v := range m {
			switch k {
			case "as":
				pb.snapshot, pb.asks = true, levels(v)
			case "bs":
				pb.snapshot, pb.bids = true, levels(v)
			case "a":
				pb.asks = append(pb.asks, levels(v)...)
			case "b":
				pb.bids = append(pb.bids, levels(v)...)
			case "c":
				var s string
				if err := json.Unmarshal(v, &s); err != nil {
					t.Fatalf("v1 checksum %s must be a quoted integer", v)
				}
				n, err := strconv.ParseUint(s, 10, 32)
				if err != nil {
					t.Fatal(err)
				}
				pb.ck, pb.hasCk = uint32(n), true
			default:
				t.Fatalf("v1 book key %q", k)
			}
		}
	}
	return pb, true
}

// bookTracker keeps the books a client would keep and checks every checksum.
type bookTracker struct {
	t        testing.TB
	api      feed.API
	depth    int
	prec     map[string][2]int32 // wire pair name → price, qty decimals (v2)
	books    map[string]*feed.Book
	updates  int
	verified int
	bad      int
	republ   int
}

func newBookTracker(t testing.TB, api feed.API, depth int, infos ...feed.PairInfo) *bookTracker {
	bt := &bookTracker{t: t, api: api, depth: depth, prec: map[string][2]int32{}, books: map[string]*feed.Book{}}
	for _, in := range infos {
		name := string(in.Pair)
		if api == feed.APIV1 {
			name = in.WSName
		}
		bt.prec[name] = [2]int32{in.PriceDecimals, in.LotDecimals}
	}
	return bt
}

// feed applies a frame if it is a book frame; it reports whether the checksum matched.
func (bt *bookTracker) feed(b []byte) (isBook, ok bool) {
	pb, isBook := parseBookFrame(bt.t, bt.api, b)
	if !isBook {
		return false, true
	}
	bk := bt.books[pb.pair]
	if bk == nil {
		if !pb.snapshot {
			bt.t.Fatalf("update before snapshot: %s", b)
		}
		bk = feed.NewBook(feed.Pair(pb.pair), bt.depth)
		bt.books[pb.pair] = bk
	}
	for _, l := range append(pb.bids, pb.asks...) {
		if l.Republish {
			bt.republ++
		}
	}
	if err := bk.Apply(&feed.BookUpdate{Snapshot: pb.snapshot, Bids: pb.bids, Asks: pb.asks}); err != nil {
		bt.t.Fatalf("apply %s: %v", b, err)
	}
	if !pb.snapshot {
		bt.updates++
	}
	if !pb.hasCk {
		if bt.api == feed.APIV2 || !pb.snapshot {
			bt.t.Fatalf("book frame without checksum: %s", b)
		}
		return true, true
	}
	pd, qd := int32(-1), int32(-1)
	if bt.api == feed.APIV2 {
		p := bt.prec[pb.pair]
		pd, qd = p[0], p[1]
	}
	if got := kraken.Checksum(bk, pd, qd); got != pb.ck {
		bt.bad++
		return true, false
	}
	bt.verified++
	return true, true
}

// sameTop reports whether a tracked book equals the top depth levels of a reference book.
func sameTop(got, ref *feed.Book, depth int) bool {
	for _, side := range []feed.Side{feed.Buy, feed.Sell} {
		n := min(depth, ref.Len(side))
		if got.Len(side) != n {
			return false
		}
		for i := range n {
			g, r := got.Level(side, i), ref.Level(side, i)
			if g.Price.Cmp(r.Price) != 0 || g.Qty.Cmp(r.Qty) != 0 {
				return false
			}
		}
	}
	return true
}
