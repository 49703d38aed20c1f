package kraken

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

// goldenNormalize runs every incoming line of a capture through one Normalizer, as a replay
// of an unknown set-up does (the capture's client did not hang up where kraken.Client would:
// Captured), and renders "<line> <event JSON>" per event, "<line> error: …" per bad frame and
// the normaliser's counters at the end.
func goldenNormalize(t *testing.T, rel string) []byte {
	t.Helper()
	n := NewNormalizer(NormalizerConfig{Captured: true})
	var out []byte
	var evs []feed.Event
	for _, l := range readFixture(t, rel) {
		if l.Dir == "out" {
			continue
		}
		var err error
		evs, err = n.DecodeFrame(Frame{Recv: time.Unix(0, int64(l.Line)).UTC(), Raw: l.Msg}, evs[:0])
		prefix := strconv.Itoa(l.Line) + " "
		if err != nil {
			out = append(out, prefix+"error: "+err.Error()+"\n"...)
			continue
		}
		for i := range evs {
			out = append(out, prefix...)
			out = append(AppendEventJSON(out, &evs[i]), '\n')
		}
	}
	return fmt.Appendf(out, "# stats %+v\n", n.Stats())
}

// TestNormalizerGolden pins what the connection rules make of the in-repository captures
// (testdata/golden/normalized; go test -run TestNormalizerGolden -update rewrites them):
// the decoder's goldens are the frames one by one, these are what a replay trades on.
func TestNormalizerGolden(t *testing.T) {
	for _, rel := range []string{
		"docs/docs-v1-examples.jsonl",
		"docs/docs-v2-examples.jsonl",
		"kraken-async-rs/v1-2023-11-12.jsonl",
		"kraken-async-rs/v2-2024-05.jsonl",
		"cryptofeed/KRAKEN.ws.48.0.jsonl",
		"cryptofeed/KRAKEN.ws.49.0.jsonl",
		"gocryptotrader/v1-book-captures-2023-07-25.jsonl",
		"gocryptotrader/wsAllTrades.jsonl",
	} {
		t.Run(rel, func(t *testing.T) {
			got := goldenNormalize(t, rel)
			checkGolden(t, filepath.Join("testdata", "golden", "normalized", strings.TrimSuffix(rel, ".jsonl")+".golden"), got)
		})
	}
}
