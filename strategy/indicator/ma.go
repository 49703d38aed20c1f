package indicator

// SMA is the simple moving average of the last n values.
type SMA struct {
	w   ring
	sum float64
}

// NewSMA returns an n-period simple moving average. It panics if n < 1.
func NewSMA(n int) *SMA {
	checkPeriod("SMA", n)
	return &SMA{w: newRing(n)}
}

// Update adds x.
func (s *SMA) Update(x float64) {
	old, wrapped := s.w.push(x)
	if wrapped {
		s.sum = sum(s.w.buf)
		return
	}
	s.sum += x - old
}

// Ready reports whether n values have been seen.
func (s *SMA) Ready() bool { return s.w.full }

// Value returns the average of the last n values; 0 until Ready.
func (s *SMA) Value() float64 {
	if !s.w.full {
		return 0
	}
	return s.sum / float64(len(s.w.buf))
}

// Period returns n.
func (s *SMA) Period() int { return len(s.w.buf) }

// Reset forgets all input.
func (s *SMA) Reset() { s.w.reset(); s.sum = 0 }

// EMA is the exponential moving average with smoothing k = 2/(n+1), seeded (as TA-Lib does)
// with the simple average of the first n values.
type EMA struct {
	n     int
	k     float64
	count int
	value float64 // running sum during warm-up, then the average
}

// NewEMA returns an n-period exponential moving average. It panics if n < 1.
func NewEMA(n int) *EMA {
	checkPeriod("EMA", n)
	return &EMA{n: n, k: 2 / float64(n+1)}
}

// Update adds x.
func (e *EMA) Update(x float64) {
	switch {
	case e.count >= e.n:
		e.value = (x-e.value)*e.k + e.value // TA-Lib's operation order
	case e.count == e.n-1:
		e.count++
		e.value = (e.value + x) / float64(e.n)
	default:
		e.count++
		e.value += x
	}
}

// Ready reports whether n values have been seen.
func (e *EMA) Ready() bool { return e.count >= e.n }

// Value returns the average; 0 until Ready.
func (e *EMA) Value() float64 {
	if e.count < e.n {
		return 0
	}
	return e.value
}

// Period returns n.
func (e *EMA) Period() int { return e.n }

// Reset forgets all input.
func (e *EMA) Reset() { e.count, e.value = 0, 0 }

// WMA is the linearly weighted moving average of the last n values: the newest has weight
// n, the oldest weight 1.
type WMA struct {
	w     ring
	count int
	sum   float64 // plain sum of the window
	wsum  float64 // weighted sum of the window
	div   float64 // n(n+1)/2
}

// NewWMA returns an n-period weighted moving average. It panics if n < 1.
func NewWMA(n int) *WMA {
	checkPeriod("WMA", n)
	return &WMA{w: newRing(n), div: float64(n*(n+1)) / 2}
}

// Update adds x.
func (m *WMA) Update(x float64) {
	n := len(m.w.buf)
	if !m.w.full {
		m.count++
		m.sum += x
		m.wsum += x * float64(m.count)
		m.w.push(x)
		return
	}
	old, wrapped := m.w.push(x)
	if wrapped {
		// Recompute both sums from the window (oldest first) to drop accumulated error.
		m.sum, m.wsum = 0, 0
		for i := range n {
			v := m.w.buf[(m.w.pos+i)%n]
			m.sum += v
			m.wsum += v * float64(i+1)
		}
		return
	}
	// Every value already in the window loses one weight step (the oldest drops to zero),
	// the new one enters with weight n.
	m.wsum += float64(n)*x - m.sum
	m.sum += x - old
}

// Ready reports whether n values have been seen.
func (m *WMA) Ready() bool { return m.w.full }

// Value returns the weighted average; 0 until Ready.
func (m *WMA) Value() float64 {
	if !m.w.full {
		return 0
	}
	return m.wsum / m.div
}

// Period returns n.
func (m *WMA) Period() int { return len(m.w.buf) }

// Reset forgets all input.
func (m *WMA) Reset() { m.w.reset(); m.count, m.sum, m.wsum = 0, 0, 0 }

func sum(xs []float64) float64 {
	var s float64
	for _, x := range xs {
		s += x
	}
	return s
}

// Interface guards.
var (
	_ Indicator = (*SMA)(nil)
	_ Indicator = (*EMA)(nil)
	_ Indicator = (*WMA)(nil)
)
