// Package testclock is a settable clock for the tests of code that takes
// its time from a func() time.Time (an Options.Now, a WithClock): it
// stands still until the test moves it, so expiries and windows are
// checked without waiting.
package testclock

import (
	"sync"
	"time"
)

// Clock is a time source safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// New is a clock that reads t until it is moved.
func New(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time; pass the method value where a clock is taken.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock d on.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
