// Command mystrategy is papertrade with one more strategy: the whole CLI (backtest, live,
// sweep, strategies …) with "momentum" registered beside the built-in samples.
package main

import "github.com/papertrade/papertrade/cmd/cli"

func main() {
	reg := cli.DefaultRegistry() // the built-in samples
	reg.Register("momentum", New, Params{}, "Buys after the price rose over the last lookback trades, sells after it fell.")
	cli.Main(reg)
}
