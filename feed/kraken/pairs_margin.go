package kraken

import (
	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/feed"
)

// builtinMargin holds the spot margin terms of built-in pairs, only where a captured AssetPairs
// response shows them: XBTUSDT in the REST response of 2025-11-10 that nautilus_trader
// recorded (leverage_buy and leverage_sell 2-10, margin_call 80, margin_stop 40,
// long_position_limit and short_position_limit 80). Other pairs get their terms from a saved
// AssetPairs response (--pairs-file) or the live table; without them a leveraged order is
// refused ("EGeneral:Invalid arguments:leverage").
var builtinMargin = map[feed.Pair]feed.PairInfo{
	"BTC/USDT": {
		LeverageBuy: []int{2, 3, 4, 5, 6, 7, 8, 9, 10}, LeverageSell: []int{2, 3, 4, 5, 6, 7, 8, 9, 10},
		MarginCall: decimal.NewFromInt(80), MarginStop: decimal.NewFromInt(40),
		LongPositionLimit: decimal.NewFromInt(80), ShortPositionLimit: decimal.NewFromInt(80),
	},
}

// withMargin sets info's margin terms from builtinMargin, when it lists the pair.
func withMargin(info *feed.PairInfo) {
	m, ok := builtinMargin[info.Pair]
	if !ok {
		return
	}
	info.LeverageBuy, info.LeverageSell = append([]int(nil), m.LeverageBuy...), append([]int(nil), m.LeverageSell...)
	info.MarginCall, info.MarginStop = m.MarginCall, m.MarginStop
	info.LongPositionLimit, info.ShortPositionLimit = m.LongPositionLimit, m.ShortPositionLimit
}
