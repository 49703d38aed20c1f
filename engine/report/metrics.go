package report

import (
	"math"
	"time"

	"github.com/shopspring/decimal"
)

// Year is the length of a year for annualisation: 365.25 days. Crypto markets trade every
// day, so returns are annualised over calendar time, not 252 trading days.
const Year = time.Duration(365.25 * 24 * float64(time.Hour))

// MinAnnualSpan is the shortest equity curve whose annualised metrics (CAGR, Sharpe,
// Sortino, Calmar) a summary reports. Annualising extrapolates: over 4.8 hours, CAGR raises
// the return to the power 1,826 (−0.24% becomes −98.8%, +7% becomes 10^53) and Sharpe
// multiplies a minute's noise by √525,960. Below this span those fields are null with
// Strategy.AnnualNote saying why, and the un-annualised SharpePeriod and SortinoPeriod
// remain. Thirty days is about where an annualised figure stops being mostly extrapolation
// (12 periods of compounding); it is a reporting rule, not a property of the data.
const MinAnnualSpan = 30 * 24 * time.Hour

// EquityPoint is one equity sample.
type EquityPoint struct {
	Time   time.Time
	Equity decimal.Decimal
}

// PeriodsPerYear is how many periods of length interval fit in a Year: the annualisation
// factor of Sharpe and Sortino on equity sampled every interval (one minute: 525960).
func PeriodsPerYear(interval time.Duration) float64 {
	if interval <= 0 {
		return math.NaN()
	}
	return float64(Year) / float64(interval)
}

// maxResample bounds the grid Resample builds: ten years of one-minute periods.
const maxResample = 10 * 525960

// Resample puts equity samples on a regular grid: g_k = t0 + k·interval for k = 0…K, from
// the first sample t0 to the first grid point at or after the last sample, each valued at
// the last sample at or before it (equity does not change while no event arrives). The
// engine samples at the first event after each boundary, so a sample usually lands just
// after its grid point and counts for the next one: a lag of one period that does not change
// the distribution of returns.
func Resample(points []EquityPoint, interval time.Duration) []float64 {
	if len(points) == 0 || interval <= 0 {
		return nil
	}
	t0 := points[0].Time
	span := points[len(points)-1].Time.Sub(t0)
	n := int((span+interval-1)/interval) + 1
	if n > maxResample || n < 1 {
		return nil // absurd spans (a bad clock in the data) have no meaningful returns
	}
	out := make([]float64, n)
	j := 0
	for k := range out {
		g := t0.Add(time.Duration(k) * interval)
		for j+1 < len(points) && !points[j+1].Time.After(g) {
			j++
		}
		out[k] = points[j].Equity.InexactFloat64()
	}
	return out
}

// Returns gives the simple returns between consecutive values: v[i]/v[i-1] − 1. A period
// starting at zero or less equity has no defined return and is skipped.
func Returns(v []float64) []float64 {
	if len(v) < 2 {
		return nil
	}
	out := make([]float64, 0, len(v)-1)
	for i := 1; i < len(v); i++ {
		if v[i-1] <= 0 {
			continue
		}
		out = append(out, v[i]/v[i-1]-1)
	}
	return out
}

func mean(x []float64) float64 {
	var s float64
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// Sharpe is the annualised Sharpe ratio of periodic returns with a zero risk-free rate:
// mean / sample standard deviation (n−1) × √periodsPerYear. NaN with fewer than two
// returns or no variation.
func Sharpe(returns []float64, periodsPerYear float64) float64 {
	if len(returns) < 2 {
		return math.NaN()
	}
	m := mean(returns)
	var ss float64
	for _, r := range returns {
		d := r - m
		ss += d * d
	}
	sd := math.Sqrt(ss / float64(len(returns)-1))
	if sd <= 1e-12*math.Abs(m) || sd == 0 { // constant returns, up to rounding
		return math.NaN()
	}
	return m / sd * math.Sqrt(periodsPerYear)
}

// Sortino is the annualised Sortino ratio with a zero target: mean / downside deviation ×
// √periodsPerYear, where the downside deviation is √(Σ min(r,0)² / n) over all n returns.
// NaN with fewer than two returns or no losing period.
func Sortino(returns []float64, periodsPerYear float64) float64 {
	if len(returns) < 2 {
		return math.NaN()
	}
	var ss float64
	for _, r := range returns {
		if r < 0 {
			ss += r * r
		}
	}
	dd := math.Sqrt(ss / float64(len(returns)))
	if dd == 0 {
		return math.NaN()
	}
	return mean(returns) / dd * math.Sqrt(periodsPerYear)
}

// Drawdown describes the worst peak-to-trough fall of an equity curve.
type Drawdown struct {
	Max    float64   // largest (peak − trough) / peak, 0 when equity never fell
	Peak   time.Time // the peak before the largest fall
	Trough time.Time // the bottom of the largest fall
	// Duration is the longest time spent below a previous peak (until equity first got
	// back to it, or the end of the curve): the longest "underwater" stretch, which need not
	// be the stretch of the largest fall.
	Duration time.Duration
}

// MaxDrawdown measures the drawdowns of the samples (not resampled: every sample counts).
func MaxDrawdown(points []EquityPoint) Drawdown {
	var d Drawdown
	if len(points) == 0 {
		return d
	}
	peak := points[0].Equity
	peakT := points[0].Time
	under := false
	for _, p := range points[1:] {
		if p.Equity.GreaterThanOrEqual(peak) {
			if under {
				d.Duration = max(d.Duration, p.Time.Sub(peakT))
				under = false
			}
			peak, peakT = p.Equity, p.Time
			continue
		}
		under = true
		if peak.Sign() > 0 {
			dd := peak.Sub(p.Equity).Div(peak).InexactFloat64()
			if dd > d.Max {
				d.Max, d.Peak, d.Trough = dd, peakT, p.Time
			}
		}
	}
	if under {
		d.Duration = max(d.Duration, points[len(points)-1].Time.Sub(peakT))
	}
	return d
}

// CAGR is the compound annual growth rate from initial to final over span: (final /
// initial)^(Year/span) − 1. NaN when initial is not positive or span is not; over short
// spans it is huge or overflows to +Inf, which reports print as undefined.
func CAGR(initial, final float64, span time.Duration) float64 {
	if initial <= 0 || span <= 0 || final < 0 {
		return math.NaN()
	}
	return math.Pow(final/initial, float64(Year)/float64(span)) - 1
}

// Calmar is CAGR divided by the maximum drawdown (NaN without a drawdown).
func Calmar(cagr, maxDrawdown float64) float64 {
	if maxDrawdown <= 0 {
		return math.NaN()
	}
	return cagr / maxDrawdown
}

// TradeStats summarises closed round trips.
type TradeStats struct {
	Trades       int
	Wins, Losses int             // PnL > 0, PnL < 0 (break-even trades are neither)
	GrossProfit  decimal.Decimal // sum of winning PnL
	GrossLoss    decimal.Decimal // sum of losing PnL, as a positive amount
	Net          decimal.Decimal
}

// Add counts one closed trip's PnL.
func (s *TradeStats) Add(pnl decimal.Decimal) {
	s.Trades++
	s.Net = s.Net.Add(pnl)
	switch pnl.Sign() {
	case 1:
		s.Wins++
		s.GrossProfit = s.GrossProfit.Add(pnl)
	case -1:
		s.Losses++
		s.GrossLoss = s.GrossLoss.Sub(pnl)
	}
}

// WinRate is the share of trips with a positive PnL (NaN without trips).
func (s *TradeStats) WinRate() float64 {
	if s.Trades == 0 {
		return math.NaN()
	}
	return float64(s.Wins) / float64(s.Trades)
}

// ProfitFactor is gross profit / gross loss (NaN without losses).
func (s *TradeStats) ProfitFactor() float64 {
	if s.GrossLoss.Sign() == 0 {
		return math.NaN()
	}
	return s.GrossProfit.Div(s.GrossLoss).InexactFloat64()
}

// Expectancy is the mean PnL per trip, exact to 8 decimals (zero without trips).
func (s *TradeStats) Expectancy() decimal.Decimal {
	if s.Trades == 0 {
		return decimal.Zero
	}
	return s.Net.DivRound(decimal.NewFromInt(int64(s.Trades)), 8)
}
