package kraken

import (
	"strings"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// BTC/USDT carries the margin terms of the captured AssetPairs (2025-11); a pair without a
// capture has none; a saved AssetPairs response's terms replace the built-in ones.
func TestBuiltinMarginTerms(t *testing.T) {
	p := DefaultPairs()
	info, ok := p.Lookup("BTC/USDT")
	if !ok || !info.Marginable(feed.Sell, 10) || info.Marginable(feed.Sell, 11) || info.MarginStop.String() != "40" || info.ShortPositionLimit.String() != "80" {
		t.Fatalf("BTC/USDT margin terms %v %v %s %s", info.LeverageBuy, info.LeverageSell, info.MarginStop, info.ShortPositionLimit)
	}
	if eth, _ := p.Lookup("ETH/USD"); eth.Marginable(feed.Buy, 2) {
		t.Fatalf("ETH/USD has margin terms without a capture: %v", eth.LeverageBuy)
	}
	saved := `{"error":[],"result":{"XETHZUSD":{"altname":"ETHUSD","wsname":"ETH/USD","pair_decimals":2,"lot_decimals":8,
		"leverage_buy":[2,3],"leverage_sell":[2],"margin_call":80,"margin_stop":40,"long_position_limit":1000,"short_position_limit":600}}}`
	loaded, err := ParseAssetPairs(strings.NewReader(saved))
	if err != nil {
		t.Fatal(err)
	}
	p.Merge(loaded)
	eth, _ := p.Lookup("ETH/USD")
	if !eth.Marginable(feed.Buy, 3) || eth.Marginable(feed.Sell, 3) || eth.MarginCall.String() != "80" || eth.ShortPositionLimit.String() != "600" {
		t.Fatalf("merged ETH/USD margin terms %v %v %s %s", eth.LeverageBuy, eth.LeverageSell, eth.MarginCall, eth.ShortPositionLimit)
	}
}
