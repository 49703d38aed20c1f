package synth

import (
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/papertrade/papertrade/feed"
)

// rng is one pair's random stream. It draws only from a PCG (whose output math/rand/v2
// specifies exactly) and derives every float from those bits itself, so the stream does not
// depend on how a Go release implements rand.Rand's helpers.
type rng struct {
	pcg      rand.PCG
	spare    float64 // second normal of the last polar draw
	hasSpare bool
}

// newRNG seeds the stream of one pair from the market seed and the pair's name, so that a
// pair's stream does not depend on which other pairs are configured.
func newRNG(seed uint64, pair feed.Pair) rng {
	h := uint64(14695981039346656037) // FNV-1a, 64 bit
	for i := 0; i < len(pair); i++ {
		h ^= uint64(pair[i])
		h *= 1099511628211
	}
	var r rng
	r.pcg.Seed(splitmix(seed^h), splitmix(h^splitmix(seed)))
	return r
}

// splitmix is SplitMix64's finaliser: it spreads nearby seeds far apart.
func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// float returns a uniform draw in [0, 1).
func (r *rng) float() float64 { return float64(r.pcg.Uint64()>>11) * 0x1p-53 }

// floatPos returns a uniform draw in (0, 1], safe for a logarithm.
func (r *rng) floatPos() float64 { return float64(r.pcg.Uint64()>>11+1) * 0x1p-53 }

// expo returns an exponential draw with mean 1.
func (r *rng) expo() float64 { return -flog(r.floatPos()) }

// intn returns a uniform integer in [0, n) for n > 0 (Lemire's multiply-shift; the bias of
// at most n/2^64 is irrelevant here).
func (r *rng) intn(n int64) int64 {
	hi, _ := bits.Mul64(r.pcg.Uint64(), uint64(n))
	return int64(hi)
}

// norm returns a standard normal draw (Marsaglia's polar method; draws come in pairs).
func (r *rng) norm() float64 {
	if r.hasSpare {
		r.hasSpare = false
		return r.spare
	}
	for {
		u := float64(2*r.float()) - 1
		v := float64(2*r.float()) - 1
		s := float64(u*u) + float64(v*v)
		if s >= 1 || s == 0 {
			continue
		}
		f := math.Sqrt(-2 * flog(s) / s)
		r.spare, r.hasSpare = float64(v*f), true
		return float64(u * f)
	}
}
