package kraken

import (
	"bytes"
	"fmt"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

func frameAt(conn uint32, ns int64, raw string) Frame {
	return Frame{Recv: time.Unix(0, ns).UTC(), API: feed.APIV2, Conn: conn, Raw: []byte(raw)}
}

func v2Trade(id int, snapshot bool) string {
	typ := "update"
	if snapshot {
		typ = "snapshot"
	}
	return fmt.Sprintf(`{"channel":"trade","type":"%s","data":[{"symbol":"BTC/USD","side":"buy","price":60000.0,"qty":0.01000000,"ord_type":"market","trade_id":%d,"timestamp":"2025-01-01T00:00:%02d.000000Z"}]}`, typ, id, id%60)
}

// summary renders the events a test cares about, one short string each.
func summary(evs []feed.Event) string {
	var got []string
	for i := range evs {
		e := &evs[i]
		switch e.Kind {
		case feed.KindTrade:
			got = append(got, fmt.Sprintf("trade %d conn %d", e.Trade.ID, e.Conn))
		case feed.KindGap:
			if e.Gap.Channel == "book" {
				got = append(got, fmt.Sprintf("book gap %s conn %d", e.Pair, e.Conn))
			} else {
				got = append(got, fmt.Sprintf("gap %d-%d missing %d", e.Gap.FromID, e.Gap.ToID, e.Gap.Missing))
			}
		case feed.KindBook:
			got = append(got, fmt.Sprintf("book %s snapshot=%v", e.Pair, e.Book.Snapshot))
		default:
			got = append(got, e.Kind.String())
		}
	}
	return strings.Join(got, ", ")
}

// Direct cases: what the normaliser drops, dedupes and reports.
func TestNormalizerRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  NormalizerConfig
	}{
		{"configured", NormalizerConfig{API: feed.APIV2, Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"trade"}}},
		{"replay of an unknown set-up", NormalizerConfig{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := NewNormalizer(tc.cfg)
			var evs []feed.Event
			for _, f := range []Frame{
				frameAt(1, 1, `{"channel":"heartbeat"}`),
				frameAt(1, 2, `{"method":"pong","req_id":1000000001,"time_in":"2025-01-01T00:00:00.000000Z","time_out":"2025-01-01T00:00:00.000001Z"}`),
				frameAt(1, 3, v2Trade(10, true)), // history before the start: a baseline only
				frameAt(1, 4, v2Trade(11, false)),
				frameAt(1, 5, `not json`),
				frameAt(2, 6, v2Trade(11, true)), // the reconnect snapshot overlaps: deduplicated
				frameAt(2, 7, v2Trade(14, false)),
			} {
				evs = n.Frame(f, evs)
			}
			want := "trade 11 conn 1, gap 12-13 missing 2, trade 14 conn 2"
			if g := summary(evs); g != want {
				t.Fatalf("events: %s\nwant %s", g, want)
			}
			s := n.Stats()
			if s.Malformed != 1 || s.Duplicates != 1 || s.MissingTrades != 2 || s.Connections != 2 || s.Frames != 7 {
				t.Fatalf("stats %+v", s)
			}
		})
	}
}

// The first trade snapshot is history from before the start, all of it: none of its trades
// is delivered, and the next update continues from its last id.
func TestNormalizerFirstSnapshotIsHistory(t *testing.T) {
	snap := `{"channel":"trade","type":"snapshot","data":[` +
		strings.TrimSuffix(strings.TrimPrefix(v2Trade(5, false), `{"channel":"trade","type":"update","data":[`), `]}`) + "," +
		strings.TrimSuffix(strings.TrimPrefix(v2Trade(6, false), `{"channel":"trade","type":"update","data":[`), `]}`) + "," +
		strings.TrimSuffix(strings.TrimPrefix(v2Trade(7, false), `{"channel":"trade","type":"update","data":[`), `]}`) + `]}`
	for _, deliver := range []bool{false, true} {
		n := NewNormalizer(NormalizerConfig{DeliverFirstTradeSnapshot: deliver})
		var evs []feed.Event
		evs = n.Frame(frameAt(1, 1, snap), evs)
		evs = n.Frame(frameAt(1, 2, v2Trade(8, false)), evs)
		want := "trade 8 conn 1"
		if deliver {
			want = "trade 5 conn 1, trade 6 conn 1, trade 7 conn 1, trade 8 conn 1"
		}
		if g := summary(evs); g != want {
			t.Errorf("deliver first snapshot %v: %s, want %s", deliver, g, want)
		}
	}
}

// bookFrames encodes a BTC/USD snapshot and n updates with valid checksums.
func bookFrames(t testing.TB, n int) [][]byte {
	t.Helper()
	enc, err := NewEncoder(feed.APIV2)
	if err != nil {
		t.Fatal(err)
	}
	lv := func(p, q int64) feed.BookLevel {
		return feed.BookLevel{Price: feed.MustFixed(decimal.New(p, -1).String()), Qty: feed.MustFixed(decimal.New(q, -8).String())}
	}
	var out [][]byte
	snap := &feed.BookUpdate{Pair: "BTC/USD", Snapshot: true}
	for i := range 10 {
		snap.Bids = append(snap.Bids, lv(500000-int64(i), 100000000+int64(i)))
		snap.Asks = append(snap.Asks, lv(500001+int64(i), 200000000+int64(i)))
	}
	b, err := enc.AppendBook(nil, snap)
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, b)
	for i := range n {
		u := &feed.BookUpdate{Pair: "BTC/USD", Bids: []feed.BookLevel{lv(500000, 300000000+int64(i))}, Time: time.Unix(1_700_000_000+int64(i), 0).UTC()}
		b, err := enc.AppendBook(nil, u)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// corrupt replaces a v2 book frame's checksum.
func corrupt(frame []byte) []byte {
	i := bytes.Index(frame, []byte(`"checksum":`))
	j := i + len(`"checksum":`)
	k := j
	for k < len(frame) && frame[k] >= '0' && frame[k] <= '9' {
		k++
	}
	return slices.Concat(frame[:j], []byte("1"), frame[k:])
}

// Books: a mismatch reports the book stale, withholds its updates until the next snapshot and
// asks for one resubscription; a second mismatch within the cooldown hangs up, and the rest of
// that connection is ignored; a new connection reports the live books stale.
func TestNormalizerBooks(t *testing.T) {
	fr := bookFrames(t, 4)
	n := NewNormalizer(NormalizerConfig{API: feed.APIV2, Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"book"}})
	step := func(f Frame, want string, resub bool, hangup bool) {
		t.Helper()
		evs := n.Frame(f, nil)
		if g := summary(evs); g != want {
			t.Fatalf("frame %s: events %q, want %q", f.Raw[:min(len(f.Raw), 40)], g, want)
		}
		if got := len(n.Resubscribe()) > 0; got != resub {
			t.Fatalf("resubscribe %v, want %v", n.Resubscribe(), resub)
		}
		if got := n.Hangup() != nil; got != hangup {
			t.Fatalf("hangup %v, want %v", n.Hangup(), hangup)
		}
	}
	sec := int64(time.Second)
	step(frameAt(1, 1*sec, string(fr[0])), "book BTC/USD snapshot=true", false, false)
	step(frameAt(1, 2*sec, string(fr[1])), "book BTC/USD snapshot=false", false, false)
	if s := n.StaleBooks(); len(s) != 0 {
		t.Fatalf("stale %v", s)
	}
	step(frameAt(1, 3*sec, string(corrupt(fr[2]))), "book gap BTC/USD conn 1", true, false)
	if s := n.StaleBooks(); !slices.Equal(s, []feed.Pair{"BTC/USD"}) {
		t.Fatalf("stale %v", s)
	}
	step(frameAt(1, 4*sec, string(fr[3])), "", false, false) // withheld: stale
	step(frameAt(1, 5*sec, string(fr[0])), "book BTC/USD snapshot=true", false, false)
	step(frameAt(1, 6*sec, string(corrupt(fr[1]))), "book gap BTC/USD conn 1", false, true) // again within a minute
	step(frameAt(1, 7*sec, string(fr[0])), "", false, false)                                // the client hung up
	step(frameAt(2, 8*sec, string(fr[0])), "book BTC/USD snapshot=true", false, false)
	step(frameAt(3, 9*sec, `{"channel":"heartbeat"}`), "book gap BTC/USD conn 2", false, false)
	s := n.Stats()
	if s.ChecksumMismatches != 2 || s.Resubscribes != 1 || s.StaleDropped != 1 || s.StaleBooks != 1 || s.Connections != 3 {
		t.Fatalf("stats %+v", s)
	}
}

// A replay of an unknown set-up verifies every book from its first snapshot on.
func TestNormalizerBooksUnconfigured(t *testing.T) {
	fr := bookFrames(t, 2)
	n := NewNormalizer(NormalizerConfig{})
	var evs []feed.Event
	for i, f := range [][]byte{fr[1], fr[0], corrupt(fr[1]), fr[2]} {
		evs = n.Frame(frameAt(1, int64(i+1), string(f)), evs)
	}
	// An update before any snapshot (a replay that starts mid-recording) cannot be verified:
	// it is dropped, as the client drops a book's updates before its snapshot.
	want := "book BTC/USD snapshot=true, book gap BTC/USD conn 1"
	if g := summary(evs); g != want {
		t.Fatalf("events %q, want %q", g, want)
	}
}

// FuzzNormalizer feeds arbitrary frames on arbitrary connections. Properties: no panic; the
// same frames give the same events and counters (two normalisers, one forced through the
// general path that moves a frame's events aside, which the in-place path must agree
// with); trade ids delivered per pair strictly increase.
func FuzzNormalizer(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fixtures", "*", "*.jsonl"))
	for _, file := range files {
		rel, _ := filepath.Rel(filepath.Join("testdata", "fixtures"), file)
		var b []byte
		for i, l := range readFixture(f, rel) {
			if len(l.Msg) < 2048 && i < 40 {
				b = append(b, byte('0'+i%3))
				b = append(b, l.Msg...)
				b = append(b, '\n')
			}
		}
		f.Add(b)
	}
	var seed []byte
	for i, s := range []string{v2Trade(10, true), v2Trade(11, false), v2Trade(11, true), v2Trade(14, false), "CloudFlare WebSocket proxy restarting", `{"channel":"heartbeat"}`} {
		seed = append(seed, byte('0'+i/2))
		seed = append(seed, s...)
		seed = append(seed, '\n')
	}
	for _, b := range bookFrames(f, 3) {
		seed = append(seed, '1')
		seed = append(seed, corrupt(b)...)
		seed = append(seed, '\n')
	}
	f.Add(seed)
	f.Fuzz(func(t *testing.T, data []byte) {
		var frames []Frame
		for i, line := range bytes.Split(data, []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			frames = append(frames, Frame{Recv: time.Unix(0, int64(i)*int64(time.Millisecond)).UTC(), Conn: uint32(line[0] % 4), Raw: line[1:]})
		}
		for _, cfg := range []NormalizerConfig{{}, {API: feed.APIV2, Pairs: []feed.Pair{"BTC/USD", "ETH/USD"}, Channels: []string{"trade", "book"}}} {
			a, b := NewNormalizer(cfg), NewNormalizer(cfg)
			b.forceSpill = true // the general path: events moved aside, then appended
			var ea, eb []feed.Event
			last := map[feed.Pair]uint64{}
			for _, fr := range frames {
				n := len(ea)
				ea = a.Frame(fr, ea)
				eb, _ = b.DecodeFrame(fr, eb)
				for i := n; i < len(ea); i++ {
					if e := &ea[i]; e.Kind == feed.KindTrade && e.Trade.ID != 0 {
						if e.Trade.ID <= last[e.Trade.Pair] {
							t.Fatalf("trade %d of %s delivered after %d", e.Trade.ID, e.Trade.Pair, last[e.Trade.Pair])
						}
						last[e.Trade.Pair] = e.Trade.ID
					}
				}
			}
			if len(ea) != len(eb) {
				t.Fatalf("same frames, %d and %d events", len(ea), len(eb))
			}
			for i := range ea {
				if !reflect.DeepEqual(ea[i], eb[i]) {
					t.Fatalf("event %d differs:\n%+v\n%+v", i, ea[i], eb[i])
				}
			}
			if a.Stats() != b.Stats() {
				t.Fatalf("stats differ: %+v %+v", a.Stats(), b.Stats())
			}
		}
	})
}

// normFrames is a v2 trade stream on one connection: 4096 frames of 1 to 3 trades (8190
// trades) with consecutive ids, as Kraken sends them.
func normFrames(b *testing.B) ([]Frame, int) {
	enc, err := NewEncoder(feed.APIV2)
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Unix(1_700_000_000, 0).UTC()
	var frames []Frame
	var id uint64 = 100
	trades := 0
	for i := 0; i < 4096; i++ {
		tm := t0.Add(time.Duration(i) * time.Millisecond)
		tr := make([]feed.Trade, 1+i%3)
		for k := range tr {
			id++
			tr[k] = feed.Trade{Pair: "BTC/USD", Side: feed.Buy, OrdType: feed.OrdMarket, Price: decimal.New(int64(5000000+i%50), -1), Qty: decimal.New(int64(1+k), -3), ID: id, Time: tm}
		}
		trades += len(tr)
		raw, err := enc.AppendTrades(nil, false, tr)
		if err != nil {
			b.Fatal(err)
		}
		frames = append(frames, Frame{Recv: tm, API: feed.APIV2, Conn: 1, Raw: raw})
	}
	return frames, trades
}

// BenchmarkNormalizer measures the normaliser (decoding included) over a v2 trade stream:
// ns/frame, and allocs/event, which are the decoder's decimals (see BenchmarkDecodeV2Trade):
// the connection rules add none. "decode-only" is the same frames through RawDecoder, so the
// difference is what the rules cost.
func BenchmarkNormalizer(b *testing.B) {
	frames, trades := normFrames(b)
	cfg := NormalizerConfig{API: feed.APIV2, Pairs: []feed.Pair{"BTC/USD"}, DeliverFirstTradeSnapshot: true}
	for _, bc := range []struct {
		name string
		dec  func() interface {
			DecodeFrame(Frame, []feed.Event) ([]feed.Event, error)
		}
	}{
		{"rules", func() interface {
			DecodeFrame(Frame, []feed.Event) ([]feed.Event, error)
		} {
			return NewNormalizer(cfg)
		}},
		{"decode-only", func() interface {
			DecodeFrame(Frame, []feed.Event) ([]feed.Event, error)
		} {
			return RawDecoder{D: NewDecoder()}
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dec := bc.dec()
			dst := make([]feed.Event, 0, 8)
			var mem0, mem1 runtimeMem
			b.ReportAllocs()
			mem0.read()
			for i := 0; b.Loop(); i++ {
				if i%len(frames) == 0 && i > 0 {
					dec = bc.dec() // ids start again
				}
				dst, _ = dec.DecodeFrame(frames[i%len(frames)], dst[:0])
			}
			mem1.read()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/frame")
			b.ReportMetric(float64(mem1.mallocs-mem0.mallocs)/(float64(b.N)*float64(trades)/float64(len(frames))), "allocs/event")
		})
	}
}

type runtimeMem struct{ mallocs uint64 }

func (m *runtimeMem) read() {
	var s runtime.MemStats
	runtime.ReadMemStats(&s)
	m.mallocs = s.Mallocs
}

// v1 has no trade ids: a reconnect is reported as a window in which trades may be missing,
// before each pair's first trade on the new connection, in a replay of an unknown set-up too.
func TestNormalizerV1ReconnectWindow(t *testing.T) {
	v1 := func(conn uint32, ns int64) Frame {
		return Frame{Recv: time.Unix(0, ns).UTC(), API: feed.APIV1, Conn: conn,
			Raw: []byte(`[0,[["5541.20000","0.15850568","1534614057.321597","s","l",""]],"trade","XBT/USD"]`)}
	}
	for _, cfg := range []NormalizerConfig{{}, {API: feed.APIV1, Pairs: []feed.Pair{"BTC/USD"}, Channels: []string{"trade"}}} {
		n := NewNormalizer(cfg)
		var evs []feed.Event
		for _, f := range []Frame{v1(1, 10), v1(1, 20), v1(2, 30), v1(2, 40)} {
			evs = n.Frame(f, evs)
		}
		var got []string
		for _, e := range evs {
			if e.Kind == feed.KindGap {
				got = append(got, fmt.Sprintf("gap %d-%d conn %d", e.Gap.From.UnixNano(), e.Gap.To.UnixNano(), e.Conn))
			} else {
				got = append(got, fmt.Sprintf("%s conn %d", e.Kind, e.Conn))
			}
		}
		if g, w := strings.Join(got, ", "), "trade conn 1, trade conn 1, gap 20-30 conn 2, trade conn 2, trade conn 2"; g != w {
			t.Errorf("api %v: %s\nwant %s", cfg.API, g, w)
		}
	}
}

// The proxy's restart notice ends the connection (kraken.Client hangs up; a replay ignores
// the rest of that connection) unless the frames were captured by another client.
func TestNormalizerProxyRestart(t *testing.T) {
	for _, captured := range []bool{false, true} {
		n := NewNormalizer(NormalizerConfig{Captured: captured})
		var evs []feed.Event
		var errs int
		for _, f := range []Frame{frameAt(1, 1, v2Trade(11, false)), frameAt(1, 2, string(proxyRestart)), frameAt(1, 3, v2Trade(12, false)), frameAt(2, 4, v2Trade(13, false))} {
			var err error
			if evs, err = n.DecodeFrame(f, evs); err != nil {
				errs++
			}
			if (n.Hangup() != nil) != (!captured && f.Recv.UnixNano() == 2) {
				t.Errorf("captured %v, frame %d: hangup %v", captured, f.Recv.UnixNano(), n.Hangup())
			}
		}
		want := "trade 11 conn 1, gap 12-12 missing 1, trade 13 conn 2" // 12 was never read
		if captured {
			want = "trade 11 conn 1, trade 12 conn 1, trade 13 conn 2"
		}
		if g := summary(evs); g != want || errs != 1 {
			t.Errorf("captured %v: %s (%d errors)\nwant %s (1 error)", captured, g, errs, want)
		}
	}
}
