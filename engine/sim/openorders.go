package sim

import (
	"github.com/papertrade/papertrade/feed"
	"github.com/papertrade/papertrade/strategy"
)

// OpenOrderCount returns how many orders on pair (every pair when pair is empty) are live
// (pending or open): len(OpenOrders(pair)) without building the slice. It does not allocate,
// so a strategy can ask on every trade.
func (e *Exchange) OpenOrderCount(pair feed.Pair) int {
	n := 0
	for _, o := range e.live {
		if pair == "" || o.o.Pair == pair {
			n++
		}
	}
	return n
}

// AppendOpenOrders appends the live orders on pair (every pair when pair is empty), in
// submission order, to dst and returns the extended slice. It allocates only when dst runs
// out of capacity, so a caller that reuses its buffer reads its orders without allocating.
func (e *Exchange) AppendOpenOrders(dst []strategy.Order, pair feed.Pair) []strategy.Order {
	for _, o := range e.live {
		if pair == "" || o.o.Pair == pair {
			dst = append(dst, o.o)
		}
	}
	return dst
}
