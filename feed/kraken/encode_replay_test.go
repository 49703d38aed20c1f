package kraken_test

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/feed/kraken"
)

// TestEncoderRefusesWhatDecoderRefuses: a trade frame the Encoder writes decodes again, so
// numbers that would be more than 18 digits on the wire (the decoder's "too many digits") are
// refused when written (issue 15 item 10: fuzzing found 2^62 prices written and then refused).
func TestEncoderRefusesWhatDecoderRefuses(t *testing.T) {
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name       string
		pair       feed.Pair
		price, qty string
		ok         bool
	}{
		{"ordinary", "BTC/USD", "97000.1", "0.5", true},
		{"18 digits at the pair's decimals", "DOGE/USD", "99999999999.9999999", "1", true},
		{"price 2^62", "BTC/USD", "4611686018427387904", "1", false},
		{"price 1e11 at DOGE/USD's 7 decimals", "DOGE/USD", "100000000000", "1", false},
		{"qty 2e10 at 8 decimals", "DOGE/USD", "0.1", "20000000000", false},
	} {
		for _, api := range []feed.API{feed.APIV1, feed.APIV2} {
			t.Run(tc.name+"/"+api.String(), func(t *testing.T) {
				enc, err := kraken.NewEncoder(api)
				if err != nil {
					t.Fatal(err)
				}
				tr := feed.Trade{Pair: tc.pair, Side: feed.Buy, Price: decimal.RequireFromString(tc.price), Qty: decimal.RequireFromString(tc.qty), ID: 1, Time: at}
				frame, err := enc.AppendTrades(nil, false, []feed.Trade{tr})
				if !tc.ok {
					if err == nil || !strings.Contains(err.Error(), "18 digits") {
						t.Fatalf("encoded %s (err %v), want a refusal naming 18 digits", frame, err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if _, err := kraken.NewDecoder().Decode(frame, at, nil); err != nil {
					t.Fatalf("%s does not decode: %v", frame, err)
				}
			})
		}
	}
}
