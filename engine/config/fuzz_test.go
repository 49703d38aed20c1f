package config_test

import (
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// FuzzParse: any input gives a config or an error, never a panic, and a config it accepts
// builds its instances.
func FuzzParse(f *testing.F) {
	f.Add([]byte(good))
	f.Add([]byte(base))
	f.Add([]byte(config.ExampleYAML))
	f.Add([]byte("a: &x {b: 1}\nc: *x\n<<: *x\n"))
	f.Add([]byte("strategies:\n  - &s {name: a, type: hold, pairs: [BTC/USD], balances: {USD: 1}}\n  - <<: *s\n    name: b\n"))
	f.Add([]byte("seed: 1\n---\nseed: 2\n"))
	reg := testRegistry()
	pairs := kraken.DefaultPairs()
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := config.Parse(b, "f.yaml", reg, pairs)
		if err != nil {
			return
		}
		if len(c.Strategies) == 0 {
			t.Fatal("accepted a config without strategies")
		}
		if _, err := instances(c, reg); err != nil {
			t.Fatalf("accepted config does not build: %v", err)
		}
	})
}
