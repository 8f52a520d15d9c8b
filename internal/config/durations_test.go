package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// The optional durations with a bound: 0 (the default) and the bound are
// served, a negative one and one over the bound are refused with the
// field and the range named.
func TestValidateBoundedDurations(t *testing.T) {
	for _, tc := range []struct {
		field string
		max   time.Duration
		set   func(*config.Config, time.Duration)
	}{
		{"responses.storeTTL", config.MaxResponseStoreTTL, func(c *config.Config, d time.Duration) { c.Responses.StoreTTL = config.D(d) }},
		{"responseCache.ttl", config.MaxCacheTTL, func(c *config.Config, d time.Duration) { c.ResponseCache.TTL = config.D(d) }},
		{"guardrails[0].external.timeout", config.MaxExternalTimeout, func(c *config.Config, d time.Duration) {
			c.Guardrails = []config.Guardrail{{Name: "mod", External: &config.ExternalCheck{Provider: "p", Model: "m", Timeout: config.D(d)}}}
		}},
	} {
		t.Run(tc.field, func(t *testing.T) {
			for _, d := range []time.Duration{0, tc.max, -time.Second, tc.max + time.Second} {
				c := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "g"}}
				c.Default()
				tc.set(c, d)
				err := c.Validate()
				ok := d >= 0 && d <= tc.max
				want := tc.field + ": " + config.D(d).String() + " is out of range: want 0 (the default) to " + tc.max.String()
				if ok && err != nil || !ok && (err == nil || !strings.Contains(err.Error(), want)) {
					t.Errorf("%s: got %v, want %s", d, err, map[bool]string{true: "no error", false: want}[ok])
				}
			}
		})
	}
}
