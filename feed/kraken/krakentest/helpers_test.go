package krakentest_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/kraken/krakentest"
	"github.com/papertrade/papertrade/internal/pow10"
)

// testMarket is a small seeded market for these tests: a snapshot per pair, then random
// trades at the touch and level inserts, changes and deletes. It keeps its own reference
// book per pair (depth unlimited), which tests compare client books against.
type testMarket struct {
	rng     *rand.Rand
	infos   []feed.PairInfo
	books   map[feed.Pair]*feed.Book
	started bool
}

func newTestMarket(seed uint64, infos ...feed.PairInfo) *testMarket {
	m := &testMarket{rng: rand.New(rand.NewPCG(seed, 7)), infos: infos, books: map[feed.Pair]*feed.Book{}}
	for _, in := range infos {
		m.books[in.Pair] = feed.NewBook(in.Pair, 0)
	}
	return m
}

func (m *testMarket) px(in *feed.PairInfo, ticks int64) feed.Fixed {
	return feed.Fixed{Mant: ticks, Scale: in.PriceDecimals}
}
func (m *testMarket) qty(in *feed.PairInfo, lots int64) feed.Fixed {
	return feed.Fixed{Mant: lots, Scale: in.LotDecimals}
}

// mid returns a pair's starting mid price in ticks.
func mid(in *feed.PairInfo) int64 { return 50000 * pow10.Int64(in.PriceDecimals) / 10 }

func (m *testMarket) Next(dst []feed.Event) []feed.Event {
	if !m.started {
		m.started = true
		for i := range m.infos {
			in := &m.infos[i]
			u := &feed.BookUpdate{Pair: in.Pair, Snapshot: true}
			c := mid(in)
			for k := int64(1); k <= 60; k++ {
				u.Bids = append(u.Bids, feed.BookLevel{Price: m.px(in, c-k*2), Qty: m.qty(in, 1+m.rng.Int64N(5e8))})
				u.Asks = append(u.Asks, feed.BookLevel{Price: m.px(in, c+k*2), Qty: m.qty(in, 1+m.rng.Int64N(5e8))})
			}
			m.apply(u)
			dst = append(dst, feed.Event{Kind: feed.KindBook, Pair: in.Pair, Book: u})
		}
		return dst
	}
	in := &m.infos[m.rng.IntN(len(m.infos))]
	b := m.books[in.Pair]
	if m.rng.IntN(10) < 3 && b.Len(feed.Buy) > 0 && b.Len(feed.Sell) > 0 {
		side := feed.Buy
		lvl := b.Ask(0)
		if m.rng.IntN(2) == 0 {
			side, lvl = feed.Sell, b.Bid(0)
		}
		q := 1 + m.rng.Int64N(max(1, lvl.Qty.Mant))
		return append(dst, feed.Event{Kind: feed.KindTrade, Pair: in.Pair, Trade: feed.Trade{
			Pair: in.Pair, Side: side, OrdType: feed.OrdMarket, Price: lvl.Price.Decimal(), Qty: m.qty(in, q).Decimal(),
		}})
	}
	u := &feed.BookUpdate{Pair: in.Pair}
	for range 1 + m.rng.IntN(3) {
		bid := m.rng.IntN(2) == 0
		n := b.Len(feed.Sell)
		lv := &u.Asks
		if bid {
			n, lv = b.Len(feed.Buy), &u.Bids
		}
		switch op := m.rng.IntN(3); {
		case op == 0 && n > 15: // delete, mostly near the top so windows refill
			i := m.rng.IntN(min(n, 14))
			l := b.Level(sideOf(bid), i)
			*lv = append(*lv, feed.BookLevel{Price: l.Price, Qty: m.qty(in, 0)})
		case op == 1 && n > 0: // change
			i := m.rng.IntN(min(n, 30))
			l := b.Level(sideOf(bid), i)
			*lv = append(*lv, feed.BookLevel{Price: l.Price, Qty: m.qty(in, 1+m.rng.Int64N(5e8))})
		default: // insert near the touch without crossing
			c := mid(in)
			if b.Len(feed.Buy) > 0 && b.Len(feed.Sell) > 0 {
				c = (b.Bid(0).Price.Mant + b.Ask(0).Price.Mant) / 2
			}
			off := 1 + m.rng.Int64N(40)
			p := c + off
			if bid {
				p = c - off
			}
			if b.Len(feed.Sell) > 0 && bid && p >= b.Ask(0).Price.Mant {
				continue
			}
			if b.Len(feed.Buy) > 0 && !bid && p <= b.Bid(0).Price.Mant {
				continue
			}
			*lv = append(*lv, feed.BookLevel{Price: m.px(in, p), Qty: m.qty(in, 1+m.rng.Int64N(5e8))})
		}
	}
	if len(u.Bids)+len(u.Asks) == 0 {
		return m.Next(dst)
	}
	m.apply(u)
	return append(dst, feed.Event{Kind: feed.KindBook, Pair: in.Pair, Book: u})
}

func sideOf(bid bool) feed.Side {
	if bid {
		return feed.Buy
	}
	return feed.Sell
}

func (m *testMarket) apply(u *feed.BookUpdate) {
	if err := m.books[u.Pair].Apply(u); err != nil {
		panic(err)
	}
}

func pairInfo(t testing.TB, p feed.Pair) feed.PairInfo {
	t.Helper()
	in, ok := kraken.DefaultPairs().Lookup(p)
	if !ok {
		t.Fatalf("pair %s not in the default table", p)
	}
	return *in
}

// wsClient is a plain gorilla client, as a user's bot would use against the server.
type wsClient struct {
	t  testing.TB
	ws *websocket.Conn
}

func dial(t testing.TB, srv *krakentest.Server, url string) *wsClient {
	t.Helper()
	ws, _, err := srv.Dialer().DialContext(context.Background(), url, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { ws.Close() })
	return &wsClient{t: t, ws: ws}
}

func (c *wsClient) send(msg string) {
	c.t.Helper()
	if err := c.ws.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// read returns the next frame. The deadline only turns a hang into a failure.
func (c *wsClient) read() []byte {
	c.t.Helper()
	c.ws.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, b, err := c.ws.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return b
}

// readData returns the next frame that is not a heartbeat.
func (c *wsClient) readData() []byte {
	c.t.Helper()
	for {
		b := c.read()
		if !isHeartbeat(b) {
			return b
		}
	}
}

// until reads frames (handing each to f) until one makes f return true.
func (c *wsClient) until(f func(b []byte) bool) {
	c.t.Helper()
	for {
		if f(c.read()) {
			return
		}
	}
}

// sync sends a ping with reqID and hands every frame before the pong to f: frames are queued
// in order, so the pong means everything the server had queued before it has arrived.
func (c *wsClient) sync(api feed.API, reqID int, f func(b []byte)) {
	c.t.Helper()
	if api == feed.APIV1 {
		c.send(fmt.Sprintf(`{"event":"ping","reqid":%d}`, reqID))
	} else {
		c.send(fmt.Sprintf(`{"method":"ping","req_id":%d}`, reqID))
	}
	pong1 := fmt.Sprintf(`{"event":"pong","reqid":%d}`, reqID)
	pong2 := fmt.Sprintf(`{"method":"pong","req_id":%d,`, reqID)
	c.until(func(b []byte) bool {
		if string(b) == pong1 || bytes.HasPrefix(b, []byte(pong2)) {
			return true
		}
		if f != nil {
			f(b)
		}
		return false
	})
}

func isHeartbeat(b []byte) bool {
	return string(b) == `{"event":"heartbeat"}` || string(b) == `{"channel":"heartbeat"}`
}

// fixture is one line of the fixture wrapper format.
type fixture struct {
	Src string          `json:"src"`
	Dir string          `json:"dir"`
	Msg json.RawMessage `json:"msg"`
}

func readFixtures(t testing.TB, path string) []fixture {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []fixture
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var fx fixture
		if err := json.Unmarshal(sc.Bytes(), &fx); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, fx)
	}
	return out
}

// shape returns a JSON value's structure: object keys (sorted, recursively) and value kinds.
func shape(t testing.TB, b []byte) string {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("shape of %s: %v", b, err)
	}
	return shapeOf(v)
}

func shapeOf(v any) string {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sortStrings(keys)
		var sb strings.Builder
		sb.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(k + ":" + shapeOf(x[k]))
		}
		sb.WriteByte('}')
		return sb.String()
	case []any:
		if len(x) == 0 {
			return "[]"
		}
		return "[" + shapeOf(x[0]) + "]"
	case json.Number:
		return "number"
	case string:
		return "string"
	case bool:
		return "bool"
	case nil:
		return "null"
	}
	return "?"
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// decodeObj decodes a JSON object keeping numbers as json.Number.
func decodeObj(t testing.TB, b []byte) map[string]any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return m
}

// stripTimes removes the time_in/time_out fields of a v2 control frame.
func stripTimes(t testing.TB, b []byte) string {
	t.Helper()
	m := decodeObj(t, b)
	delete(m, "time_in")
	delete(m, "time_out")
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
