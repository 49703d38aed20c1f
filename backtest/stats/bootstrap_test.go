package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestBootstrapDeterministicUnderSeed(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	rets := make([]float64, 2000)
	for i := range rets {
		rets[i] = 0.0005 + 0.01*rng.NormFloat64()
	}
	a := Bootstrap{Seed: 42}.Returns(rets)
	b := Bootstrap{Seed: 42}.Returns(rets)
	c := Bootstrap{Seed: 43}.Returns(rets)
	if a != b {
		t.Errorf("same seed, different intervals:\n%+v\n%+v", a, b)
	}
	if a == c {
		t.Error("another seed gave the same intervals")
	}
	if a.Block != 13 || a.Samples != 1000 || a.Level != 0.95 {
		t.Errorf("defaults: block %d samples %d level %g, want 13 (⌈2000^(1/3)⌉) 1000 0.95", a.Block, a.Samples, a.Level)
	}
	if w1, w2 := (Bootstrap{Seed: 1}).WinRate(30, 50), (Bootstrap{Seed: 1}).WinRate(30, 50); w1 != w2 {
		t.Errorf("win rate: %v then %v", w1, w2)
	}
}

// TestBootstrapCoversTheSample: the intervals contain the sample's own statistics, and
// the Sharpe interval has about the width the asymptotic standard error predicts
// (±1.96·√((1+SR²/2)/n) for iid normal returns).
func TestBootstrapCoversTheSample(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 10))
	rets := make([]float64, 4000)
	var m Moments
	total := 1.0
	for i := range rets {
		rets[i] = 0.0005 + 0.01*rng.NormFloat64()
		m.Add(rets[i])
		total *= 1 + rets[i]
	}
	ci := Bootstrap{Seed: 7}.Returns(rets)
	sr := m.Sharpe()
	if !(ci.Sharpe.Lo < sr && sr < ci.Sharpe.Hi) || !(ci.Return.Lo < total-1 && total-1 < ci.Return.Hi) {
		t.Errorf("intervals %+v miss the sample (sharpe %g, return %g)", ci, sr, total-1)
	}
	want := 2 * 1.96 * math.Sqrt((1+sr*sr/2)/float64(len(rets)))
	if got := ci.Sharpe.Hi - ci.Sharpe.Lo; math.Abs(got-want) > 0.25*want {
		t.Errorf("sharpe interval width %.4f, asymptotic %.4f", got, want)
	}
	if !(ci.MaxDrawdown.Lo > 0 && ci.MaxDrawdown.Lo < ci.MaxDrawdown.Hi && ci.MaxDrawdown.Hi < 1) {
		t.Errorf("max drawdown interval %+v", ci.MaxDrawdown)
	}
	// Win rate: the binomial interval, ±1.96·√(p(1-p)/n).
	w := Bootstrap{Seed: 7}.WinRate(60, 100)
	if half := 1.96 * math.Sqrt(0.6*0.4/100); math.Abs(w.Lo-(0.6-half)) > 0.03 || math.Abs(w.Hi-(0.6+half)) > 0.03 {
		t.Errorf("win rate interval %+v, want about 0.6 ± %.3f", w, half)
	}
}

func TestBootstrapTooShort(t *testing.T) {
	ci := Bootstrap{}.Returns([]float64{0.01})
	if !math.IsNaN(ci.Return.Lo) || !math.IsNaN(ci.Sharpe.Hi) {
		t.Errorf("one return: %+v, want NaN intervals", ci)
	}
	if w := (Bootstrap{}).WinRate(0, 0); !math.IsNaN(w.Lo) {
		t.Errorf("no trips: %+v", w)
	}
	if w := (Bootstrap{}).WinRate(5, 5); w.Lo != 1 || w.Hi != 1 {
		t.Errorf("all winners: %+v, want [1, 1]", w)
	}
}

// BenchmarkBootstrapYearOfMinutes: a year of one-minute returns (525,600), 1000 resamples.
func BenchmarkBootstrapYearOfMinutes(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	rets := make([]float64, 525600)
	for i := range rets {
		rets[i] = 0.001 * rng.NormFloat64()
	}
	for b.Loop() {
		Bootstrap{Seed: 1}.Returns(rets)
	}
}
