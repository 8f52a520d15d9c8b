package redispipe

import (
	"context"
	"testing"
	"time"
)

// deadlineOnly is a context whose deadline has passed while its timer has
// not fired yet (Err is nil): what a command cut by its connection's
// deadline can see.
type deadlineOnly struct {
	context.Context
	at time.Time
}

func (d deadlineOnly) Deadline() (time.Time, bool) { return d.at, true }

func TestOutOfTimeAtTheDeadlineBeforeTheTimer(t *testing.T) {
	past := deadlineOnly{Context: context.Background(), at: time.Now().Add(-time.Millisecond)}
	if !OutOfTime(past) {
		t.Error("a context past its deadline (timer not fired) is not out of time")
	}
	future := deadlineOnly{Context: context.Background(), at: time.Now().Add(time.Hour)}
	if OutOfTime(future) || OutOfTime(context.Background()) {
		t.Error("a context with time left (or no deadline) is out of time")
	}
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	if !OutOfTime(ended) {
		t.Error("a cancelled context is not out of time")
	}
}
