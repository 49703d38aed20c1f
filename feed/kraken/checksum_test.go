package kraken

import (
	"encoding/json"
	"hash/crc32"
	"os"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// checksumVector is one entry of testdata/checksum-vectors.json (Kraken's documented examples).
type checksumVector struct {
	Name           string      `json:"name"`
	API            string      `json:"api"`
	PricePrecision *int32      `json:"price_precision"`
	QtyPrecision   *int32      `json:"qty_precision"`
	Asks           [][2]string `json:"asks_low_to_high"`
	Bids           [][2]string `json:"bids_high_to_low"`
	Input          string      `json:"checksum_input"`
	Expected       uint32      `json:"expected_crc32"`
}

func checksumVectors(t testing.TB) []checksumVector {
	t.Helper()
	b, err := os.ReadFile("testdata/checksum-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []checksumVector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) != 4 {
		t.Fatalf("%d vectors, want 4", len(f.Vectors))
	}
	return f.Vectors
}

// precisions returns the vector's instrument precisions, or -1 (use the wire text) for v1.
func (v *checksumVector) precisions() (int32, int32) {
	if v.PricePrecision == nil || v.QtyPrecision == nil {
		return -1, -1
	}
	return *v.PricePrecision, *v.QtyPrecision
}

// checksumLevels parses [price, qty] text pairs.
func checksumBookLevels(t testing.TB, rows [][2]string) []feed.BookLevel {
	t.Helper()
	out := make([]feed.BookLevel, len(rows))
	for i, r := range rows {
		p, err := feed.ParseFixed([]byte(r[0]))
		if err != nil {
			t.Fatal(err)
		}
		q, err := feed.ParseFixed([]byte(r[1]))
		if err != nil {
			t.Fatal(err)
		}
		out[i] = feed.BookLevel{Price: p, Qty: q}
	}
	return out
}

func checksumBook(t testing.TB, v *checksumVector) *feed.Book {
	t.Helper()
	b := feed.NewBook("TEST/USD", 10)
	// Feed the levels in reverse so that the book, not the input order, does the sorting.
	bids := checksumBookLevels(t, v.Bids)
	asks := checksumBookLevels(t, v.Asks)
	for i, j := 0, len(bids)-1; i < j; i, j = i+1, j-1 {
		bids[i], bids[j] = bids[j], bids[i]
	}
	for i, j := 0, len(asks)-1; i < j; i, j = i+1, j-1 {
		asks[i], asks[j] = asks[j], asks[i]
	}
	if err := b.Apply(&feed.BookUpdate{Pair: b.Pair, Snapshot: true, Bids: bids, Asks: asks}); err != nil {
		t.Fatal(err)
	}
	return b
}

// checksumInput rebuilds the text Kraken hashes, token by token, from the book.
func checksumInput(b *feed.Book, pd, qd int32) string {
	var s []byte
	for _, side := range []feed.Side{feed.Sell, feed.Buy} {
		for i := range min(b.Len(side), 10) {
			l := b.Level(side, i)
			s = appendToken(s, l.Price, pd)
			s = appendToken(s, l.Qty, qd)
		}
	}
	return string(s)
}

func TestChecksumDocVectors(t *testing.T) {
	for _, v := range checksumVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := crc32.ChecksumIEEE([]byte(v.Input)); got != v.Expected {
				t.Fatalf("vector file inconsistent: crc32(input) = %d, expected_crc32 %d", got, v.Expected)
			}
			b := checksumBook(t, &v)
			pd, qd := v.precisions()
			if got := checksumInput(b, pd, qd); got != v.Input {
				t.Errorf("checksum input\n got %s\nwant %s", got, v.Input)
			}
			if got := Checksum(b, pd, qd); got != v.Expected {
				t.Errorf("Checksum = %d, want %d", got, v.Expected)
			}
		})
	}
}

// TestChecksumMaticUpdate replays the v2 book page example: the MATIC/USD snapshot, then the
// documented update, each checked against Kraken's checksum. The docs print numbers without
// trailing zeros, so only precision 4/8 (the instrument's) gives the right checksum.
func TestChecksumMaticUpdate(t *testing.T) {
	vs := checksumVectors(t)
	var snap, after *checksumVector
	for i := range vs {
		switch vs[i].Name {
		case "v2-book-page-MATICUSD-snapshot":
			snap = &vs[i]
		case "v2-book-page-MATICUSD-after-update":
			after = &vs[i]
		}
	}
	if snap == nil || after == nil {
		t.Fatal("MATIC/USD vectors missing")
	}
	if pd, qd := snap.precisions(); pd != 4 || qd != 8 {
		t.Fatalf("MATIC/USD precisions %d/%d, want 4/8", pd, qd)
	}
	matic, ok := DefaultPairs().Lookup("MATIC/USD")
	if !ok || matic.PriceDecimals != 4 || matic.LotDecimals != 8 {
		t.Fatalf("built-in MATIC/USD precisions: %+v", matic)
	}
	pd, qd := matic.PriceDecimals, matic.LotDecimals

	b := checksumBook(t, snap)
	if got := Checksum(b, pd, qd); got != snap.Expected {
		t.Fatalf("snapshot checksum %d, want %d", got, snap.Expected)
	}
	if got := Checksum(b, -1, -1); got == snap.Expected {
		t.Error("checksum at the docs' trimmed wire precision matched; the vector no longer tests padding")
	}
	u := &feed.BookUpdate{Pair: b.Pair, Bids: []feed.BookLevel{{Price: feed.MustFixed("0.5657"), Qty: feed.MustFixed("1098.3947558")}}, Checksum: after.Expected, HasChecksum: true}
	if err := b.Apply(u); err != nil {
		t.Fatal(err)
	}
	if got := Checksum(b, pd, qd); got != u.Checksum {
		t.Errorf("after update: checksum %d, want %d", got, u.Checksum)
	}
	if got := checksumInput(b, pd, qd); got != after.Input {
		t.Errorf("after update: checksum input\n got %s\nwant %s", got, after.Input)
	}
}

func TestChecksumTokens(t *testing.T) {
	tests := []struct {
		in   string
		dec  int32
		want string
	}{
		{"0.05005", -1, "5005"},
		{"0.00000500", -1, "500"},
		{"45285.2", 1, "452852"},
		{"0.001", 8, "100000"},
		{"4.0", 8, "400000000"},
		{"0.567", 4, "5670"},
		{"36304.0847022", 8, "3630408470220"},
		{"0.12290", -1, "12290"}, // trailing zero kept at wire precision
		{"0.12290", 4, "1229"},   // dropping a zero digit is exact
		{"0.12345", 2, "12345"},  // would lose digits: wire precision kept
		{"1e-08", 8, "1"},
		{"12", 0, "12"},
	}
	for _, tt := range tests {
		if got := string(appendToken(nil, feed.MustFixed(tt.in), tt.dec)); got != tt.want {
			t.Errorf("appendToken(%s, %d) = %q, want %q", tt.in, tt.dec, got, tt.want)
		}
	}
}

func TestChecksumEmptyAndShortBook(t *testing.T) {
	b := feed.NewBook("GST/EUR", 10)
	if got := Checksum(b, -1, -1); got != 0 {
		t.Errorf("empty book checksum %d, want 0 (CRC32 of nothing)", got)
	}
	// Fewer than 10 levels: only the levels present are hashed.
	if err := b.Apply(&feed.BookUpdate{Snapshot: true,
		Bids: []feed.BookLevel{{Price: feed.MustFixed("1.50"), Qty: feed.MustFixed("2.0")}},
		Asks: []feed.BookLevel{{Price: feed.MustFixed("1.60"), Qty: feed.MustFixed("0.5")}},
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := Checksum(b, -1, -1), crc32.ChecksumIEEE([]byte("1605"+"15020")); got != want {
		t.Errorf("short book checksum %d, want %d", got, want)
	}
}

// BenchmarkChecksum measures the checksum of a full 10-level book (the v2 guide example).
func BenchmarkChecksum(b *testing.B) {
	vs := checksumVectors(b)
	book := checksumBook(b, &vs[1])
	pd, qd := vs[1].precisions()
	b.ReportAllocs()
	var sink uint32
	for b.Loop() {
		sink += Checksum(book, pd, qd)
	}
	if sink == 1 {
		b.Log(sink)
	}
}
