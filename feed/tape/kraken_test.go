package tape

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// krakenFixtures are the real captures feed/kraken keeps in its testdata (permissive
// licences, see its NOTICE), in the shared wrapper format.
var krakenFixtures = []struct {
	file string
	api  feed.API
}{
	{"cryptofeed/KRAKEN.ws.48.0.jsonl", feed.APIV1},
	{"cryptofeed/KRAKEN.ws.49.0.jsonl", feed.APIV1},
	{"cryptofeed/KRAKEN.ws.50.0.jsonl", feed.APIV1},
	{"gocryptotrader/v1-book-captures-2023-07-25.jsonl", feed.APIV1},
	{"kraken-async-rs/v1-2023-11-12.jsonl", feed.APIV1},
	{"kraken-async-rs/v2-2024-05.jsonl", feed.APIV2},
	{"docs/docs-v1-examples.jsonl", feed.APIV1},
	{"docs/docs-v2-examples.jsonl", feed.APIV2},
}

// loadFixture returns the inbound frames of a fixture file, with its receive stamps when it
// has them and otherwise one millisecond apart from base.
func loadFixture(t *testing.T, file string, api feed.API, conn uint32, base time.Time) []Frame {
	t.Helper()
	path := filepath.Join("..", "kraken", "testdata", "fixtures", filepath.FromSlash(file))
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("kraken fixtures not available: %v", err)
	}
	defer f.Close()
	var frames []Frame
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		var l struct {
			TS  *string         `json:"ts"`
			Dir string          `json:"dir"`
			Msg json.RawMessage `json:"msg"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if l.Dir != "in" {
			continue
		}
		recv := base.Add(time.Duration(len(frames)) * time.Millisecond)
		if l.TS != nil {
			sec, err := strconv.ParseFloat(*l.TS, 64) // a test fixture's stamp, not money
			if err != nil {
				t.Fatalf("%s: ts %q: %v", path, *l.TS, err)
			}
			recv = time.Unix(0, int64(sec*1e6)*1e3) // microseconds, as recorded
		}
		frames = append(frames, Frame{Recv: recv, API: api, Conn: conn, Raw: bytes.Clone(l.Msg)})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return frames
}

// TestKrakenReplay records every captured Kraken stream as its own connection, replays the
// directory through kraken.Decoder, and checks that each connection's events are exactly
// what decoding its frames directly gives.
func TestKrakenReplay(t *testing.T) {
	dir := t.TempDir()
	want := make(map[uint32][]feed.Event)
	total := 0
	for i, fx := range krakenFixtures {
		conn := uint32(i + 1)
		frames := loadFixture(t, fx.file, fx.api, conn, t0.Add(time.Duration(i)*time.Hour))
		write(t, dir, frames, WithName(fmt.Sprintf("fx%d", i)), WithMaxSegmentAge(time.Minute))
		dec := kraken.NewDecoder()
		var evs []feed.Event
		for _, f := range frames {
			n := len(evs)
			var err error
			evs, err = dec.Decode(f.Raw, f.Recv.UTC(), evs)
			if err != nil {
				continue // counted by the replay as well; compared below
			}
			for j := n; j < len(evs); j++ {
				evs[j].Conn = conn
			}
		}
		want[conn] = evs
		total += len(evs)
	}
	r, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got := make(map[uint32][]feed.Event)
	for e, err := range r.Events(t.Context(), kraken.RawDecoder{D: kraken.NewDecoder()}, Filter{}) {
		if err != nil {
			t.Fatal(err)
		}
		got[e.Conn] = append(got[e.Conn], e)
	}
	for conn, w := range want {
		g := got[conn]
		if len(g) != len(w) {
			t.Errorf("%s: %d events replayed, %d decoded directly", krakenFixtures[conn-1].file, len(g), len(w))
			continue
		}
		for i := range w {
			if !reflect.DeepEqual(g[i], w[i]) {
				t.Errorf("%s event %d:\n got %+v\nwant %+v", krakenFixtures[conn-1].file, i, g[i], w[i])
				break
			}
		}
	}
	if total < 4000 {
		t.Errorf("only %d events in the fixtures", total)
	}
	t.Logf("%d events from %d recordings, %d decode errors, %d warnings", total, len(krakenFixtures), r.Stats().DecodeErrors, r.WarningCount())
}

// BenchmarkEventsKraken reads and decodes the synthetic million one-trade v2 frames with the
// real decoder: the replay speed of a trade recording.
func BenchmarkEventsKraken(b *testing.B) {
	dir := benchTape(b, DefaultLevel, DefaultWindow)
	for _, conc := range []int{1, 2} {
		b.Run(fmt.Sprintf("source/concurrency=%d", conc), func(b *testing.B) {
			r, err := Open(dir, ReadConcurrency(conc))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				out := make(chan []feed.Event, 16)
				done := make(chan error, 1)
				go func() {
					done <- r.Source(kraken.RawDecoder{D: kraken.NewDecoder()}, Filter{}).Run(context.Background(), out)
				}()
				n := 0
			loop:
				for {
					select {
					case batch := <-out:
						n += len(batch)
					case err := <-done:
						if err != nil {
							b.Fatal(err)
						}
						for len(out) > 0 {
							n += len(<-out)
						}
						break loop
					}
				}
				if n != benchFrames {
					b.Fatalf("%d events, %d decode errors", n, r.Stats().DecodeErrors)
				}
			}
			b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
		})
	}
	b.Run("decode-only", func(b *testing.B) {
		tt := benchData()
		dec := kraken.NewDecoder()
		evs := make([]feed.Event, 0, 4)
		for b.Loop() {
			for i := range benchFrames {
				f := tt.frame(i)
				var err error
				if evs, err = dec.Decode(f.Raw, f.Recv, evs[:0]); err != nil || len(evs) != 1 {
					b.Fatalf("frame %d: %v", i, err)
				}
			}
		}
		b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "trades/s")
	})
}
