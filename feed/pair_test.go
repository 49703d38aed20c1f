package feed

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestParsePair(t *testing.T) {
	tests := []struct {
		in, base, quote string
		ok              bool
	}{
		{"BTC/USD", "BTC", "USD", true},
		{"DOGE/EUR", "DOGE", "EUR", true},
		{"ETH/BTC", "ETH", "BTC", true},
		{"XBT/USD", "XBT", "USD", true}, // well-formed; whether it exists is the pair table's business
		{"1INCH/EUR", "1INCH", "EUR", true},
		{"", "", "", false},
		{"BTCUSD", "", "", false},
		{"/USD", "", "", false},
		{"BTC/", "", "", false},
		{"/", "", "", false},
		{"BTC/USD/EUR", "", "", false},
		{"BTC//USD", "", "", false},
		{"BTC /USD", "", "", false},
		{"BTC/USD\n", "", "", false},
		{"BTC/\tUSD", "", "", false},
	}
	for _, tt := range tests {
		p, err := ParsePair(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParsePair(%q) error %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if !tt.ok {
			if !strings.Contains(err.Error(), "BASE/QUOTE") {
				t.Errorf("ParsePair(%q) error %q does not say what is expected", tt.in, err)
			}
			continue
		}
		if p.Base() != tt.base || p.Quote() != tt.quote || p.String() != tt.in {
			t.Errorf("ParsePair(%q) = %q base %q quote %q", tt.in, p, p.Base(), p.Quote())
		}
	}
	// A Pair that was never parsed still answers.
	if p := Pair("BTCUSD"); p.Base() != "BTCUSD" || p.Quote() != "" {
		t.Errorf("Pair(BTCUSD) base %q quote %q", p.Base(), p.Quote())
	}
}

func FuzzParsePair(f *testing.F) {
	for _, s := range []string{"BTC/USD", "BTCUSD", "/", "a/b/c", "BTC /USD", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePair(s)
		if err != nil {
			return
		}
		if p.Base() == "" || p.Quote() == "" || p.Base()+"/"+p.Quote() != s || strings.ContainsAny(s, " \t\r\n") {
			t.Fatalf("ParsePair(%q) accepted base %q quote %q", s, p.Base(), p.Quote())
		}
	})
}

func TestPairInfoFee(t *testing.T) {
	d := decimal.RequireFromString
	info := &PairInfo{
		Pair: "BTC/USD",
		Taker: []FeeTier{
			{Volume: d("0"), Percent: d("0.40")},
			{Volume: d("10000"), Percent: d("0.35")},
			{Volume: d("50000"), Percent: d("0.24")},
			{Volume: d("10000000"), Percent: d("0.10")},
		},
		Maker: []FeeTier{
			{Volume: d("0"), Percent: d("0.25")},
			{Volume: d("10000"), Percent: d("0.20")},
			{Volume: d("10000000"), Percent: d("0.00")},
		},
	}
	tests := []struct {
		maker  bool
		volume string
		want   string
	}{
		{false, "0", "0.40"},
		{false, "9999.99", "0.40"},
		{false, "10000", "0.35"}, // a threshold belongs to its tier
		{false, "49999.999999", "0.35"},
		{false, "50000", "0.24"},
		{false, "123456789", "0.10"},
		{false, "-1", "0"}, // below every tier
		{true, "0", "0.25"},
		{true, "10000", "0.20"},
		{true, "10000000", "0.00"},
	}
	for _, tt := range tests {
		if got := info.Fee(tt.maker, d(tt.volume)); !got.Equal(d(tt.want)) {
			t.Errorf("Fee(maker=%v, %s) = %s, want %s", tt.maker, tt.volume, got, tt.want)
		}
	}
	if got := (&PairInfo{}).Fee(false, d("100")); !got.IsZero() {
		t.Errorf("empty schedule: Fee = %s, want 0", got)
	}
}
