package builtin_test

import (
	"fmt"

	"github.com/papertrade/papertrade/strategy"
	"github.com/papertrade/papertrade/strategy/builtin"
)

// What `papertrade strategies` prints comes from the registry.
func ExampleRegister() {
	r := strategy.NewRegistry()
	builtin.Register(r)
	info, _ := r.Describe("smacross")
	fmt.Println(info.Name+":", info.Help)
	for _, p := range info.Params {
		fmt.Printf("  %-9s %-8s default %-5s range %-10s %s\n", p.Name, p.Type, p.Default, p.Range(), p.Help)
	}
	// Output:
	// smacross: SMA crossover on closed candles: market-buys size (or a fraction of the free balance) when the fast SMA crosses above the slow one, sells the position when it crosses below.
	//   fast      int      default 10    range 5:50:5     fast SMA length, in candles
	//   slow      int      default 30    range 10:200:10  slow SMA length, in candles
	//   interval  duration default 1m    range 1m:15m:1m  candle interval
	//   size      decimal  default 0.01  range            order size in base units (unless fraction is set)
	//   fraction  decimal  default 0     range            if above 0, buys spend this share of the free quote balance, not size (1 = all-in, less 0.5% for the fee)
}
