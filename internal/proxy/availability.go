package proxy

import (
	"time"

	"github.com/tollgate-dev/tollgate/internal/availability"
)

// tried is one upstream attempt's outcome, kept until the call finishes
// and then fed to its backend's availability window.
type tried struct {
	label string
	o     availability.Outcome
}

// noteAttempt keeps what b's attempt that started at started came to. An
// attempt that never reached the upstream (the gateway's own refusal) or
// that the client cut short says nothing about the backend: it is not
// kept.
func (c *call) noteAttempt(b *backend, res result, started time.Time) {
	if !res.reached || res.cancelled {
		return
	}
	end := time.Now()
	o := availability.Outcome{At: end, OK: res.err == nil, Latency: end.Sub(started)}
	if res.ttft > 0 {
		// The call's TTFT counts from the request's start; the backend's
		// from its attempt's.
		o.TTFT = max(res.ttft-started.Sub(c.start), 0)
	}
	if res.err != nil {
		o.Class = availability.ParseClass(className(res.err.Class))
	}
	c.tries = append(c.tries, tried{label: b.label, o: o})
}

// feedAvailability feeds the call's attempts to their backends' windows;
// the answered attempt gets the call's settled output tokens (checked or
// estimated), for throughput.
func (c *call) feedAvailability() {
	for i, t := range c.tries {
		if i == len(c.tries)-1 && t.o.OK {
			t.o.OutputTokens = c.usage.OutputTokens
		}
		c.s.avail.Window(t.label).Observe(t.o)
	}
}

// Availability is the gateway's per-backend rolling window of success
// rate, latency, TTFT, throughput and errors (by backend label).
func (s *Server) Availability() *availability.Registry { return s.avail }

// retainWindows forgets the windows of backends sn no longer routes to.
func (s *Server) retainWindows(sn *snapshot) {
	keep := map[string]bool{}
	for _, r := range sn.router.all() {
		for _, tier := range r.tiers {
			for _, b := range tier {
				keep[b.label] = true
			}
		}
	}
	s.avail.Retain(keep)
}
