package stats

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// Block summarises one trial's returns over one time block: enough to compute the Sharpe
// ratio of any union of blocks exactly, in constant memory per block.
type Block struct {
	N     int     `json:"n"`
	Sum   float64 `json:"sum"`
	SumSq float64 `json:"sum_sq"`
}

// Add adds one return to the block.
func (b *Block) Add(r float64) {
	b.N++
	b.Sum += r
	b.SumSq += r * r
}

// Blocks splits returns into s consecutive blocks of (nearly) equal length, by index: block
// k holds returns[k*n/s : (k+1)*n/s]. Every trial of a sweep replays the same events at the
// same equity interval, so splitting each by index aligns their blocks in time.
func Blocks(returns []float64, s int) []Block {
	out := make([]Block, s)
	n := len(returns)
	for k := range s {
		for _, r := range returns[k*n/s : (k+1)*n/s] {
			out[k].Add(r)
		}
	}
	return out
}

// sharpeOf is the per-period Sharpe ratio of the union of the chosen blocks.
func sharpeOf(bs []Block, pick []int) float64 {
	var n int
	var sum, sq float64
	for _, k := range pick {
		n += bs[k].N
		sum += bs[k].Sum
		sq += bs[k].SumSq
	}
	if n < 2 {
		return math.NaN()
	}
	mean := sum / float64(n)
	v := (sq - sum*mean) / float64(n-1)
	return ratio(mean, math.Sqrt(max(v, 0)))
}

// PBOResult is the outcome of combinatorially symmetric cross-validation.
type PBOResult struct {
	// PBO is the probability of backtest overfitting: the share of the in-sample/out-of-
	// sample splits in which the trial that was best in sample ranks at or below the median
	// out of sample (logit <= 0).
	PBO float64 `json:"pbo"`
	// Splits is the number of splits evaluated: C(S, S/2) for S blocks.
	Splits int `json:"splits"`
	// Trials and Blocks are the matrix's dimensions.
	Trials int `json:"trials"`
	Blocks int `json:"blocks"`
	// MedianLogit is the median of the logits λ = ln(ω/(1-ω)) of the in-sample best trial's
	// relative out-of-sample rank ω; positive means the in-sample winner tends to stay above
	// the median.
	MedianLogit float64 `json:"median_logit"`
	// LossRate is the share of splits in which the in-sample best trial has an
	// out-of-sample Sharpe ratio below zero (the paper's probability of loss).
	LossRate float64 `json:"loss_rate"`
}

// MaxSplits bounds the number of splits PBO evaluates: C(16, 8) = 12,870, the paper's
// recommended S = 16.
const MaxSplits = 12870

// PBO estimates the probability of backtest overfitting by combinatorially symmetric
// cross-validation (Bailey, Borwein, López de Prado & Zhu 2015, §2). perf[i] holds trial i's
// returns summarised over the same S time blocks (S even, at least 2; every trial the same
// S). For every way of choosing S/2 blocks as the in-sample set (the rest are out of
// sample), the trial with the best in-sample Sharpe ratio is found and its out-of-sample
// Sharpe ratio is ranked among all trials; ω = rank/(N+1) with ties sharing their mean
// rank, and PBO is the share of splits where ln(ω/(1-ω)) <= 0. Trials whose Sharpe ratio is
// undefined on a set (fewer than 2 returns) rank lowest there. At least 2 trials are
// needed; S above 16 is refused (the splits grow as C(S, S/2)).
func PBO(perf [][]Block) (PBOResult, error) {
	n := len(perf)
	if n < 2 {
		return PBOResult{}, fmt.Errorf("stats: PBO needs at least 2 trials, got %d", n)
	}
	s := len(perf[0])
	for i, p := range perf {
		if len(p) != s {
			return PBOResult{}, fmt.Errorf("stats: PBO: trial %d has %d blocks, trial 0 has %d: every trial needs the same blocks", i, len(p), s)
		}
	}
	if s < 2 || s%2 != 0 || s > 16 {
		return PBOResult{}, fmt.Errorf("stats: PBO needs an even number of blocks from 2 to 16, got %d", s)
	}
	res := PBOResult{Trials: n, Blocks: s}
	in := make([]int, 0, s/2)
	out := make([]int, 0, s/2)
	isSR := make([]float64, n)
	oosSR := make([]float64, n)
	var logits []float64
	var overfit, loss int
	// Each subset of size S/2 is a bitmask; iterating masks in increasing order is
	// deterministic and visits each split once.
	for mask := 0; mask < 1<<s; mask++ {
		if popcount(mask) != s/2 {
			continue
		}
		in, out = in[:0], out[:0]
		for k := range s {
			if mask&(1<<k) != 0 {
				in = append(in, k)
			} else {
				out = append(out, k)
			}
		}
		best := -1
		for i := range n {
			isSR[i] = sharpeOf(perf[i], in)
			oosSR[i] = sharpeOf(perf[i], out)
			// Ties in sample go to the lowest index: deterministic, like the sweep's ranking.
			if !math.IsNaN(isSR[i]) && (best < 0 || isSR[i] > isSR[best]) {
				best = i
			}
		}
		if best < 0 {
			continue // no trial has a Sharpe ratio in sample: nothing was selected
		}
		w := relativeRank(oosSR, best)
		l := math.Log(w / (1 - w))
		logits = append(logits, l)
		if l <= 0 {
			overfit++
		}
		if oosSR[best] < 0 {
			loss++
		}
	}
	if len(logits) == 0 {
		return res, errors.New("stats: PBO: no split had a trial with a Sharpe ratio (too few returns per block)")
	}
	res.Splits = len(logits)
	res.PBO = float64(overfit) / float64(len(logits))
	res.LossRate = float64(loss) / float64(len(logits))
	slices.Sort(logits)
	m := len(logits)
	res.MedianLogit = (logits[(m-1)/2] + logits[m/2]) / 2
	return res, nil
}

// relativeRank is ω = rank/(N+1) of sr[i] among sr, ranks 1 (worst) to N (best), ties
// sharing their mean rank, undefined values (NaN) below every defined one.
func relativeRank(sr []float64, i int) float64 {
	below, equal := 0, 0
	x := sr[i]
	for _, y := range sr {
		switch {
		case math.IsNaN(x) && math.IsNaN(y), x == y:
			equal++
		case math.IsNaN(y) || y < x:
			below++
		}
	}
	rank := float64(below) + float64(equal+1)/2 // mean of ranks below+1 .. below+equal
	return rank / float64(len(sr)+1)
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}
