package synth

import (
	"math"
	"testing"

	"github.com/papertrade/papertrade/feed"
)

// TestStylisedFacts checks, on one fixed seed, the two properties the model exists for:
// volatility clusters (squared mid returns are autocorrelated) and trades arrive in bursts
// (inter-arrival times vary more than a Poisson process's, whose coefficient of variation
// is 1).
func TestStylisedFacts(t *testing.T) {
	const steps = 100_000
	cfg := testConfig(2024)
	cfg.Pairs = cfg.Pairs[:1] // BTC/USD
	m := mustNew(t, cfg)
	p := m.pairs[0]
	var (
		evs      []feed.Event
		sq       = make([]float64, 0, steps)
		gaps     = make([]float64, 0, steps)
		prevMid  float64
		prevTrad int64 = -1
	)
	for range steps {
		evs = m.Next(evs[:0])
		mid := float64(p.bids[0].ticks+p.asks[0].ticks) / 2
		if prevMid > 0 {
			r := math.Log(mid / prevMid)
			sq = append(sq, r*r)
		}
		prevMid = mid
		if evs[0].Kind == feed.KindTrade {
			ns := evs[0].Time.Sub(DefaultStart).Nanoseconds()
			if prevTrad >= 0 {
				gaps = append(gaps, float64(ns-prevTrad))
			}
			prevTrad = ns
		}
	}
	ac := autocorr(sq, 1)
	realised, _ := meanSD(sq)
	ratio := realised / p.stepVar
	t.Logf("realised per-step variance %.3g = %.2f × the configured volatility's", realised, ratio)
	if ratio < 0.5 || ratio > 3 {
		t.Errorf("realised variance is %.2f × the configured one; want within 0.5..3", ratio)
	}
	mean, sd := meanSD(gaps)
	cv := sd / mean
	t.Logf("lag-1 autocorrelation of squared returns %.3f (lag 10: %.3f); trade inter-arrival CV %.2f over %d trades",
		ac, autocorr(sq, 10), cv, len(gaps)+1)
	if ac <= 0.05 {
		t.Errorf("lag-1 autocorrelation of squared returns = %.3f; want > 0.05 (volatility clustering)", ac)
	}
	if cv <= 1.1 {
		t.Errorf("inter-arrival coefficient of variation = %.2f; want > 1.1 (bursty arrivals)", cv)
	}
}

func meanSD(x []float64) (mean, sd float64) {
	for _, v := range x {
		mean += v
	}
	mean /= float64(len(x))
	for _, v := range x {
		sd += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(sd / float64(len(x)))
}

func autocorr(x []float64, lag int) float64 {
	mean, sd := meanSD(x)
	var c float64
	for i := lag; i < len(x); i++ {
		c += (x[i] - mean) * (x[i-lag] - mean)
	}
	return c / float64(len(x)-lag) / (sd * sd)
}
