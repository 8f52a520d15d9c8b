package e2e

import (
	"encoding/base64"
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

func decodeB64(s string) (string, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	return string(b), err
}

var runSeq atomic.Int64

// unique names an object of one test run, so repeated runs (-count) against
// the same quickstart start from nothing: limit counters and fields other
// managers set live on with an object's name.
func unique(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().Unix()%100000, runSeq.Add(1))
}

// cleanup deletes objects (kind/name) when the test ends. The local
// control plane has no garbage collector, so owned Secrets are listed too.
func cleanup(t *testing.T, objs ...string) {
	t.Cleanup(func() {
		args := append([]string{"delete", "--ignore-not-found", "--wait=false"}, objs...)
		if out, err := kubectlErr(args...); err != nil {
			t.Logf("cleanup: kubectl %v: %v\n%s", args, err, out)
		}
	})
}
