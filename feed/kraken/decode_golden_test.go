package kraken

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/papertrade/papertrade/feed"
)

var updateGolden = flag.Bool("update", false, "rewrite the decoder's golden files in testdata/golden")

// goldenDecode decodes every incoming line of a capture with one Decoder, as a connection
// would, and renders "<line> <event JSON>" per event, "<line> error: …" per bad frame and the
// decoder's stats at the end.
func goldenDecode(t *testing.T, rel string) []byte {
	t.Helper()
	d := NewDecoder()
	var out []byte
	var evs []feed.Event
	for _, l := range readFixture(t, rel) {
		if l.Dir == "out" {
			continue
		}
		var err error
		evs, err = d.Decode(l.Msg, time.Time{}, evs[:0])
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
	out = fmt.Appendf(out, "# stats %+v\n", d.Stats())
	return out
}

// TestGolden decodes the captures into testdata/golden. Captures copied into the repository
// get a readable golden file; the ones read from the shared folder (licence) only a SHA-256
// of the output, so that no derived data is committed.
func TestGolden(t *testing.T) {
	readable := []string{
		"docs/docs-v1-examples.jsonl",
		"docs/docs-v2-examples.jsonl",
		"kraken-async-rs/v1-2023-11-12.jsonl",
		"kraken-async-rs/v2-2024-05.jsonl",
		"cryptofeed/KRAKEN.ws.48.0.jsonl",
		"cryptofeed/KRAKEN.ws.49.0.jsonl",
		"gocryptotrader/v1-book-captures-2023-07-25.jsonl",
		"gocryptotrader/wsAllTrades.jsonl",
	}
	hashed := []string{
		"python-kraken-sdk/orderbook-v1.jsonl",
		"python-kraken-sdk/orderbook-v1-2023-05-29.jsonl",
		"python-kraken-sdk/orderbook-v2.jsonl",
	}
	for _, rel := range readable {
		t.Run(rel, func(t *testing.T) {
			got := goldenDecode(t, rel)
			checkGolden(t, filepath.Join("testdata", "golden", strings.TrimSuffix(rel, ".jsonl")+".golden"), got)
			if bytes.Contains(got, []byte(" error: ")) {
				t.Errorf("%s has frames that do not decode:\n%s", rel, grepLines(got, " error: "))
			}
		})
	}
	for _, rel := range hashed {
		t.Run(rel, func(t *testing.T) {
			got := goldenDecode(t, rel)
			sum := sha256.Sum256(got)
			line := fmt.Sprintf("sha256 %s  %d lines of decoder output\n", hex.EncodeToString(sum[:]), bytes.Count(got, []byte("\n")))
			checkGolden(t, filepath.Join("testdata", "golden", strings.TrimSuffix(rel, ".jsonl")+".sha256"), []byte(line))
			if bytes.Contains(got, []byte(" error: ")) {
				t.Errorf("%s has frames that do not decode:\n%s", rel, grepLines(got, " error: "))
			}
		})
	}
}

func grepLines(b []byte, sub string) string {
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *updateGolden {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at output line %d:\n got %s\nwant %s\n(run go test -run TestGolden -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}
