package tape

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/papertrade/papertrade/feed"
)

// Run with: go test ./feed/tape -run '^$' -bench . -benchmem -benchtime=1x
// Every op handles the whole synthetic data set (benchFrames frames), so ns/op and allocs/op
// are per million frames; frames/s, B/frame and MB/s are the comparable figures.

const benchFrames = 1_000_000

// tradeTape is benchFrames v2 one-trade frames, as Kraken sends them, in one buffer.
type tradeTape struct {
	buf  []byte
	ends []int   // frame i is buf[ends[i-1]:ends[i]]
	recv []int64 // unix ns
}

func (tt *tradeTape) frame(i int) Frame {
	start := 0
	if i > 0 {
		start = tt.ends[i-1]
	}
	return Frame{Recv: time.Unix(0, tt.recv[i]), API: feed.APIV2, Conn: 1, Raw: tt.buf[start:tt.ends[i]]}
}

// genTrades makes a realistic stream: BTC/USD (70 %) and ETH/USD trades with per-pair
// increasing trade ids, prices on a random walk on each pair's tick, quantities that are
// often round and otherwise have 8 decimals over five orders of magnitude, taker sides and
// order types, exchange timestamps in microseconds with exponential gaps (mean 60 ms, bursts
// of equal stamps), and receive times 20–60 ms later with nanosecond jitter.
func genTrades(n int, seed uint64) *tradeTape {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type pairState struct {
		symbol string
		id     uint64
		price  int64 // in ticks
		tickDp int   // decimals of the tick
	}
	pairs := []*pairState{
		{symbol: "BTC/USD", id: 70635299, price: 685000, tickDp: 1},
		{symbol: "ETH/USD", id: 45123456, price: 380012, tickDp: 2},
	}
	rounds := []string{"0.001", "0.01", "0.02", "0.05", "0.1", "0.25", "0.5", "1.0", "2.0"}
	tt := &tradeTape{buf: make([]byte, 0, n*210), ends: make([]int, 0, n), recv: make([]int64, 0, n)}
	ts := time.Date(2026, 11, 24, 10, 15, 0, 0, time.UTC).UnixMicro()
	for range n {
		if rng.Float64() > 0.3 { // 30 % share the previous trade's timestamp
			ts += int64(rng.ExpFloat64() * 60_000)
		}
		p := pairs[0]
		if rng.Float64() < 0.3 {
			p = pairs[1]
		}
		p.id++
		p.price += int64(rng.NormFloat64() * 3)
		side := "buy"
		if rng.IntN(2) == 0 {
			side = "sell"
		}
		ordType := "limit"
		if rng.Float64() < 0.4 {
			ordType = "market"
		}
		b := tt.buf
		b = append(b, `{"channel":"trade","type":"update","data":[{"symbol":"`...)
		b = append(b, p.symbol...)
		b = append(b, `","side":"`...)
		b = append(b, side...)
		b = append(b, `","price":`...)
		b = appendTicks(b, p.price, p.tickDp)
		b = append(b, `,"qty":`...)
		if rng.Float64() < 0.25 {
			b = append(b, rounds[rng.IntN(len(rounds))]...)
		} else {
			q := int64(math.Pow(10, rng.Float64()*5) * 1000) // 1e-5 .. 1 in 1e-8 units
			b = appendQty(b, q)
		}
		b = append(b, `,"ord_type":"`...)
		b = append(b, ordType...)
		b = append(b, `","trade_id":`...)
		b = strconv.AppendUint(b, p.id, 10)
		b = append(b, `,"timestamp":"`...)
		b = time.UnixMicro(ts).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
		b = append(b, `"}]}`...)
		tt.buf = b
		tt.ends = append(tt.ends, len(b))
		tt.recv = append(tt.recv, ts*1000+20_000_000+rng.Int64N(40_000_000))
	}
	return tt
}

// appendTicks writes v×10^-dp the way Kraken's v2 JSON does (at least one decimal).
func appendTicks(b []byte, v int64, dp int) []byte {
	p := int64(math.Pow10(dp))
	b = strconv.AppendInt(b, v/p, 10)
	frac := strconv.FormatInt(p+v%p, 10)[1:]
	return append(append(b, '.'), frac...)
}

// appendQty writes q×10^-8 with trailing zeros trimmed, keeping one decimal.
func appendQty(b []byte, q int64) []byte {
	s := strconv.FormatInt(1e8+q%1e8, 10)[1:]
	for len(s) > 1 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	b = strconv.AppendInt(b, q/1e8, 10)
	return append(append(b, '.'), s...)
}

var benchData = sync.OnceValue(func() *tradeTape { return genTrades(benchFrames, 1) })

// benchFiles caches one recording of the data set per writer configuration, across
// benchmarks; TestMain removes them.
var benchFiles sync.Map // string -> string (directory)

func benchTape(b *testing.B, level zstd.EncoderLevel, window int) string {
	b.Helper()
	key := fmt.Sprint(level, window)
	if dir, ok := benchFiles.Load(key); ok {
		return dir.(string)
	}
	dir, err := os.MkdirTemp("", "tape-bench")
	if err != nil {
		b.Fatal(err)
	}
	writeBench(b, dir, level, window)
	benchFiles.Store(key, dir)
	return dir
}

func removeBenchFiles() {
	benchFiles.Range(func(_, dir any) bool {
		os.RemoveAll(dir.(string))
		return true
	})
}

func writeBench(b *testing.B, dir string, level zstd.EncoderLevel, window int) WriterStats {
	tt := benchData()
	w, err := NewWriter(dir, WithLevel(level), WithWindow(window), WithMaxSegmentBytes(0), WithMaxSegmentAge(0))
	if err != nil {
		b.Fatal(err)
	}
	for i := range benchFrames {
		if err := w.Write(tt.frame(i)); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return w.Stats()
}

func BenchmarkWrite(b *testing.B) {
	for _, c := range []struct {
		level  zstd.EncoderLevel
		window int
	}{
		{zstd.SpeedFastest, 1 << 20},
		{zstd.SpeedDefault, 1 << 20},
		{zstd.SpeedBetterCompression, 256 << 10},
		{zstd.SpeedBetterCompression, 1 << 20}, // the default
		{zstd.SpeedBetterCompression, 8 << 20},
		{zstd.SpeedBetterCompression, 64 << 20},
	} {
		b.Run(fmt.Sprintf("level=%s/window=%dKiB", c.level, c.window>>10), func(b *testing.B) {
			tt := benchData()
			b.SetBytes(int64(len(tt.buf)))
			var st WriterStats
			for b.Loop() {
				dir := b.TempDir()
				st = writeBench(b, dir, c.level, c.window)
				b.StopTimer()
				os.RemoveAll(dir)
				b.StartTimer()
			}
			b.ReportMetric(float64(st.Bytes)/float64(st.Frames), "B/frame")
			b.ReportMetric(float64(st.RawBytes)/float64(st.Frames), "rawB/frame")
			b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
		})
	}
}

func BenchmarkRead(b *testing.B) {
	for _, level := range []zstd.EncoderLevel{zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		for _, conc := range []int{1, 2} {
			b.Run(fmt.Sprintf("level=%s/concurrency=%d", level, conc), func(b *testing.B) {
				dir := benchTape(b, level, DefaultWindow)
				r, err := Open(dir, ReadConcurrency(conc))
				if err != nil {
					b.Fatal(err)
				}
				var raw int64
				for b.Loop() {
					n := 0
					for _, err := range r.Frames(context.Background(), Range{}) {
						if err != nil {
							b.Fatal(err)
						}
						n++
					}
					if n != benchFrames {
						b.Fatalf("read %d frames", n)
					}
					raw = r.Stats().Bytes
				}
				b.SetBytes(raw)
				b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			})
		}
	}
}

// BenchmarkZstd is bare decompression of the same files, for comparison with BenchmarkRead.
func BenchmarkZstd(b *testing.B) {
	for _, level := range []zstd.EncoderLevel{zstd.SpeedDefault, zstd.SpeedBetterCompression} {
		for _, conc := range []int{1, 2} {
			b.Run(fmt.Sprintf("level=%s/concurrency=%d", level, conc), func(b *testing.B) {
				dir := benchTape(b, level, DefaultWindow)
				segs, _ := filepath.Glob(filepath.Join(dir, "*", "*"+SegmentSuffix))
				if len(segs) != 1 {
					b.Fatalf("segments %v", segs)
				}
				dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(conc))
				if err != nil {
					b.Fatal(err)
				}
				defer dec.Close()
				var raw int64
				for b.Loop() {
					f, err := os.Open(segs[0])
					if err != nil {
						b.Fatal(err)
					}
					if err := dec.Reset(f); err != nil {
						b.Fatal(err)
					}
					raw, err = io.Copy(io.Discard, dec)
					f.Close()
					if err != nil {
						b.Fatal(err)
					}
				}
				b.SetBytes(raw)
				b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "frames/s")
			})
		}
	}
}

// oneEvent stands in for a decoder that costs nothing: one trade event per frame, no parsing.
// It measures what the event layer and Source batching add to reading.
type oneEvent struct{}

func (oneEvent) DecodeFrame(f Frame, dst []feed.Event) ([]feed.Event, error) {
	recv := f.Recv
	return append(dst, feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Recv: recv}), nil
}

func BenchmarkSourceOverhead(b *testing.B) {
	dir := benchTape(b, DefaultLevel, DefaultWindow)
	r, err := Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		out := make(chan []feed.Event, 16)
		done := make(chan error, 1)
		go func() { done <- r.Source(oneEvent{}, Filter{}).Run(context.Background(), out) }()
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
			b.Fatalf("%d events", n)
		}
	}
	b.ReportMetric(float64(benchFrames)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

func BenchmarkParseLine(b *testing.B) {
	line, _ := AppendLine(nil, benchData().frame(0))
	line = line[:len(line)-1]
	b.SetBytes(int64(len(line)))
	for b.Loop() {
		if _, err := ParseLine(line); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendLine(b *testing.B) {
	f := benchData().frame(0)
	var buf []byte
	b.SetBytes(int64(len(f.Raw)))
	for b.Loop() {
		buf, _ = AppendLine(buf[:0], f)
	}
}
