package pause

import (
	"context"
	"testing"
	"time"
)

func TestForWaitsOutALiveContext(t *testing.T) {
	if !For(context.Background(), time.Millisecond) {
		t.Fatal("For reported a live context as ended")
	}
	if !For(context.Background(), 0) {
		t.Fatal("For(0) reported a live context as ended")
	}
}

func TestForStopsWithItsContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// An hour: For returns only because ctx has ended.
	if For(ctx, time.Hour) {
		t.Fatal("For reported an ended context as live")
	}
	if For(ctx, 0) {
		t.Fatal("For(0) reported an ended context as live")
	}
}
