package config_test

import (
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Issue 15 item 18: configs that passed validation and failed later (an empty name, a lone
// "-" in strategies) and absurd values are refused at load, each with a message that names
// the bound.
func TestBounds(t *testing.T) {
	const inst = "strategies:\n  - {name: x, type: cross, pairs: [BTC/USD], balances: {USD: 100}}\n"
	for _, tc := range []struct {
		name, yaml, want string
	}{
		{"empty name", "strategies:\n  - {name: \"\", type: hold, pairs: [BTC/USD], balances: {USD: 100}}\n", "empty: every instance needs a unique name"},
		{"lone dash", "strategies:\n  -\n", "strategies[0]: empty entry"},
		{"lone dash in a flow list", "strategies: [ - ]\n", "YAML syntax"},
		{"lone dash among instances", "strategies:\n  - {name: x, type: hold, pairs: [BTC/USD], balances: {USD: 100}}\n  -\n", "strategies[1]: empty entry"},
		{"null entry", "strategies: [~]\n", "strategies[0]: empty entry"},
		{"44-digit balance", "strategies:\n  - {name: x, type: hold, pairs: [BTC/USD], balances: {USD: 12345678901234567890123456789012345678901234}}\n", "above 1000000000000000"},
		{"balance with 30 decimals", "strategies:\n  - {name: x, type: hold, pairs: [BTC/USD], balances: {USD: 0.000000000000000000000000000001}}\n", "more than 18 decimal places"},
		{"1e30 size", "strategies:\n  - {name: x, type: cross, pairs: [BTC/USD], balances: {USD: 100}, params: {size: 1e30}}\n", "beyond ±1000000000000000"},
		{"-1e30 size", "strategies:\n  - {name: x, type: cross, pairs: [BTC/USD], balances: {USD: 100}, params: {size: -1e30}}\n", "beyond ±1000000000000000"},
		{"100000h latency", "latency: 100000h\n" + inst, "latency: 100000h is above 1m"},
		{"jitter of a day", "jitter: 1d\n" + inst, "jitter: 1d is above 1m"},
		{"equity_interval 1ns", "equity_interval: 1ns\n" + inst, "equity_interval: 1ns is below 1s"},
		{"equity_interval 1y", "equity_interval: 52w\n" + inst, "equity_interval: 52w is above 30d"},
		{"slippage 1e30", "slippage_bps: 1e30\n" + inst, "slippage_bps: 1e30 is above 10000"},
		{"fee volume 1e40", "fees: {volume_30d: 1e40}\n" + inst, "above 1000000000000000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml), "b.yaml", testRegistry(), kraken.DefaultPairs())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Parse = %v\nwant an error containing %q", err, tc.want)
			}
		})
	}
	// The bounds themselves are accepted.
	ok := "latency: 1m\njitter: 1m\nequity_interval: 1s\nslippage_bps: 10000\nfees: {volume_30d: 1000000000000000}\n" +
		"strategies:\n  - {name: x, type: cross, pairs: [BTC/USD], balances: {USD: 1000000000000000, BTC: 0.000000000000000001}, params: {size: \"1000000000000000\"}}\n"
	if _, err := config.Parse([]byte(ok), "ok.yaml", testRegistry(), kraken.DefaultPairs()); err != nil {
		t.Fatalf("values at the bounds refused: %v", err)
	}
	if _, err := config.Parse([]byte("equity_interval: 30d\n"+inst), "ok.yaml", testRegistry(), kraken.DefaultPairs()); err != nil {
		t.Fatalf("equity_interval 30d refused: %v", err)
	}
}
