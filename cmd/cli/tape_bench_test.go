package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/tape"
)

// Run with: go test ./cmd/cli -run '^$' -bench TapeReplay -benchmem -benchtime=3x
// Every op reads the whole recording: 1,000,000 trades made by tape synth (trades only, two
// pairs, v2). trades/s and MB/s (of decompressed JSON lines) are the comparable figures;
// B/trade is the recording's size on disk per trade.

const benchReplayTrades = 1_000_000

var benchReplay struct {
	once     sync.Once
	dir      string
	segments []string
	raw      int64 // decompressed bytes
	disk     int64
	frames   int64
	err      error
}

func benchReplayTape(b *testing.B) {
	b.Helper()
	benchReplay.once.Do(func() {
		dir, err := os.MkdirTemp("", "papertrade-bench-replay")
		if err != nil {
			benchReplay.err = err
			return
		}
		benchReplay.dir = dir
		o := tapeSynthOptions{out: dir, name: "synth", trades: benchReplayTrades, seed: 1, pairs: "BTC/USD,ETH/USD", channels: "trade", depth: 10, api: "v2", start: "2025-01-01", rate: 5}
		cfg, err := o.config()
		if err == nil {
			var st tape.SynthStats
			st, err = tape.WriteSynth(context.Background(), cfg)
			benchReplay.raw, benchReplay.disk, benchReplay.frames = st.Writer.RawBytes, st.Writer.Bytes, st.Frames
		}
		if err == nil {
			benchReplay.segments, err = filepath.Glob(filepath.Join(dir, "*", "*"+tape.SegmentSuffix))
		}
		benchReplay.err = err
	})
	if benchReplay.err != nil {
		b.Fatal(benchReplay.err)
	}
}

func BenchmarkTapeReplay(b *testing.B) {
	benchReplayTape(b)
	defer func() {
		if strings.Contains(benchReplay.dir, "papertrade-bench-replay") {
			os.RemoveAll(benchReplay.dir)
		}
	}()
	report := func(b *testing.B, trades int64) {
		secs := b.Elapsed().Seconds() / float64(b.N)
		b.ReportMetric(float64(trades)/secs, "trades/s")
		b.ReportMetric(float64(benchReplay.disk)/float64(benchReplayTrades), "B/trade")
		b.ReportMetric(float64(benchReplay.disk)/float64(benchReplay.frames), "B/frame")
	}
	b.Run("zstd", func(b *testing.B) {
		b.SetBytes(benchReplay.raw)
		b.ReportAllocs()
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
		if err != nil {
			b.Fatal(err)
		}
		defer dec.Close()
		for b.Loop() {
			var n int64
			for _, seg := range benchReplay.segments {
				f, err := os.Open(seg)
				if err != nil {
					b.Fatal(err)
				}
				if err := dec.Reset(f); err != nil {
					b.Fatal(err)
				}
				m, err := io.Copy(io.Discard, dec)
				f.Close()
				if err != nil {
					b.Fatal(err)
				}
				n += m
			}
			if n != benchReplay.raw {
				b.Fatalf("decompressed %d bytes, want %d", n, benchReplay.raw)
			}
		}
		report(b, benchReplayTrades)
	})
	b.Run("read", func(b *testing.B) {
		b.SetBytes(benchReplay.raw)
		b.ReportAllocs()
		for b.Loop() {
			r, err := tape.Open(benchReplay.dir)
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			for _, err := range r.Frames(context.Background(), tape.Range{}) {
				if err != nil {
					b.Fatal(err)
				}
				n++
			}
			if n != benchReplay.frames {
				b.Fatalf("%d frames, want %d", n, benchReplay.frames)
			}
		}
		report(b, benchReplayTrades)
	})
	for _, bg := range []int{1, 2} {
		name := "read+decode"
		if bg > 1 {
			name += "/zstd-ahead"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(benchReplay.raw)
			b.ReportAllocs()
			for b.Loop() {
				r, err := tape.Open(benchReplay.dir, tape.ReadConcurrency(bg))
				if err != nil {
					b.Fatal(err)
				}
				dec := kraken.NewDecoder()
				var evs []feed.Event
				trades := 0
				for f, err := range r.Frames(context.Background(), tape.Range{}) {
					if err != nil {
						b.Fatal(err)
					}
					if evs, err = dec.DecodeV2(f.Raw, f.Recv, evs[:0]); err != nil {
						b.Fatal(err)
					}
					for i := range evs {
						if evs[i].Kind == feed.KindTrade {
							trades++
						}
					}
				}
				if trades != benchReplayTrades {
					b.Fatalf("%d trades, want %d", trades, benchReplayTrades)
				}
			}
			report(b, benchReplayTrades)
		})
	}
}
