package strategytest

import (
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// The cheap account queries of strategy.Context, like the engine's: no copy, no allocation
// beyond dst's growth.

func (v *view) OpenOrderCount(pair feed.Pair) int {
	if !v.ok("OpenOrderCount") {
		return 0
	}
	n := 0
	for _, o := range v.c.open {
		if pair == "" || o.Pair == pair {
			n++
		}
	}
	return n
}

func (v *view) AppendOpenOrders(dst []strategy.Order, pair feed.Pair) []strategy.Order {
	if !v.ok("AppendOpenOrders") {
		return dst
	}
	for _, o := range v.c.open {
		if pair == "" || o.Pair == pair {
			dst = append(dst, o.Order)
		}
	}
	return dst
}
