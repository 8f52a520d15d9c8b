// Package poll waits, in tests, for what another goroutine, process or
// control plane brings about: it asks again until the answer is yes and
// fails the test with the last reason once a bound has passed. The bound
// only limits the wait; nothing asserts on speed.
package poll

import (
	"testing"
	"time"
)

// Interval is how long Until sleeps between two calls.
const Interval = 100 * time.Millisecond

// Until calls fn every Interval until it returns nil, failing t with fn's
// last error once timeout has passed.
func Until(t testing.TB, timeout time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not reached within %s: %v", timeout, err)
		}
		time.Sleep(Interval)
	}
}
