package stats

import (
	"math"
)

// eulerGamma is the Euler–Mascheroni constant, used by the expected maximum of N normals.
const eulerGamma = 0.5772156649015329

// NormCDF is the standard normal cumulative distribution function.
func NormCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// NormQuantile is the inverse of NormCDF on (0, 1); ±Inf at 1 and 0, NaN outside [0, 1].
func NormQuantile(p float64) float64 { return math.Sqrt2 * math.Erfinv(2*p-1) }

// Moments accumulates a sample's count, mean and central moments in one pass (Welford's
// update extended to the third and fourth moments; Pébay 2008), so a long return series
// needs constant memory. The zero value is an empty sample.
type Moments struct {
	N          int
	Mean       float64
	M2, M3, M4 float64 // sums of powers of deviations from the mean
}

// Add adds one observation.
func (m *Moments) Add(x float64) {
	n1 := float64(m.N)
	m.N++
	n := float64(m.N)
	d := x - m.Mean
	dn := d / n
	dn2 := dn * dn
	t := d * dn * n1
	m.Mean += dn
	m.M4 += t*dn2*(n*n-3*n+3) + 6*dn2*m.M2 - 4*dn*m.M3
	m.M3 += t*dn*(n-2) - 3*dn*m.M2
	m.M2 += t
}

// Std is the sample standard deviation (n-1 in the denominator); NaN below 2 observations.
func (m *Moments) Std() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	return math.Sqrt(m.M2 / float64(m.N-1))
}

// Sharpe is the per-period Sharpe ratio, mean over sample standard deviation. A sample with
// no variation has Sharpe 0 when its mean is 0 (a strategy that never traded) and ±Inf
// otherwise; fewer than 2 observations give NaN.
func (m *Moments) Sharpe() float64 {
	if m.N < 2 {
		return math.NaN()
	}
	return ratio(m.Mean, m.Std())
}

// Skew is the sample skewness (population formula, as the papers use); 0 without variation.
func (m *Moments) Skew() float64 {
	if m.N < 2 || m.M2 == 0 {
		return 0
	}
	n := float64(m.N)
	return math.Sqrt(n) * m.M3 / math.Pow(m.M2, 1.5)
}

// Kurtosis is the sample kurtosis, not excess (3 for a normal); 3 without variation.
func (m *Moments) Kurtosis() float64 {
	if m.N < 2 || m.M2 == 0 {
		return 3
	}
	n := float64(m.N)
	return n * m.M4 / (m.M2 * m.M2)
}

func ratio(mean, sd float64) float64 {
	switch {
	case sd > 0:
		return mean / sd
	case mean == 0:
		return 0
	case mean > 0:
		return math.Inf(1)
	}
	return math.Inf(-1)
}

// ExpectedMaxSharpe is the Sharpe ratio the best of trials independent strategies with no
// skill is expected to show, when their Sharpe ratios vary across trials with the given
// variance (Bailey & López de Prado 2014, eq. 2, from the false strategy theorem):
// sqrt(V) * ((1-γ) Φ⁻¹(1-1/N) + γ Φ⁻¹(1-1/(N e))). One trial (or fewer) gives 0.
func ExpectedMaxSharpe(trials int, variance float64) float64 {
	if trials <= 1 || !(variance > 0) {
		return 0
	}
	n := float64(trials)
	return math.Sqrt(variance) * ((1-eulerGamma)*NormQuantile(1-1/n) + eulerGamma*NormQuantile(1-1/(n*math.E)))
}

// ProbabilisticSharpe is the probability that the true Sharpe ratio exceeds benchmark,
// given an observed per-period Sharpe ratio sr over n returns with the given skewness and
// kurtosis (Bailey & López de Prado 2012): Φ((sr-benchmark)·√(n-1) / √(1 - skew·sr +
// (kurt-1)/4·sr²)). NaN when it is undefined (n < 2, or a non-finite sr).
func ProbabilisticSharpe(sr, benchmark float64, n int, skew, kurt float64) float64 {
	if n < 2 || math.IsNaN(sr) || math.IsInf(sr, 0) {
		return math.NaN()
	}
	den := 1 - skew*sr + (kurt-1)/4*sr*sr
	if !(den > 0) {
		// The non-normality correction broke down (extreme skew against the Sharpe): fall
		// back to the normal-returns variance rather than inventing a certainty.
		den = 1 + sr*sr/2
	}
	return NormCDF((sr - benchmark) * math.Sqrt(float64(n-1)) / math.Sqrt(den))
}

// DeflatedSharpe is the Deflated Sharpe Ratio: the probabilistic Sharpe ratio of the
// selected strategy against the expected maximum Sharpe of trials skill-less strategies
// whose Sharpe ratios vary with variance (all per period). It reads as the probability that
// the selected strategy's edge is real after the selection: near 1 is a discovery, near 0
// (or below 0.5) says the result is what luck alone would give. The paper's threshold for
// a discovery is 0.95.
func DeflatedSharpe(sr float64, n int, skew, kurt float64, trials int, variance float64) float64 {
	return ProbabilisticSharpe(sr, ExpectedMaxSharpe(trials, variance), n, skew, kurt)
}
