package testclock

import (
	"testing"
	"time"
)

func TestClockStandsStillUntilAdvanced(t *testing.T) {
	start := time.Date(2026, 11, 25, 10, 20, 30, 0, time.UTC)
	c := New(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now = %v, want %v", got, start)
	}
	c.Advance(90 * time.Second)
	c.Advance(30 * time.Second)
	if got, want := c.Now(), start.Add(2*time.Minute); !got.Equal(want) {
		t.Fatalf("after advancing 2m: Now = %v, want %v", got, want)
	}
}
