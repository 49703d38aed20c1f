package stats_test

import (
	"fmt"
	"math"

	"github.com/papertrade/papertrade/backtest/stats"
)

// The Deflated Sharpe Ratio of the paper's example: an annualised Sharpe of 2.5 over 1,250
// daily returns (skew -3, kurtosis 10), the best of 100 trials whose annualised Sharpe
// ratios have variance 0.5.
func ExampleDeflatedSharpe() {
	dsr := stats.DeflatedSharpe(2.5/math.Sqrt(250), 1250, -3, 10, 100, 0.5/250)
	fmt.Printf("DSR %.3f\n", dsr)
	// Output: DSR 0.900
}

// Two trials over four time blocks: the first is better in every block, so whichever
// blocks are in sample it is picked, and it stays best out of sample.
func ExamplePBO() {
	good := stats.Blocks([]float64{0.02, 0.01, 0.03, 0.02, 0.01, 0.02, 0.03, 0.02}, 4)
	bad := stats.Blocks([]float64{-0.01, 0.00, -0.02, 0.01, 0.00, -0.01, 0.01, -0.02}, 4)
	r, err := stats.PBO([][]stats.Block{good, bad})
	if err != nil {
		panic(err)
	}
	fmt.Printf("PBO %.2f over %d splits\n", r.PBO, r.Splits)
	// Output: PBO 0.00 over 6 splits
}
