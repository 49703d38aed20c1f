package synth

import "math"

// The model's transcendental functions. math.Exp and math.Log may be computed differently
// by different architectures (assembly versions, fused multiply-add in the Go versions when
// built for GOAMD64=v3, arm64, ppc64…), and one ulp is enough to change a size or a tick
// later on. These ports of Go's portable implementations (themselves from FreeBSD's
// msun) wrap every product that meets a sum in float64(), which the Go spec says forbids
// fusing (a product stored in a variable and added later can still be fused, so those are
// wrapped too), so they round identically everywhere. Only +, −, ×, ÷ and math.Sqrt — all
// correctly rounded by IEEE 754 — and exact bit operations (Frexp, Ldexp, Floor) remain.

// fexp returns e**x (Go's math/exp.go).
func fexp(x float64) float64 {
	const (
		ln2Hi     = 6.93147180369123816490e-01
		ln2Lo     = 1.90821492927058770002e-10
		log2e     = 1.44269504088896338700e+00
		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28)
		p1        = 1.66666666666666657415e-01
		p2        = -2.77777777770155933842e-03
		p3        = 6.61375632143793436117e-05
		p4        = -1.65339022054652515390e-06
		p5        = 4.13813679705723846039e-08
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1), x < underflow:
		return 0
	case x > overflow:
		return math.Inf(1)
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	var k int
	switch {
	case x < 0:
		k = int(float64(log2e*x) - 0.5)
	case x > 0:
		k = int(float64(log2e*x) + 0.5)
	}
	hi := x - float64(float64(k)*ln2Hi)
	lo := float64(float64(k) * ln2Lo)
	r := hi - lo
	t := r * r
	poly := float64(t * p5)
	poly = float64(t * (p4 + poly))
	poly = float64(t * (p3 + poly))
	poly = float64(t * (p2 + poly))
	poly = float64(t * (p1 + poly))
	c := r - poly
	y := 1 - ((lo - float64(r*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}

// flog returns the natural logarithm of x (Go's math/log.go).
func flog(x float64) float64 {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case x < 0:
		return math.NaN()
	case x == 0:
		return math.Inf(-1)
	}
	f1, ki := math.Frexp(x)
	if f1 < math.Sqrt2/2 {
		f1 *= 2
		ki--
	}
	f := f1 - 1
	k := float64(ki)
	s := f / (2 + f)
	s2 := s * s
	s4 := s2 * s2
	t1 := float64(s4 * l7)
	t1 = float64(s4 * (l5 + t1))
	t1 = float64(s4 * (l3 + t1))
	t1 = float64(s2 * (l1 + t1))
	t2 := float64(s4 * l6)
	t2 = float64(s4 * (l4 + t2))
	t2 = float64(s4 * (l2 + t2))
	r := t1 + t2
	hfsq := float64(float64(0.5*f) * f)
	return float64(k*ln2Hi) - ((hfsq - (float64(s*(hfsq+r)) + float64(k*ln2Lo))) - f)
}

// normQuantile returns the standard normal quantile of p in (0, 1): Acklam's rational
// approximation (relative error below 1.2e-9), plenty for a size distribution.
func normQuantile(p float64) float64 {
	const (
		a1, a2, a3, a4, a5, a6 = -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00
		b1, b2, b3, b4, b5     = -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01
		c1, c2, c3, c4, c5, c6 = -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00
		d1, d2, d3, d4         = 7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00
		low                    = 0.02425
	)
	// horner evaluates c[0]·x^n + … + c[n] without fusing.
	horner := func(x float64, c ...float64) float64 {
		y := c[0]
		for _, ci := range c[1:] {
			y = float64(y*x) + ci
		}
		return y
	}
	switch {
	case p < low:
		q := math.Sqrt(-2 * flog(p))
		return horner(q, c1, c2, c3, c4, c5, c6) / horner(q, d1, d2, d3, d4, 1)
	case p > 1-low:
		q := math.Sqrt(-2 * flog(1-p))
		return -horner(q, c1, c2, c3, c4, c5, c6) / horner(q, d1, d2, d3, d4, 1)
	}
	q := p - 0.5
	r := q * q
	return float64(horner(r, a1, a2, a3, a4, a5, a6)*q) / horner(r, b1, b2, b3, b4, b5, 1)
}
