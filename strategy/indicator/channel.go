package indicator

// Donchian is the Donchian channel over n bars: the highest high and the lowest low of the
// last n bars (TA-Lib's MAX and MIN). Each side is a monotonic queue, so an update is O(1)
// amortised and never allocates. For trades, update with the price as both high and low.
//
// A breakout strategy compares a new bar with the channel of the bars before it: read
// Upper/Lower before calling Update with that bar.
type Donchian struct {
	n     int
	count int // bars seen
	hi    monoQueue
	lo    monoQueue
}

// NewDonchian returns an n-bar channel (commonly 20). It panics if n < 1.
func NewDonchian(n int) *Donchian {
	checkPeriod("Donchian", n)
	return &Donchian{n: n, hi: newMonoQueue(n, true), lo: newMonoQueue(n, false)}
}

// Update adds a bar.
func (c *Donchian) Update(high, low float64) {
	c.count++
	c.hi.push(c.count, high, c.n)
	c.lo.push(c.count, low, c.n)
}

// Ready reports whether n bars have been seen.
func (c *Donchian) Ready() bool { return c.count >= c.n }

// Upper returns the highest high of the last n bars; 0 until Ready.
func (c *Donchian) Upper() float64 {
	if !c.Ready() {
		return 0
	}
	return c.hi.front()
}

// Lower returns the lowest low of the last n bars; 0 until Ready.
func (c *Donchian) Lower() float64 {
	if !c.Ready() {
		return 0
	}
	return c.lo.front()
}

// Middle returns (Upper + Lower)/2; 0 until Ready.
func (c *Donchian) Middle() float64 { return (c.Upper() + c.Lower()) / 2 }

// Reset forgets all input.
func (c *Donchian) Reset() { c.count = 0; c.hi.reset(); c.lo.reset() }

// monoQueue keeps, in a ring of capacity n, the window's candidates for its maximum (or
// minimum): values in decreasing (increasing) order with their bar numbers. The front is the
// extreme of the window.
type monoQueue struct {
	idx        []int
	val        []float64
	head, size int
	max        bool
}

func newMonoQueue(n int, max bool) monoQueue {
	return monoQueue{idx: make([]int, n), val: make([]float64, n), max: max}
}

func (q *monoQueue) push(i int, x float64, n int) {
	size := len(q.idx)
	// Drop the front once it is older than the window.
	if q.size > 0 && q.idx[q.head] <= i-n {
		q.head++
		if q.head == size {
			q.head = 0
		}
		q.size--
	}
	// Drop from the back every value the new one dominates: they can never be the
	// extreme again. Ties keep the newer value, which stays longest.
	for q.size > 0 {
		back := q.head + q.size - 1
		if back >= size {
			back -= size
		}
		if q.max && q.val[back] > x || !q.max && q.val[back] < x {
			break
		}
		q.size--
	}
	at := q.head + q.size
	if at >= size {
		at -= size
	}
	q.idx[at], q.val[at] = i, x
	q.size++
}

func (q *monoQueue) front() float64 { return q.val[q.head] }

func (q *monoQueue) reset() { q.head, q.size = 0, 0 }
