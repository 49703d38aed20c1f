package indicator

import "math"

// StdDev is the population standard deviation of the last n values (TA-Lib's STDDEV with
// nbDev 1: divide by n, not n−1). It keeps a sliding mean and sum of squared deviations
// (Welford's update, adapted to a window), which stays accurate at any price level where
// the textbook Σx²/n − mean² loses digits to cancellation. Variances below 1e-14 read as 0,
// as in TA-Lib.
type StdDev struct {
	w     ring
	count int
	mean  float64
	m2    float64 // sum of squared deviations from mean over the window
}

// NewStdDev returns an n-period standard deviation. It panics if n < 1.
func NewStdDev(n int) *StdDev {
	checkPeriod("StdDev", n)
	return &StdDev{w: newRing(n)}
}

// Update adds x.
func (s *StdDev) Update(x float64) {
	if !s.w.full {
		s.w.push(x)
		s.count++
		d := x - s.mean
		s.mean += d / float64(s.count)
		s.m2 += d * (x - s.mean)
		return
	}
	old, wrapped := s.w.push(x)
	if wrapped {
		s.recompute()
		return
	}
	mean := s.mean + (x-old)/float64(len(s.w.buf))
	s.m2 += (x - old) * (x - mean + old - s.mean)
	s.mean = mean
}

// recompute sets mean and m2 from the window with two exact passes.
func (s *StdDev) recompute() {
	n := float64(len(s.w.buf))
	s.mean = sum(s.w.buf) / n
	s.m2 = 0
	for _, v := range s.w.buf {
		d := v - s.mean
		s.m2 += d * d
	}
}

// Ready reports whether n values have been seen.
func (s *StdDev) Ready() bool { return s.w.full }

// Value returns the standard deviation; 0 until Ready.
func (s *StdDev) Value() float64 {
	if !s.w.full {
		return 0
	}
	v := s.m2 / float64(len(s.w.buf))
	if v < 1e-14 {
		return 0
	}
	return math.Sqrt(v)
}

// Mean returns the mean of the window (the n-period SMA); 0 until Ready.
func (s *StdDev) Mean() float64 {
	if !s.w.full {
		return 0
	}
	return s.mean
}

// Reset forgets all input.
func (s *StdDev) Reset() { s.w.reset(); s.count, s.mean, s.m2 = 0, 0, 0 }

// Bollinger is the Bollinger bands: the n-period simple moving average (the middle band)
// plus and minus k population standard deviations (TA-Lib BBANDS with an SMA).
type Bollinger struct {
	sd StdDev
	k  float64
}

// NewBollinger returns n-period bands k deviations wide (commonly 20 and 2). It panics if
// n < 1.
func NewBollinger(n int, k float64) *Bollinger {
	checkPeriod("Bollinger", n)
	return &Bollinger{sd: *NewStdDev(n), k: k}
}

// Update adds x.
func (b *Bollinger) Update(x float64) { b.sd.Update(x) }

// Ready reports whether n values have been seen.
func (b *Bollinger) Ready() bool { return b.sd.Ready() }

// Middle returns the moving average; 0 until Ready.
func (b *Bollinger) Middle() float64 { return b.sd.Mean() }

// Upper returns middle + k·stddev; 0 until Ready.
func (b *Bollinger) Upper() float64 { return b.sd.Mean() + b.k*b.sd.Value() }

// Lower returns middle − k·stddev; 0 until Ready.
func (b *Bollinger) Lower() float64 {
	if !b.sd.Ready() {
		return 0
	}
	return b.sd.Mean() - b.k*b.sd.Value()
}

// StdDev returns the current standard deviation; 0 until Ready.
func (b *Bollinger) StdDev() float64 { return b.sd.Value() }

// PercentB returns where x lies in the bands: 0 at the lower band, 1 at the upper, 0.5 in
// the middle; 0.5 when the bands have no width or are not Ready.
func (b *Bollinger) PercentB(x float64) float64 {
	lo, hi := b.Lower(), b.Upper()
	if !b.sd.Ready() || hi <= lo {
		return 0.5
	}
	return (x - lo) / (hi - lo)
}

// Reset forgets all input.
func (b *Bollinger) Reset() { b.sd.Reset() }

// ATR is Wilder's average true range over n bars. A bar's true range is the largest of
// high−low, |high − previous close| and |low − previous close|, so the first bar only
// provides a previous close. The first ATR is the simple average of the first n true
// ranges, later ones are smoothed as atr = (atr·(n−1) + tr)/n (TA-Lib's ATR). Ready after
// n+1 bars.
type ATR struct {
	n         int
	count     int // bars seen, capped at n+1
	prevClose float64
	tr        float64
	value     float64 // sum of true ranges during warm-up, then the average
}

// NewATR returns an n-bar average true range (commonly 14). It panics if n < 1.
func NewATR(n int) *ATR {
	checkPeriod("ATR", n)
	return &ATR{n: n}
}

// Update adds a bar.
func (a *ATR) Update(high, low, close float64) {
	if a.count == 0 {
		a.prevClose = close
		a.count = 1
		return
	}
	tr := high - low
	if v := math.Abs(a.prevClose - high); v > tr {
		tr = v
	}
	if v := math.Abs(a.prevClose - low); v > tr {
		tr = v
	}
	a.tr = tr
	a.prevClose = close
	n := float64(a.n)
	switch {
	case a.count > a.n:
		a.value = (a.value*(n-1) + tr) / n
	case a.count == a.n:
		a.count++
		a.value = (a.value + tr) / n
	default:
		a.count++
		a.value += tr
	}
}

// Ready reports whether n+1 bars have been seen.
func (a *ATR) Ready() bool { return a.count > a.n }

// Value returns the average true range; 0 until Ready.
func (a *ATR) Value() float64 {
	if !a.Ready() {
		return 0
	}
	return a.value
}

// TrueRange returns the last bar's true range; 0 before the second bar.
func (a *ATR) TrueRange() float64 { return a.tr }

// Reset forgets all input.
func (a *ATR) Reset() { *a = ATR{n: a.n} }

// Interface guard.
var _ Indicator = (*StdDev)(nil)
