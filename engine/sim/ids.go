package sim

import "github.com/papertrade/papertrade/strategy"

// idAlphabet is RFC 4648 base32: upper-case letters and 2-7, as in Kraken's ids.
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// splitmix64 is a bijective 64-bit mixer (Steele, Lea, Flood 2014); it turns (seed, counter)
// into well-spread bits without any shared state.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// orderID returns the n-th order id of an exchange seeded with seed, in Kraken's format: "O"
// and 16 base32 characters grouped 6-5-6 ("OQCLML-BW3P3-BUCMWZ"). The same seed and n always
// give the same id; 80 random bits make collisions between a run's ids negligible, and the
// exchange checks its open orders anyway.
func orderID(seed, n uint64) strategy.OrderID {
	a := splitmix64(seed ^ splitmix64(n))
	b := splitmix64(a ^ 0x5851f42d4c957f2d)
	var c [16]byte
	for i := range 8 {
		c[i] = idAlphabet[a&31]
		a >>= 5
		c[8+i] = idAlphabet[b&31]
		b >>= 5
	}
	var out [19]byte
	out[0] = 'O'
	copy(out[1:6], c[0:5])
	out[6] = '-'
	copy(out[7:12], c[5:10])
	out[12] = '-'
	copy(out[13:19], c[10:16])
	return strategy.OrderID(out[:])
}
