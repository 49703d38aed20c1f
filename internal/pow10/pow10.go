// Package pow10 holds the powers of ten that fixed-point prices and quantities are scaled by
// (feed.Fixed, the simulator's integer price keys, the look-alike server's books). It is
// internal: the arithmetic is the project's own, not part of the feed vocabulary a strategy
// or a Source author uses.
package pow10

// Max is the largest n for which Int64(n) fits an int64.
const Max = 18

var table = [Max + 1]int64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18}

// Int64 returns 10^n for 0 <= n <= Max; other n panic (an index out of range), because a
// scale outside that range is a bug in the caller, never data.
func Int64(n int32) int64 { return table[n] }
