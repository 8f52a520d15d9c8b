// Package pause waits a while unless a context ends first: the pacing and
// backoff of loops that must stop as soon as their context does.
package pause

import (
	"context"
	"time"
)

// For waits d, or until ctx ends; it reports whether ctx is still live
// (false: ctx ended, stop). A d of zero or less does not wait.
func For(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
