package config_test

import (
	"fmt"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// Loading a config checks it against the registry and the pair table; backtest.NewInstance
// then builds fresh engine instances from it.
func ExampleParse() {
	const run = `
seed: 1
fill_models: [pessimistic, optimistic]
strategies:
  - name: fast
    type: cross
    pairs: [BTC/USD]
    balances: {USD: "5000"}
    params: {fast: 3, slow: 8}
`
	c, err := config.Parse([]byte(run), "run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		fmt.Println(err)
		return
	}
	ins, err := instances(c, testRegistry())
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range ins {
		fmt.Println(in.Name, in.Type, in.Pairs, in.Balances[0].Asset, in.Balances[0].Amount, in.AccountCurrency, in.Sim.Latency)
	}
	fmt.Println("models:", c.Models())

	_, err = config.Parse([]byte("strategies:\n  - {name: x, type: cross, pairs: [BTC/USD], balances: {USD: -1}}\n"), "bad.yaml", testRegistry(), kraken.DefaultPairs())
	fmt.Println(err)
	// Output:
	// fast cross [BTC/USD] USD 5000 USD 50ms
	// models: [pessimistic optimistic]
	// config: bad.yaml:2:62: strategies[0](x).balances.USD: balance -1 is negative
}
