package tape_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
	"github.com/papertrade/papertrade/feed/tape"
)

func synthConfig(t *testing.T, dir string, api feed.API) tape.SynthConfig {
	t.Helper()
	var pcs []synth.PairConfig
	for p, price := range map[feed.Pair]int64{"BTC/USD": 60000} {
		info, _ := kraken.DefaultPairs().Lookup(p)
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.NewFromInt(price), Depth: 10})
	}
	return tape.SynthConfig{Dir: dir, Trades: 500, API: api, Market: synth.Config{Seed: 7, Start: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Pairs: pcs}}
}

// WriteSynth's recording holds exactly the frames SynthFrames yields, and the same config
// writes the same bytes again.
func TestWriteSynth(t *testing.T) {
	for _, api := range []feed.API{feed.APIV2, feed.APIV1} {
		t.Run(api.String(), func(t *testing.T) {
			var want []tape.Frame
			live, err := tape.SynthFrames(context.Background(), synthConfig(t, "", api), func(f tape.Frame) error {
				f.Raw = bytes.Clone(f.Raw)
				want = append(want, f)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if live.Trades != 500 || live.Frames != int64(len(want)) || live.Books == 0 {
				t.Errorf("SynthFrames stats %+v for %d frames; want 500 trades and some books", live, len(want))
			}
			var segs [2][]byte
			for i := range segs {
				dir := t.TempDir()
				st, err := tape.WriteSynth(context.Background(), synthConfig(t, dir, api))
				if err != nil {
					t.Fatal(err)
				}
				if st.Trades != live.Trades || st.Frames != live.Frames || st.Writer.Bytes == 0 {
					t.Errorf("WriteSynth stats %+v; want those of SynthFrames %+v", st, live)
				}
				files, _ := filepath.Glob(filepath.Join(dir, "*", "*"+tape.SegmentSuffix))
				if len(files) != 1 {
					t.Fatalf("segments %v; want one", files)
				}
				if segs[i], err = os.ReadFile(files[0]); err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					checkRecording(t, dir, want)
				}
			}
			if !bytes.Equal(segs[0], segs[1]) {
				t.Error("the same config wrote different bytes")
			}
		})
	}
}

func checkRecording(t *testing.T, dir string, want []tape.Frame) {
	t.Helper()
	r, err := tape.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for f, err := range r.Frames(context.Background(), tape.Range{}) {
		if err != nil {
			t.Fatal(err)
		}
		if n >= len(want) || !f.Recv.Equal(want[n].Recv) || f.API != want[n].API || !bytes.Equal(f.Raw, want[n].Raw) {
			t.Fatalf("frame %d: recorded %s %s", n, f.Recv, f.Raw)
		}
		n++
	}
	if n != len(want) {
		t.Errorf("recorded %d frames; want %d", n, len(want))
	}
}

func TestSynthConfigErrors(t *testing.T) {
	cfg := synthConfig(t, t.TempDir(), feed.APIV2)
	cfg.Channels = []string{"ticker"}
	if _, err := tape.WriteSynth(context.Background(), cfg); err == nil {
		t.Error("WriteSynth accepted channel ticker")
	}
	cfg = synthConfig(t, t.TempDir(), feed.APIV2)
	cfg.Trades = 0
	if _, err := tape.SynthFrames(context.Background(), cfg, func(tape.Frame) error { return nil }); err == nil {
		t.Error("SynthFrames accepted 0 trades")
	}
}
