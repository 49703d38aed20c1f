package config_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// The margin block sets the simulator's opening and rollover rates per asset lent.
func TestMarginRates(t *testing.T) {
	const base = "strategies:\n  - {name: a, type: hold, pairs: [BTC/USD], balances: {USD: \"10000\"}}\n"
	c, err := config.Parse([]byte("margin:\n  opening: {USD: 0.03, BTC: \"0.015\"}\n  rollover: {BTC: 0.005}\n"+base), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	sc := c.SimConfig("a")
	if got := sc.MarginRates["USD"].String() + " " + sc.MarginRates["BTC"].String() + " " + sc.RolloverRates["BTC"].String(); got != "0.03 0.015 0.005" || len(sc.RolloverRates) != 1 {
		t.Fatalf("opening USD, BTC, rollover BTC = %s (%d rollover rates); want 0.03 0.015 0.005 (1)", got, len(sc.RolloverRates))
	}

	// Without the block nothing is set, and the simulator settings marshal as they did before
	// the block existed (node.ConfigHash hashes them: old journals stay this config's).
	c, err = config.Parse([]byte(base), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	if sc := c.SimConfig("a"); sc.MarginRates != nil || sc.RolloverRates != nil {
		t.Fatalf("rates without a margin block: %v %v", sc.MarginRates, sc.RolloverRates)
	}
	if b, _ := json.Marshal(c.Sim); strings.Contains(string(b), "Margin") {
		t.Fatalf("sim settings without a margin block marshal with margin keys: %s", b)
	}

	for _, tc := range []struct{ name, yaml, want string }{
		{"negative", "margin: {opening: {USD: -0.01}}", "margin.opening.USD: -0.01% is outside 0..1%"},
		{"above 1%", "margin: {rollover: {BTC: 2}}", "margin.rollover.BTC: 2% is outside 0..1%"},
		{"not a number", "margin: {opening: {USD: lots}}", `want a decimal number, got "lots"`},
		{"not a mapping", "margin: {opening: 0.02}", "want a mapping of asset to percent"},
		{"unknown key", "margin: {close: {USD: 0.02}}", "close"},
		{"not an asset", "margin: {opening: {\"BTC/USD\": 0.02}}", `"BTC/USD" is not an asset name`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.Parse([]byte(tc.yaml+"\n"+base), "run.yaml", testRegistry(), kraken.DefaultPairs())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// The example config's margin lines, uncommented, load and set what their comments say.
func TestExampleMarginBlock(t *testing.T) {
	var b strings.Builder
	for _, line := range strings.SplitAfter(config.ExampleYAML, "\n") {
		if strings.HasPrefix(line, "# margin:") || strings.HasPrefix(line, "#   opening:") || strings.HasPrefix(line, "#   rollover:") {
			b.WriteString(strings.TrimPrefix(line, "# "))
		}
	}
	if !strings.HasPrefix(b.String(), "margin:\n") {
		t.Fatalf("the example config's commented margin block is missing or changed:\n%s", b.String())
	}
	b.WriteString("strategies:\n  - {name: a, type: hold, pairs: [BTC/USD], balances: {USD: \"10000\"}}\n")
	c, err := config.Parse([]byte(b.String()), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Sim.MarginOpening["USD"].String() + " " + c.Sim.MarginOpening["BTC"].String() + " " + c.Sim.MarginRollover["USD"].String(); got != "0.025 0.01 0.025" {
		t.Fatalf("margin rates %s", got)
	}
}
