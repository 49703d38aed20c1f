package indicator

import "fmt"

// ring is a fixed-size window of the last len(buf) values.
type ring struct {
	buf  []float64
	pos  int // where the next value goes; the oldest value once full
	full bool
}

func newRing(n int) ring { return ring{buf: make([]float64, n)} }

// push stores x and returns the value it displaced (0 while filling) and whether the
// window just wrapped around: a moment to recompute running sums from scratch.
func (r *ring) push(x float64) (old float64, wrapped bool) {
	old = r.buf[r.pos]
	r.buf[r.pos] = x
	r.pos++
	if r.pos == len(r.buf) {
		r.pos = 0
		r.full = true
		wrapped = true
	}
	return old, wrapped
}

// oldest returns the value that the next push displaces (valid when full).
func (r *ring) oldest() float64 { return r.buf[r.pos] }

func (r *ring) reset() {
	clear(r.buf)
	r.pos = 0
	r.full = false
}

func checkPeriod(name string, n int) {
	if n < 1 {
		panic(fmt.Sprintf("indicator: %s period %d, want at least 1", name, n))
	}
}

// Indicator is implemented by the single-input indicators (SMA, EMA, WMA, RSI, ROC, StdDev,
// MACD), so that strategies can hold them interchangeably.
type Indicator interface {
	// Update adds the next input value.
	Update(x float64)
	// Value returns the current value; 0 until Ready.
	Value() float64
	// Ready reports whether the warm-up is over and Value is meaningful.
	Ready() bool
}
