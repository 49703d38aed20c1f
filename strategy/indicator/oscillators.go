package indicator

// MACD is the moving average convergence/divergence: the line is EMA(fast) − EMA(slow) of
// the input, the signal is EMA(signal) of the line, the histogram is line − signal.
//
// Each EMA is seeded with the simple average of its own first period, as go-talib's Macd
// computes the fast and slow averages. (C TA-Lib instead seeds the fast EMA over the same
// window as the slow one, and go-talib seeds the signal EMA from zero-padded input; both
// differences vanish after the warm-up — see the package tests.) The line is available after
// slow values, everything is Ready after slow+signal−1 values.
type MACD struct {
	fast, slow, signal EMA
	line               float64
}

// NewMACD returns a MACD with the given periods (commonly 12, 26, 9). It panics if a period
// is below 1.
func NewMACD(fast, slow, signal int) *MACD {
	checkPeriod("MACD fast", fast)
	checkPeriod("MACD slow", slow)
	checkPeriod("MACD signal", signal)
	return &MACD{fast: *NewEMA(fast), slow: *NewEMA(slow), signal: *NewEMA(signal)}
}

// Update adds x.
func (m *MACD) Update(x float64) {
	m.fast.Update(x)
	m.slow.Update(x)
	if m.fast.Ready() && m.slow.Ready() {
		m.line = m.fast.value - m.slow.value
		m.signal.Update(m.line)
	}
}

// Ready reports whether line, signal and histogram are all available.
func (m *MACD) Ready() bool { return m.signal.Ready() }

// LineReady reports whether the MACD line is available (the signal may still be warming up).
func (m *MACD) LineReady() bool { return m.fast.Ready() && m.slow.Ready() }

// Value returns the MACD line; 0 until LineReady.
func (m *MACD) Value() float64 {
	if !m.LineReady() {
		return 0
	}
	return m.line
}

// Signal returns the signal line; 0 until Ready.
func (m *MACD) Signal() float64 { return m.signal.Value() }

// Hist returns line − signal; 0 until Ready.
func (m *MACD) Hist() float64 {
	if !m.Ready() {
		return 0
	}
	return m.line - m.signal.value
}

// Reset forgets all input.
func (m *MACD) Reset() { m.fast.Reset(); m.slow.Reset(); m.signal.Reset(); m.line = 0 }

// RSI is Wilder's relative strength index over n periods, 0 to 100: the first average gain
// and loss are the simple averages of the first n changes, later ones are smoothed as
// avg = (avg·(n−1) + change)/n. Ready after n+1 values.
//
// When there has been no movement at all (average gain and loss both zero) RSI is
// undefined; this returns 50, where TA-Lib returns 0.
type RSI struct {
	n          int
	count      int // values seen, capped at n+1
	prev       float64
	gain, loss float64
}

// NewRSI returns an n-period RSI (commonly 14). It panics if n < 1.
func NewRSI(n int) *RSI {
	checkPeriod("RSI", n)
	return &RSI{n: n}
}

// Update adds x.
func (r *RSI) Update(x float64) {
	if r.count == 0 {
		r.prev = x
		r.count = 1
		return
	}
	d := x - r.prev
	r.prev = x
	var g, l float64
	if d < 0 {
		l = -d
	} else {
		g = d
	}
	n := float64(r.n)
	switch {
	case r.count > r.n:
		// TA-Lib's operation order, so that results agree to the last bits.
		r.loss = (r.loss*(n-1) + l) / n
		r.gain = (r.gain*(n-1) + g) / n
	case r.count == r.n:
		r.count++
		r.gain = (r.gain + g) / n
		r.loss = (r.loss + l) / n
	default:
		r.count++
		r.gain += g
		r.loss += l
	}
}

// Ready reports whether n changes (n+1 values) have been seen.
func (r *RSI) Ready() bool { return r.count > r.n }

// Value returns the RSI; 0 until Ready.
func (r *RSI) Value() float64 {
	if !r.Ready() {
		return 0
	}
	t := r.gain + r.loss
	if t < 1e-14 { // TA-Lib's threshold for "no movement"
		return 50
	}
	return 100 * r.gain / t
}

// Reset forgets all input.
func (r *RSI) Reset() { *r = RSI{n: r.n} }

// ROC is the rate of change over n periods in percent: (x / x[n periods ago] − 1)·100, as
// TA-Lib's ROC. It is 0 when the old value is 0. Ready after n+1 values.
type ROC struct {
	w     ring // the last n+1 values
	value float64
}

// NewROC returns an n-period rate of change. It panics if n < 1.
func NewROC(n int) *ROC {
	checkPeriod("ROC", n)
	return &ROC{w: newRing(n + 1)}
}

// Update adds x.
func (r *ROC) Update(x float64) {
	r.w.push(x)
	if !r.w.full {
		return
	}
	old := r.w.oldest() // the value n periods before x
	if old == 0 {
		r.value = 0
		return
	}
	r.value = (x/old - 1) * 100
}

// Ready reports whether n+1 values have been seen.
func (r *ROC) Ready() bool { return r.w.full }

// Value returns the rate of change in percent; 0 until Ready.
func (r *ROC) Value() float64 {
	if !r.w.full {
		return 0
	}
	return r.value
}

// Reset forgets all input.
func (r *ROC) Reset() { r.w.reset(); r.value = 0 }

// Interface guards.
var (
	_ Indicator = (*MACD)(nil)
	_ Indicator = (*RSI)(nil)
	_ Indicator = (*ROC)(nil)
)
