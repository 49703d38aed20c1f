package backtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/papertrade/papertrade/feed"
)

// A backtest that writes the decoded-event cache and one that reads it give byte-identical
// results to a backtest that decodes the tape; the second run reads no JSON (the cache file is
// what it replays: a damaged one is noticed).
func TestCacheGivesTheTapesResults(t *testing.T) {
	dir := t.TempDir()
	run := func(cache string) string {
		out := tempOut(t)
		if _, err := Run(context.Background(), Options{Config: loadConfig(t, goldenConfig), Registry: testRegistry(), Out: out, Version: "test", Cache: cache}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	plain := run("")
	writing := run(dir)
	files, err := filepath.Glob(filepath.Join(dir, "*.evc"))
	if err != nil || len(files) != 1 {
		t.Fatalf("cache files %v %v", files, err)
	}
	info, _ := os.Stat(files[0])
	reading := run(dir)
	for _, f := range []string{"summary.json", "fills.csv", "orders.csv", "equity.csv"} {
		want, err := os.ReadFile(filepath.Join(plain, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []string{writing, reading} {
			b, err := os.ReadFile(filepath.Join(got, f))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, want) {
				t.Errorf("%s differs with the cache (%s)", f, got)
			}
		}
	}
	t.Logf("cache file %d bytes", info.Size())

	// A cache file whose header is damaged is not trusted: the tape is decoded again and the
	// file rewritten.
	good, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[0], bytes.Repeat([]byte{0x28, 0xb5, 0x2f, 0xfd, 1}, 100), 0o644); err != nil {
		t.Fatal(err)
	}
	same := func(out string) {
		t.Helper()
		b, _ := os.ReadFile(filepath.Join(out, "fills.csv"))
		want, _ := os.ReadFile(filepath.Join(plain, "fills.csv"))
		if !bytes.Equal(b, want) {
			t.Error("fills differ")
		}
	}
	same(run(dir))
	if b, _ := os.ReadFile(files[0]); !bytes.Equal(b, good) {
		t.Error("the damaged cache file was not rewritten")
	}
	// One cut short past its header fails the replay (events already went out), is removed,
	// and the next run rebuilds it.
	if err := os.WriteFile(files[0], good[:len(good)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), Options{Config: loadConfig(t, goldenConfig), Registry: testRegistry(), Out: tempOut(t), Version: "test", Cache: dir})
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("truncated cache: %v", err)
	}
	if _, err := os.Stat(files[0]); !os.IsNotExist(err) {
		t.Fatalf("the damaged cache file is still there: %v", err)
	}
	same(run(dir))
}

// LoadEventsCached gives the events LoadEvents does, from a fresh cache and from a warm one,
// whichever pairs are selected.
func TestLoadEventsCached(t *testing.T) {
	c := loadConfig(t, goldenConfig)
	dir := t.TempDir()
	for _, pairs := range [][]feed.Pair{nil, {"BTC/USD"}} {
		want, err := LoadEvents(context.Background(), c.Data.Path, pairs, nil)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // writes, then reads
			got, err := LoadEventsCached(context.Background(), c.Data.Path, pairs, dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got.Len() != want.Len() || got.Len() == 0 {
				t.Fatalf("pairs %v: %d events from the cache, %d decoded", pairs, got.Len(), want.Len())
			}
			var a, b feed.Event
			for i := range want.Len() {
				want.event(i, &a)
				got.event(i, &b)
				if !sameEvent(&a, &b) {
					t.Fatalf("pairs %v: event %d differs:\n got %+v\nwant %+v", pairs, i, b, a)
				}
			}
		}
	}
}

func sameEvent(a, b *feed.Event) bool {
	if a.Kind != b.Kind || a.API != b.API || a.Conn != b.Conn || a.Pair != b.Pair || !a.Time.Equal(b.Time) || !a.Recv.Equal(b.Recv) {
		return false
	}
	switch a.Kind {
	case feed.KindTrade:
		x, y := a.Trade, b.Trade
		return x.Pair == y.Pair && x.Side == y.Side && x.OrdType == y.OrdType && x.ID == y.ID && x.Time.Equal(y.Time) &&
			x.Price.String() == y.Price.String() && x.Price.Exponent() == y.Price.Exponent() &&
			x.Qty.String() == y.Qty.String() && x.Qty.Exponent() == y.Qty.Exponent()
	case feed.KindBook:
		x, y := a.Book, b.Book
		if x.Pair != y.Pair || x.Snapshot != y.Snapshot || x.Checksum != y.Checksum || x.HasChecksum != y.HasChecksum || !x.Time.Equal(y.Time) || x.Depth != y.Depth || len(x.Bids) != len(y.Bids) || len(x.Asks) != len(y.Asks) {
			return false
		}
		for i := range x.Bids {
			if x.Bids[i] != y.Bids[i] {
				return false
			}
		}
		for i := range x.Asks {
			if x.Asks[i] != y.Asks[i] {
				return false
			}
		}
	}
	return true
}

// FuzzCacheReader: whatever follows a valid header, reading never panics and either ends
// cleanly or says the file is damaged.
func FuzzCacheReader(f *testing.F) {
	dir := f.TempDir()
	var key [32]byte
	w, err := newCacheWriter(dir, key)
	if err != nil {
		f.Fatal(err)
	}
	w.add(&feed.Event{Kind: feed.KindTrade, Pair: "BTC/USD", Trade: feed.Trade{Pair: "BTC/USD", Side: feed.Buy, ID: 7}})
	if err := w.commit(); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{tagPair, 7, 'B', 'T', 'C', '/', 'U', 'S', 'D', tagTrade, 2, 1, 0, 1, 1})
	f.Add([]byte{tagBook, 2, 1, 0, 0, 0, 1, 200, 1})
	f.Add([]byte{tagOther, 3, 1, 2, 3})
	f.Add([]byte{tagEnd, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		var head []byte
		head = append(head, cacheMagic...)
		head = append(head, cacheFormat)
		head = append(head, key[:]...)
		path := cachePath(dir, key)
		zw, err := zstd.NewWriter(nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, zw.EncodeAll(append(head, body...), nil), 0o644); err != nil {
			t.Fatal(err)
		}
		zw.Close()
		r, err := openCache(dir, key)
		if err != nil || r == nil {
			t.Fatalf("open: %v", err)
		}
		defer r.close()
		var ev feed.Event
		for range 10000 {
			ok, err := r.next(&ev)
			if err != nil || !ok {
				return
			}
		}
	})
}
