package main

import (
	"testing"

	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/strategytest"
)

// The conformance suite every strategy should pass: deterministic, survives no events,
// rejections and partial fills, never keeps its Context.
func TestMomentumConforms(t *testing.T) {
	strategytest.Run(t, New, strategy.Params{"lookback": "10"}, nil)
}
