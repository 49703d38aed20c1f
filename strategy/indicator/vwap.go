package indicator

import "fmt"

// VWAP is the volume-weighted average price Σ(price·volume)/Σvolume, in one of two forms:
//
//   - cumulative (window 0): over everything since creation or the last Reset. This is the
//     session VWAP: call Reset at the session start (e.g. from a daily timer). The sums use
//     Neumaier's compensated summation, so millions of trades lose no precision.
//   - rolling (window n > 0): over the last n updates (trades or bars), recomputed from the
//     window whenever it wraps.
//
// TA-Lib has no VWAP; the tests check it against direct summation. It is Ready once the
// volume in the window is positive (and, rolling, once n updates have been seen).
type VWAP struct {
	n      int
	pv, v  ring // rolling only
	spv    kahan
	svol   kahan
	filled bool
}

// NewVWAP returns a cumulative VWAP (window 0) or a rolling one over the last window
// updates. It panics if window < 0.
func NewVWAP(window int) *VWAP {
	if window < 0 {
		panic(fmt.Sprintf("indicator: VWAP window %d, want 0 (cumulative) or more", window))
	}
	w := &VWAP{n: window}
	if window > 0 {
		w.pv, w.v = newRing(window), newRing(window)
	}
	return w
}

// Update adds a trade or bar: price (or the bar's typical price) and volume.
func (w *VWAP) Update(price, volume float64) {
	pv := price * volume
	if w.n == 0 {
		w.spv.add(pv)
		w.svol.add(volume)
		w.filled = true
		return
	}
	oldPV, wrapped := w.pv.push(pv)
	oldV, _ := w.v.push(volume)
	if wrapped {
		w.filled = true
		w.spv = kahan{s: sum(w.pv.buf)}
		w.svol = kahan{s: sum(w.v.buf)}
		return
	}
	w.spv.add(pv - oldPV)
	w.svol.add(volume - oldV)
}

// Ready reports whether the window is filled and holds volume.
func (w *VWAP) Ready() bool { return w.filled && w.svol.value() > 0 }

// Value returns the VWAP; 0 until Ready.
func (w *VWAP) Value() float64 {
	if !w.Ready() {
		return 0
	}
	return w.spv.value() / w.svol.value()
}

// Volume returns the volume in the window.
func (w *VWAP) Volume() float64 { return w.svol.value() }

// Reset forgets all input (a new session).
func (w *VWAP) Reset() {
	if w.n > 0 {
		w.pv.reset()
		w.v.reset()
	}
	w.spv, w.svol, w.filled = kahan{}, kahan{}, false
}

// kahan is a Neumaier compensated sum.
type kahan struct{ s, c float64 }

func (k *kahan) add(x float64) {
	t := k.s + x
	if abs(k.s) >= abs(x) {
		k.c += (k.s - t) + x
	} else {
		k.c += (x - t) + k.s
	}
	k.s = t
}

func (k *kahan) value() float64 { return k.s + k.c }

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
