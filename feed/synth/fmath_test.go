package synth

import (
	"math"
	"testing"
)

// The portable functions agree with the math package to within two ulps (math may
// legitimately differ in the last place on some architectures; that is why they exist).
func TestFMath(t *testing.T) {
	r := newRNG(1, "FMATH/TEST")
	ulps := func(a, b float64) float64 { return math.Abs(a-b) / math.Abs(math.Nextafter(b, math.Inf(1))-b) }
	for i := range 200_000 {
		x := (r.float() - 0.5) * 1400 // exp's whole domain
		if i%2 == 0 {
			x = (r.float() - 0.5) * 40
		}
		if u := ulps(fexp(x), math.Exp(x)); u > 2 {
			t.Fatalf("fexp(%v) = %v; math.Exp = %v (%v ulps)", x, fexp(x), math.Exp(x), u)
		}
		y := math.Ldexp(r.floatPos(), int(r.intn(200))-100)
		if u := ulps(flog(y), math.Log(y)); u > 2 {
			t.Fatalf("flog(%v) = %v; math.Log = %v (%v ulps)", y, flog(y), math.Log(y), u)
		}
	}
	for _, x := range []float64{0, 1e-300, math.Inf(1), math.Inf(-1), 800, -800} {
		if got, want := fexp(x), math.Exp(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("fexp(%v) = %v; want %v", x, got, want)
		}
	}
	for _, x := range []float64{0, 1, -1, math.Inf(1), math.E} {
		if got, want := flog(x), math.Log(x); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Errorf("flog(%v) = %v; want %v", x, got, want)
		}
	}
	for i := 1; i < 10_000; i++ {
		p := float64(i) / 10_000
		want := math.Sqrt2 * math.Erfinv(2*p-1)
		if got := normQuantile(p); math.Abs(got-want) > 1e-8*max(1, math.Abs(want)) {
			t.Fatalf("normQuantile(%v) = %v; want %v", p, got, want)
		}
	}
}
