package limits

import "math"

// MaxRequestTokens bounds every token figure of one request the engine
// works with: the input estimate, the output it reserves and the usage it
// settles. No model reads or writes this many tokens in one call, and with
// every figure below 2^32 the counters' sums stay far from int64's range
// in every store (Local, and Redis, whose INCRBY refuses to overflow), so
// no request field or upstream report can make a reservation wrap.
const MaxRequestTokens int64 = 1 << 32

// clampTokens bounds a token figure to [0, MaxRequestTokens].
func clampTokens(n int64) int64 { return min(max(n, 0), MaxRequestTokens) }

// satAdd adds without wrapping: the sum saturates at int64's bounds.
func satAdd(a, b int64) int64 {
	s := a + b
	switch {
	case a > 0 && b > 0 && s < 0:
		return math.MaxInt64
	case a < 0 && b < 0 && s >= 0:
		return math.MinInt64
	}
	return s
}

// fits reports whether cur+amount stays at or below limit, computed
// without overflow.
func fits(cur, amount, limit int64) bool { return satAdd(cur, amount) <= limit }
