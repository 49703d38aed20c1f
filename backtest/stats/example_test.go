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

// A 95% interval for the per-period Sharpe ratio of 500 returns, reproducible under the seed.
func ExampleBootstrap_Returns() {
	rets := make([]float64, 500)
	for i := range rets {
		rets[i] = 0.001 * float64(i%7-3) // a repeating pattern: mean 0, Sharpe 0
	}
	ci := stats.Bootstrap{Seed: 1}.Returns(rets)
	fmt.Printf("%d resamples in blocks of %d; sharpe in [%.2f, %.2f]\n", ci.Samples, ci.Block, ci.Sharpe.Lo, ci.Sharpe.Hi)
	// Output: 1000 resamples in blocks of 8; sharpe in [-0.04, 0.03]
}
