package testenv

import (
	"strings"
	"testing"
)

func TestScaleCount(t *testing.T) {
	tests := map[string]struct {
		scale, count string
		wantSkip     bool
		want         int
	}{
		"off skips":                {count: "7", wantSkip: true, want: 7},
		"on, the count set":        {scale: "1", count: "7", want: 7},
		"on, no count":             {scale: "1", want: 1000},
		"on, a count not positive": {scale: "1", count: "0", want: 1000},
		"on, a count not a number": {scale: "1", count: "many", want: 1000},
		"another value is off":     {scale: "yes", wantSkip: true, want: 1000},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			t.Setenv(ScaleEnv, tc.scale)
			t.Setenv("TOLLGATE_TEST_COUNT", tc.count)
			r := &recorder{TB: t}
			// The recorder's Skipf does not end the call, so the count
			// is read either way.
			got := ScaleCount(r, "TOLLGATE_TEST_COUNT", 1000, "measure")
			if skipped := r.skipped != ""; skipped != tc.wantSkip || (skipped && !strings.Contains(r.skipped, ScaleEnv+"=1 to measure")) {
				t.Errorf("skipped %q, want a skip: %v", r.skipped, tc.wantSkip)
			}
			if got != tc.want {
				t.Errorf("count %d, want %d", got, tc.want)
			}
		})
	}
}
