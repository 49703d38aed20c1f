package tape

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/feedtest"
	"github.com/papertrade/papertrade/feed/kraken"
	"github.com/papertrade/papertrade/feed/synth"
)

// replaySource opens the recording in dir for each source and replays it through a fresh
// Normalizer of cfg, as backtests and session replays do.
func replaySource(dir string, cfg kraken.NormalizerConfig) func(t *testing.T) feed.Source {
	return func(t *testing.T) feed.Source {
		r, err := Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		return r.Source(kraken.NewNormalizer(cfg), Filter{})
	}
}

// TestSourceConformance runs feed/feedtest's suite on replays of recordings of real Kraken
// captures (feed/kraken's testdata, v1 and v2, each its own recording, through the
// Normalizer a replay uses), rotated into several segments so batches span files.
func TestSourceConformance(t *testing.T) {
	for i, fx := range krakenFixtures {
		t.Run(strings.TrimSuffix(fx.file, ".jsonl"), func(t *testing.T) {
			frames := loadFixture(t, fx.file, fx.api, 1, t0.Add(time.Duration(i)*time.Hour))
			dir := t.TempDir()
			write(t, dir, frames, WithName(fmt.Sprintf("fx%d", i)), WithMaxSegmentAge(time.Minute), WithFlushInterval(0))
			feedtest.Run(t, replaySource(dir, kraken.NormalizerConfig{API: fx.api, Captured: true}), feedtest.Deterministic())
		})
	}
}

// TestImportConformance: Kraken's Time-and-Sales CSV, imported into a recording, replays as a
// conforming source (trades without ids, tick-rule sides, one frame per run of same-time
// trades).
func TestImportConformance(t *testing.T) {
	const csv = "1381095255,122.0,0.1\n1381095255,123.00000,0.2\n1381095255,123,0.05\n1381095260,122.5,1.10448420\n" +
		"1381095262,122.4,2\n1381095263,122.60,0.00000001\n1381095263.5,122.6,3\n1381095300,121,0.5\n"
	dir := t.TempDir()
	w, err := NewWriter(dir, WithFlushInterval(0), WithName("imp"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := ImportCSV(context.Background(), strings.NewReader(csv), w, "BTC/USD")
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if st.Trades != 8 {
		t.Fatalf("imported %+v", st)
	}
	feedtest.Run(t, replaySource(dir, kraken.NormalizerConfig{}), feedtest.Deterministic())
}

// TestSynthTapeConformance: a generated recording (WriteSynth, what `tape synth` writes), v1
// and v2, replayed through the Normalizer configured as its manifest says, conforms, and
// every book checksum the frames carry verifies on the suite's own books.
func TestSynthTapeConformance(t *testing.T) {
	pairs := kraken.DefaultPairs()
	var pcs []synth.PairConfig
	for _, pp := range []struct {
		pair  feed.Pair
		price int64
	}{{"BTC/USD", 60000}, {"ETH/USD", 3000}} {
		info, ok := pairs.Lookup(pp.pair)
		if !ok {
			t.Fatalf("%s not in the default table", pp.pair)
		}
		pcs = append(pcs, synth.PairConfig{Info: *info, StartPrice: decimal.NewFromInt(pp.price), Depth: 10})
	}
	for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
		t.Run(api.String(), func(t *testing.T) {
			dir := t.TempDir()
			cfg := SynthConfig{Dir: dir, Trades: 2000, API: api, Market: synth.Config{Seed: 9, Start: t0, Pairs: pcs}}
			if _, err := WriteSynth(context.Background(), cfg); err != nil {
				t.Fatal(err)
			}
			ncfg := kraken.NormalizerConfig{API: api, Pairs: []feed.Pair{"BTC/USD", "ETH/USD"}, Channels: []string{"trade", "book"}, Depth: 10}
			feedtest.Run(t, replaySource(dir, ncfg), feedtest.Deterministic(),
				feedtest.VerifyBook(10, func(b *feed.Book, u *feed.BookUpdate) error {
					if !u.HasChecksum {
						return nil
					}
					pd, qd := int32(-1), int32(-1)
					if info, ok := pairs.Lookup(u.Pair); ok && api == feed.APIV2 {
						pd, qd = info.PriceDecimals, info.LotDecimals
					}
					if got := kraken.Checksum(b, pd, qd); got != u.Checksum {
						return fmt.Errorf("%s checksum %d, the frame says %d", u.Pair, got, u.Checksum)
					}
					return nil
				}))
		})
	}
}
