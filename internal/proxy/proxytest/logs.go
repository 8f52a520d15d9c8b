package proxytest

import (
	"bytes"
	"sync"
)

// Logs is a log sink safe for concurrent writes: what a gateway under test
// logged, for the tests that read it back (no key in the logs, the access
// log line of a request).
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything written so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
