package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The numerical example of Bailey & López de Prado, "The Deflated Sharpe Ratio" (JPM 2014,
// §5): a strategy with an annualised Sharpe ratio of 2.5 over 5 years of daily returns
// (T = 1,250, 250 days a year), skewness -3 and kurtosis 10, selected from N = 100
// independent trials whose annualised Sharpe ratios have variance 0.5. The paper gives
// the expected maximum Sharpe ratio E[max SR] ≈ 0.1132 (per day) and DSR ≈ 0.9004.
func TestDeflatedSharpePaperExample(t *testing.T) {
	sr := 2.5 / math.Sqrt(250)
	v := 0.5 / 250
	if got, want := ExpectedMaxSharpe(100, v), 0.1132; math.Abs(got-want) > 0.0001 {
		t.Errorf("ExpectedMaxSharpe(100, %g) = %.5f, want %.4f", v, got, want)
	}
	if got, want := DeflatedSharpe(sr, 1250, -3, 10, 100, v), 0.9004; math.Abs(got-want) > 0.001 {
		t.Errorf("DeflatedSharpe = %.5f, want %.4f (paper)", got, want)
	}
}

func TestNormQuantileInvertsCDF(t *testing.T) {
	for _, p := range []float64{1e-9, 0.001, 0.025, 0.3, 0.5, 0.8, 0.975, 0.99, 0.999999} {
		if got := NormCDF(NormQuantile(p)); math.Abs(got-p) > 1e-12*max(1, p/1e-9) {
			t.Errorf("NormCDF(NormQuantile(%g)) = %g", p, got)
		}
	}
	if got := NormQuantile(0.975); math.Abs(got-1.959963984540054) > 1e-12 {
		t.Errorf("NormQuantile(0.975) = %.15f, want 1.959963984540054", got)
	}
}

func TestDeflatedSharpeEdges(t *testing.T) {
	tests := []struct {
		name string
		got  float64
		nan  bool
		want float64
	}{
		{"one trial is the probabilistic Sharpe against 0", DeflatedSharpe(0.1, 100, 0, 3, 1, 0.01), false, ProbabilisticSharpe(0.1, 0, 100, 0, 3)},
		{"too few returns", DeflatedSharpe(0.1, 1, 0, 3, 10, 0.01), true, 0},
		{"infinite sharpe", DeflatedSharpe(math.Inf(1), 100, 0, 3, 10, 0.01), true, 0},
		{"zero sharpe, no benchmark", ProbabilisticSharpe(0, 0, 100, 0, 3), false, 0.5},
		{"broken correction stays a probability", ProbabilisticSharpe(1, 0, 100, 5, 3), false, NormCDF(math.Sqrt(99) / math.Sqrt(1.5))},
	}
	for _, tt := range tests {
		if tt.nan != math.IsNaN(tt.got) || (!tt.nan && math.Abs(tt.got-tt.want) > 1e-12) {
			t.Errorf("%s: got %g, want %g (NaN %v)", tt.name, tt.got, tt.want, tt.nan)
		}
	}
}

// TestMomentsMatchTwoPass checks the one-pass moments against the textbook two-pass
// formulas.
func TestMomentsMatchTwoPass(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	xs := make([]float64, 5000)
	var m Moments
	for i := range xs {
		xs[i] = 0.001 + 0.01*rng.ExpFloat64()*rng.NormFloat64() // skewed, fat-tailed
		m.Add(xs[i])
	}
	var mean float64
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	var s2, s3, s4 float64
	for _, x := range xs {
		d := x - mean
		s2 += d * d
		s3 += d * d * d
		s4 += d * d * d * d
	}
	n := float64(len(xs))
	sd := math.Sqrt(s2 / (n - 1))
	skew := (s3 / n) / math.Pow(s2/n, 1.5)
	kurt := (s4 / n) / ((s2 / n) * (s2 / n))
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"mean", m.Mean, mean}, {"std", m.Std(), sd}, {"sharpe", m.Sharpe(), mean / sd}, {"skew", m.Skew(), skew}, {"kurtosis", m.Kurtosis(), kurt}} {
		if math.Abs(c.got-c.want) > 1e-9*max(1, math.Abs(c.want)) {
			t.Errorf("%s = %.12g, want %.12g", c.name, c.got, c.want)
		}
	}
	var flat Moments
	flat.Add(0)
	flat.Add(0)
	if flat.Sharpe() != 0 || flat.Skew() != 0 || flat.Kurtosis() != 3 {
		t.Errorf("flat sample: sharpe %g skew %g kurtosis %g, want 0 0 3", flat.Sharpe(), flat.Skew(), flat.Kurtosis())
	}
}

// refPBO is an independent CSCV straight from the paper's steps on the full T×N matrix:
// split the rows into S submatrices, form every combination of S/2 of them (recursively, not
// by bitmask) as the training set J and its complement as the test set, compute each
// trial's Sharpe ratio from the concatenated returns by the two-pass formula, pick the best
// trial on J, rank its test Sharpe among all trials by sorting, and count logits <= 0.
func refPBO(m [][]float64, s int) float64 {
	tlen := len(m[0])
	sub := func(k int) (int, int) { return k * tlen / s, (k + 1) * tlen / s }
	sharpe := func(trial []float64, blocks []int) float64 {
		var xs []float64
		for _, k := range blocks {
			lo, hi := sub(k)
			xs = append(xs, trial[lo:hi]...)
		}
		mean := 0.0
		for _, x := range xs {
			mean += x
		}
		mean /= float64(len(xs))
		v := 0.0
		for _, x := range xs {
			v += (x - mean) * (x - mean)
		}
		return mean / math.Sqrt(v/float64(len(xs)-1))
	}
	var overfit, total int
	var rec func(start int, chosen []int)
	rec = func(start int, chosen []int) {
		if len(chosen) == s/2 {
			var test []int
			for k := range s {
				if !slices.Contains(chosen, k) {
					test = append(test, k)
				}
			}
			best, bestSR := 0, math.Inf(-1)
			oos := make([]float64, len(m))
			for i, trial := range m {
				if sr := sharpe(trial, chosen); sr > bestSR {
					best, bestSR = i, sr
				}
				oos[i] = sharpe(trial, test)
			}
			sorted := slices.Clone(oos)
			slices.Sort(sorted)
			rank := float64(slices.Index(sorted, oos[best]) + 1) // continuous data: no ties
			w := rank / float64(len(m)+1)
			if math.Log(w/(1-w)) <= 0 {
				overfit++
			}
			total++
			return
		}
		for k := start; k < s; k++ {
			rec(k+1, append(slices.Clone(chosen), k))
		}
	}
	rec(0, nil)
	return float64(overfit) / float64(total)
}

// noiseSweep is n trials of t returns, each N(0, 1%), with edge added to the mean of the
// first planted trials.
func noiseSweep(rng *rand.Rand, n, t, planted int, edge float64) [][]float64 {
	m := make([][]float64, n)
	for i := range m {
		m[i] = make([]float64, t)
		for j := range m[i] {
			m[i][j] = 0.01 * rng.NormFloat64()
			if i < planted {
				m[i][j] += edge
			}
		}
	}
	return m
}

func blocksOf(m [][]float64, s int) [][]Block {
	out := make([][]Block, len(m))
	for i := range m {
		out[i] = Blocks(m[i], s)
	}
	return out
}

func TestPBOMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct{ n, t, s, planted int }{{10, 400, 8, 0}, {7, 333, 10, 2}, {25, 800, 6, 3}} {
		m := noiseSweep(rng, c.n, c.t, c.planted, 0.001)
		got, err := PBO(blocksOf(m, c.s))
		if err != nil {
			t.Fatal(err)
		}
		if want := refPBO(m, c.s); math.Abs(got.PBO-want) > 1e-12 {
			t.Errorf("N=%d T=%d S=%d: PBO %g, reference %g", c.n, c.t, c.s, got.PBO, want)
		}
		if want := binom(c.s, c.s/2); got.Splits != want {
			t.Errorf("splits %d, want C(%d,%d) = %d", got.Splits, c.s, c.s/2, want)
		}
	}
}

func binom(n, k int) int {
	r := 1
	for i := 1; i <= k; i++ {
		r = r * (n - k + i) / i
	}
	return r
}

// sweepStats is what the sweep computes from a matrix: PBO over 16 blocks, and the
// deflated and plain probabilistic Sharpe of the trial with the best full-sample Sharpe.
func sweepStats(t *testing.T, m [][]float64) (pbo, dsr, psr float64) {
	t.Helper()
	r, err := PBO(blocksOf(m, 16))
	if err != nil {
		t.Fatal(err)
	}
	var srs Moments
	var best Moments
	for _, trial := range m {
		var mo Moments
		for _, x := range trial {
			mo.Add(x)
		}
		srs.Add(mo.Sharpe())
		if best.N == 0 || mo.Sharpe() > best.Sharpe() {
			best = mo
		}
	}
	v := srs.Std() * srs.Std()
	return r.PBO, DeflatedSharpe(best.Sharpe(), best.N, best.Skew(), best.Kurtosis(), len(m), v),
		ProbabilisticSharpe(best.Sharpe(), 0, best.N, best.Skew(), best.Kurtosis())
}

// TestNoiseSweepIsOverfit: 20 independent sweeps of 50 pure-noise strategies. Picking the
// best in sample predicts nothing out of sample, so PBO is high (about one half), and the
// deflated Sharpe ratio almost never calls the winner a discovery although its plain
// probabilistic Sharpe ratio (no deflation for the 50 trials) nearly always does.
func TestNoiseSweepIsOverfit(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	var pboSum float64
	var dsrHits, psrHits int
	const sweeps = 20
	for range sweeps {
		pbo, dsr, psr := sweepStats(t, noiseSweep(rng, 50, 1600, 0, 0))
		pboSum += pbo
		if dsr > 0.95 {
			dsrHits++
		}
		if psr > 0.95 {
			psrHits++
		}
	}
	if mean := pboSum / sweeps; mean < 0.35 {
		t.Errorf("mean PBO over %d noise sweeps = %.3f, want high (about 0.5)", sweeps, mean)
	}
	if dsrHits > 3 {
		t.Errorf("DSR > 0.95 in %d of %d noise sweeps, want at most 3 (a 5%% test)", dsrHits, sweeps)
	}
	if psrHits < sweeps*3/4 {
		t.Errorf("plain PSR > 0.95 in only %d of %d noise sweeps: the noise winner should look good before deflation", psrHits, sweeps)
	}
	t.Logf("noise: mean PBO %.3f, DSR>0.95 in %d/%d, PSR>0.95 in %d/%d", pboSum/sweeps, dsrHits, sweeps, psrHits, sweeps)
}

// TestPlantedEdgeIsNotOverfit: 3 of 50 strategies earn a real 0.15% a period on 1% noise
// (Sharpe 0.15 per period, 6 standard errors over 1,600 periods); the in-sample winner is one
// of them and stays above the median out of sample, so PBO is low and DSR near 1.
func TestPlantedEdgeIsNotOverfit(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	pbo, dsr, _ := sweepStats(t, noiseSweep(rng, 50, 1600, 3, 0.0015))
	if pbo > 0.05 {
		t.Errorf("PBO with a planted edge = %.3f, want <= 0.05", pbo)
	}
	if dsr < 0.95 {
		t.Errorf("DSR with a planted edge = %.3f, want >= 0.95", dsr)
	}
	t.Logf("planted edge: PBO %.3f, DSR %.3f", pbo, dsr)
}

func TestPBORefusesBadShapes(t *testing.T) {
	two := func(s1, s2 int) [][]Block { return [][]Block{make([]Block, s1), make([]Block, s2)} }
	for name, perf := range map[string][][]Block{
		"one trial":         {make([]Block, 4)},
		"ragged":            two(4, 6),
		"odd blocks":        two(5, 5),
		"too many blocks":   two(18, 18),
		"no returns at all": two(4, 4),
	} {
		if _, err := PBO(perf); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func BenchmarkPBO(b *testing.B) {
	perf := blocksOf(noiseSweep(rand.New(rand.NewPCG(1, 1)), 100, 1600, 0, 0), 16)
	for b.Loop() {
		if _, err := PBO(perf); err != nil {
			b.Fatal(err)
		}
	}
}
