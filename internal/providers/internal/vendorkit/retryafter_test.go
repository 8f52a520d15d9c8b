package vendorkit

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name, key, value string
		want             time.Duration
	}{
		{"absent", "", "", 0},
		{"seconds", "Retry-After", "3", 3 * time.Second},
		{"fractional", "Retry-After", "1.5", 1500 * time.Millisecond},
		{"milliseconds", "retry-after-ms", "250", 250 * time.Millisecond},
		{"date", "Retry-After", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"past date", "Retry-After", now.Add(-time.Hour).Format(http.TimeFormat), 0},
		{"far date", "Retry-After", now.AddDate(100, 0, 0).Format(http.TimeFormat), MaxRetryAfter},
		{"zero", "Retry-After", "0", 0},
		{"negative", "Retry-After", "-5", 0},
		{"garbage", "Retry-After", "soon", 0},
		{"NaN", "Retry-After", "NaN", 0},
		{"infinite", "Retry-After", "Inf", MaxRetryAfter},
		{"huge seconds", "Retry-After", "1e30", MaxRetryAfter},
		{"past int64 seconds", "Retry-After", "9223372036854775807", MaxRetryAfter},
		{"huge milliseconds", "retry-after-ms", "1e300", MaxRetryAfter},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := http.Header{}
			if c.key != "" {
				h.Set(c.key, c.value)
			}
			if got := RetryAfter(h, now); got != c.want {
				t.Errorf("RetryAfter(%s: %q) = %v, want %v", c.key, c.value, got, c.want)
			}
		})
	}
}
