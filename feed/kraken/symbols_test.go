package kraken

import (
	"testing"

	"github.com/papertrade/papertrade/feed"
)

func TestSymbolMapping(t *testing.T) {
	tests := []struct {
		v1 string
		v2 feed.Pair
	}{
		{"XBT/USD", "BTC/USD"},
		{"XDG/USD", "DOGE/USD"},
		{"ETH/XBT", "ETH/BTC"},
		{"XDG/XBT", "DOGE/BTC"},
		{"ETH/USD", "ETH/USD"},
		{"LUNA/EUR", "LUNA/EUR"},
	}
	for _, tt := range tests {
		if got := V1ToV2(tt.v1); got != tt.v2 {
			t.Errorf("V1ToV2(%q) = %q, want %q", tt.v1, got, tt.v2)
		}
		if got := V2ToV1(tt.v2); got != tt.v1 {
			t.Errorf("V2ToV1(%q) = %q, want %q", tt.v2, got, tt.v1)
		}
	}
	// A v2 name in a v1 frame (Kraken's v1 book guide prints "BTC/USD") maps to itself.
	if got := V1ToV2("BTC/USD"); got != "BTC/USD" {
		t.Errorf("V1ToV2(BTC/USD) = %q", got)
	}
	// Malformed names pass through unchanged rather than being invented.
	if got := V1ToV2("XBTUSD"); got != "XBTUSD" {
		t.Errorf("V1ToV2(XBTUSD) = %q", got)
	}
	if got := V2ToV1("BTCUSD"); got != "BTCUSD" {
		t.Errorf("V2ToV1(BTCUSD) = %q", got)
	}
}

func TestSymbolTableInterns(t *testing.T) {
	var tab symbolTable
	name := []byte("XBT/USD")
	p1, ok := tab.pair(feed.APIV1, name)
	if !ok || p1 != "BTC/USD" {
		t.Fatalf("pair(v1 XBT/USD) = %q, %v", p1, ok)
	}
	allocs := testing.AllocsPerRun(100, func() {
		p, _ := tab.pair(feed.APIV1, name)
		if p != "BTC/USD" {
			t.Fatal(p)
		}
	})
	if allocs != 0 {
		t.Errorf("known v1 name allocates %.0f times per lookup, want 0", allocs)
	}
	if p, ok := tab.pair(feed.APIV2, []byte("XBT/USD")); !ok || p != "XBT/USD" {
		t.Errorf("v2 names are not mapped: got %q, %v", p, ok)
	}
	for _, bad := range []string{"", "/", "BTC/", "/USD", "BTCUSD", "A/B/C", "BTC /USD", "BTC/\x00"} {
		if p, ok := tab.pair(feed.APIV2, []byte(bad)); ok {
			t.Errorf("pair(%q) = %q, want rejection", bad, p)
		}
	}
}

func TestSymbolTableBounded(t *testing.T) {
	var tab symbolTable
	for i := range maxInterned + 100 {
		name := []byte{'A', byte('A' + i%26), byte('A' + i/26%26), byte('A' + i/676%26), '/', 'U', 'S', 'D'}
		if _, ok := tab.pair(feed.APIV2, name); !ok {
			t.Fatalf("pair(%q) rejected", name)
		}
	}
	if len(tab.v2) > maxInterned {
		t.Errorf("intern table grew to %d entries, cap is %d", len(tab.v2), maxInterned)
	}
}
