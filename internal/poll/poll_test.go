package poll

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB whose Fatalf records the message and ends the
// goroutine, as testing's does, so Until's failure can be read.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// run calls Until with r in a goroutine of its own and waits for it.
func run(r *recorder, timeout time.Duration, fn func() error) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		Until(r, timeout, fn)
	}()
	<-done
}

func TestUntilReturnsOnceFnSucceeds(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	run(r, time.Minute, func() error {
		calls++
		if calls < 3 {
			return errors.New("not yet")
		}
		return nil
	})
	if r.failed != "" || calls != 3 {
		t.Fatalf("fn called %d times, failure %q; want 3 calls and no failure", calls, r.failed)
	}
}

func TestUntilFailsWithTheLastError(t *testing.T) {
	r := &recorder{TB: t}
	calls := 0
	run(r, 0, func() error {
		calls++
		return fmt.Errorf("attempt %d", calls)
	})
	if want := fmt.Sprintf("attempt %d", calls); !strings.Contains(r.failed, want) {
		t.Fatalf("failure %q does not carry the last error %q", r.failed, want)
	}
}
