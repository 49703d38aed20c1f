package backtest

import (
	"context"
	"fmt"

	"github.com/papertrade/papertrade/engine/config"
	"github.com/papertrade/papertrade/feed/kraken"
)

// A backtest of the committed synthetic tape with two test strategies, results kept in
// memory (Out empty).
func ExampleRun() {
	c, err := config.Load("testdata/run.yaml", testRegistry(), kraken.DefaultPairs())
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := Run(context.Background(), Options{Config: c, Registry: testRegistry()})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Summary.Run.Trades, "trades replayed")
	for _, s := range res.Summary.Strategies {
		fmt.Println(s.Name, s.Fills, "fills, final equity", s.FinalEquity, s.AccountCurrency)
	}
	// Output:
	// 6000 trades replayed
	// flip-btc 102 fills, final equity 4758.14043 USD
	// maker-both 81 fills, final equity 12840.33826 USD
}
