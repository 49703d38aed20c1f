package stats

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Bootstrap configures a circular block bootstrap (Politis & Romano 1992): a resample of n
// returns is made of blocks of Block consecutive returns starting at uniformly drawn
// positions, wrapping at the end, so short-range dependence (volatility clusters, a
// position held over several periods) survives the resampling. Seed makes it reproducible:
// the same returns, options and seed give the same intervals.
type Bootstrap struct {
	Samples int     // resamples; 0 means 1000, fewer (at least 200) past WorkBudget
	Block   int     // block length; 0 means ⌈n^(1/3)⌉ (the usual rate for the variance)
	Level   float64 // central coverage of the intervals; 0 means 0.95
	Seed    uint64
}

// Interval is a percentile interval [Lo, Hi]; NaN ends when the statistic is undefined.
type Interval struct{ Lo, Hi float64 }

// ReturnIntervals are the intervals of the statistics of a return series.
type ReturnIntervals struct {
	Samples, Block int
	Level          float64
	Return         Interval // compounded total return
	Sharpe         Interval // per period
	MaxDrawdown    Interval // a fraction of the peak, positive
}

// WorkBudget bounds the default number of resamples times the number of returns.
const WorkBudget = 100_000_000

func (b Bootstrap) defaults(n int) Bootstrap {
	if b.Samples <= 0 {
		// 1000 resamples, fewer on long series so a backtest's intervals cost at most about
		// WorkBudget return steps (a year of minutes: 190 resamples, well under a second);
		// never fewer than 200, enough for the 2.5% and 97.5% percentiles.
		b.Samples = min(1000, max(200, WorkBudget/max(n, 1)))
	}
	if b.Block <= 0 {
		b.Block = max(1, int(math.Ceil(math.Cbrt(float64(n)))))
	}
	b.Block = min(b.Block, max(n, 1))
	if !(b.Level > 0 && b.Level < 1) {
		b.Level = 0.95
	}
	return b
}

// Returns bootstraps the total return, per-period Sharpe ratio and maximum drawdown of
// returns. Fewer than 2 returns give NaN intervals.
func (b Bootstrap) Returns(returns []float64) ReturnIntervals {
	n := len(returns)
	b = b.defaults(n)
	out := ReturnIntervals{Samples: b.Samples, Block: b.Block, Level: b.Level}
	nan := Interval{math.NaN(), math.NaN()}
	out.Return, out.Sharpe, out.MaxDrawdown = nan, nan, nan
	if n < 2 {
		return out
	}
	rng := rand.New(rand.NewPCG(b.Seed, 0x626f6f74)) // "boot": a stream of its own
	ret := make([]float64, b.Samples)
	sr := make([]float64, b.Samples)
	dd := make([]float64, b.Samples)
	for s := range b.Samples {
		var sum, sq float64
		eq, peak, maxDD := 1.0, 1.0, 0.0
		for i := 0; i < n; {
			start := rng.IntN(n)
			for k := 0; k < b.Block && i < n; k++ {
				j := start + k
				if j >= n {
					j -= n // circular: blocks wrap at the end (Block <= n)
				}
				r := returns[j]
				sum += r
				sq += r * r
				eq *= 1 + r
				if eq > peak {
					peak = eq
				} else if peak > 0 {
					maxDD = max(maxDD, 1-eq/peak)
				}
				i++
			}
		}
		mean := sum / float64(n)
		ret[s], sr[s], dd[s] = eq-1, ratio(mean, math.Sqrt(max((sq-sum*mean)/float64(n-1), 0))), maxDD
	}
	out.Return = percentiles(ret, b.Level)
	out.Sharpe = percentiles(sr, b.Level)
	out.MaxDrawdown = percentiles(dd, b.Level)
	return out
}

// WinRate bootstraps the win rate of trades trips of which wins were winners: resampling
// the trips with replacement, the number of winners is binomial. The order of trades does
// not change a win rate, so no block structure is needed. No trips give a NaN interval.
func (b Bootstrap) WinRate(wins, trades int) Interval {
	if trades <= 0 {
		return Interval{math.NaN(), math.NaN()}
	}
	b = b.defaults(trades)
	rng := rand.New(rand.NewPCG(b.Seed, 0x77696e73)) // "wins"
	p := float64(wins) / float64(trades)
	rates := make([]float64, b.Samples)
	for s := range rates {
		w := 0
		for range trades {
			if rng.Float64() < p {
				w++
			}
		}
		rates[s] = float64(w) / float64(trades)
	}
	return percentiles(rates, b.Level)
}

// percentiles is the central level interval of xs (sorted in place), by linear
// interpolation between order statistics; NaNs are dropped, ±Inf kept in order.
func percentiles(xs []float64, level float64) Interval {
	xs = slices.DeleteFunc(xs, math.IsNaN)
	if len(xs) == 0 {
		return Interval{math.NaN(), math.NaN()}
	}
	slices.Sort(xs)
	q := func(p float64) float64 {
		h := p * float64(len(xs)-1)
		lo := int(math.Floor(h))
		if lo+1 >= len(xs) {
			return xs[len(xs)-1]
		}
		return xs[lo] + (h-float64(lo))*(xs[lo+1]-xs[lo])
	}
	a := (1 - level) / 2
	return Interval{q(a), q(1 - a)}
}
