package synth

import (
	"fmt"
	"hash/fnv"
	"testing"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// TestChecksumStable replays two identical runs into books and requires the same Kraken
// checksum after every book event (the value the test server will send).
func TestChecksumStable(t *testing.T) {
	run := func() (uint64, int) {
		cfg := testConfig(77)
		v, err := NewVerifier(cfg)
		if err != nil {
			t.Fatal(err)
		}
		h := fnv.New64a()
		m := mustNew(t, cfg)
		evs := generate(t, cfg, 20_000)
		for i := range evs {
			if err := v.Check(&evs[i]); err != nil {
				t.Fatal(err)
			}
			if evs[i].Kind != feed.KindBook {
				continue
			}
			info, _ := m.Info(evs[i].Pair)
			sum := kraken.Checksum(v.Book(evs[i].Pair), info.PriceDecimals, info.LotDecimals)
			fmt.Fprintf(h, "%s %d\n", evs[i].Pair, sum)
		}
		return h.Sum64(), len(evs)
	}
	a, n := run()
	b, _ := run()
	if a != b {
		t.Fatalf("checksum digests of two identical runs differ: %x, %x", a, b)
	}
	t.Logf("%d events, digest %x", n, a)
}
