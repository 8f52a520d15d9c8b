package limits

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/testclock"
)

// FuzzAdmitFigures: whatever figures a request carries, admission against
// a token limit never reserves more than the limit, and settling any
// usage leaves the counters in range.
func FuzzAdmitFigures(f *testing.F) {
	for _, s := range [][3]int64{{10, 100, 13}, {math.MaxInt64, math.MaxInt64, math.MaxInt64}, {-1, -1, -1},
		{0, 0, 0}, {math.MinInt64, math.MaxInt64, math.MinInt64}, {1, math.MaxInt64 - 1, 1 << 62}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, in, out, used int64) {
		e := newEngine(t, testConfig(limitPolicy("tok", lim(time.Hour, 0, 3000))), testclock.New(t0))
		tk, d, err := e.Admit(context.Background(), call("gpt-4o", in, out))
		if err != nil {
			t.Fatal(err)
		}
		if d != nil {
			return
		}
		if r := tk.est.in + tk.est.out; r < 0 || r > 3000 {
			t.Fatalf("reserved %d against a limit of 3000", r)
		}
		if err := tk.Settle(context.Background(), usage(used, used), 0); err != nil {
			t.Fatal(err)
		}
		s, err := e.Usage(context.Background(), "team")
		if err != nil {
			t.Fatal(err)
		}
		if s.InputTokens < 0 || s.OutputTokens < 0 || s.InputTokens > MaxRequestTokens || s.OutputTokens > MaxRequestTokens {
			t.Fatalf("usage out of range: %+v", s)
		}
	})
}
