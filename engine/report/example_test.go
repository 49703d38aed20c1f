package report_test

import (
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"github.com/papertrade/papertrade/engine/report"
)

// Drawdown and annualised ratios of an hourly equity curve.
func ExampleMaxDrawdown() {
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var eq []report.EquityPoint
	for i, v := range []string{"100", "120", "90", "110", "125", "100"} {
		eq = append(eq, report.EquityPoint{Time: t0.Add(time.Duration(i) * time.Hour), Equity: decimal.RequireFromString(v)})
	}
	dd := report.MaxDrawdown(eq)
	fmt.Printf("max drawdown %.0f%% from %s to %s, longest underwater %s\n", dd.Max*100, dd.Peak.Format("15:04"), dd.Trough.Format("15:04"), dd.Duration)
	rets := report.Returns(report.Resample(eq, time.Hour))
	fmt.Println("periods per year:", report.PeriodsPerYear(time.Hour))
	fmt.Println("sharpe:", report.Num(report.Sharpe(rets, report.PeriodsPerYear(time.Hour))))
	// Output:
	// max drawdown 25% from 01:00 to 02:00, longest underwater 3h0m0s
	// periods per year: 8766
	// sharpe: 8.914100459
}
