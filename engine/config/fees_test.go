package config_test

import (
	"strings"
	"testing"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

func TestRollingFeeVolume(t *testing.T) {
	const base = "strategies:\n  - {name: a, type: hold, pairs: [BTC/USD], balances: {USD: \"10000\"}}\n"
	c, err := config.Parse([]byte("fees: {volume_30d: 5000, rolling_volume: true}\n"+base), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	if sc := c.SimConfig("a"); !sc.RollingFeeVolume || sc.FeeVolume.String() != "5000" {
		t.Fatalf("SimConfig = rolling %v volume %s, want true 5000", sc.RollingFeeVolume, sc.FeeVolume)
	}
	c, err = config.Parse([]byte(base), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		t.Fatal(err)
	}
	if c.SimConfig("a").RollingFeeVolume {
		t.Fatal("rolling fee volume is on by default")
	}
	_, err = config.Parse([]byte("fees: {rolling_volume: maybe}\n"+base), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err == nil || !strings.Contains(err.Error(), "rolling_volume") {
		t.Fatalf("bad boolean: %v", err)
	}
}
