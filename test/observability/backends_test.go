// Package observability checks the gateway's telemetry against the real
// backends it is read by: Jaeger v2 receiving its OTLP traces (and answering
// through its own query API) and Prometheus scraping its metrics (answering
// the shipped dashboard's PromQL). Both are built from the Go module proxy by
// hack/build-observability.sh into bin/obs/ (make observability).
package observability

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/test/testbin"
)

// backendBin is the path of a built backend (jaeger or prometheus),
// building it when missing (cached in bin/obs). When it cannot be built the
// test skips, and fails under make (TOLLGATE_REQUIRE_OBSERVABILITY=1).
func backendBin(t *testing.T, name string) string {
	t.Helper()
	script := testbin.Script(t, "build-observability.sh")
	// The script returns at once when the binary is cached.
	out, err := exec.Command("bash", script, testbin.Dir(t), name).Output()
	bin := strings.TrimSpace(string(out))
	if err == nil && bin != "" {
		if _, serr := os.Stat(bin); serr == nil {
			return bin
		}
	}
	testbin.Missing(t, "TOLLGATE_REQUIRE_OBSERVABILITY", fmt.Sprintf("%s could not be built by %s (%v)", name, script, err))
	return ""
}

// freePorts reserves n distinct free ports on 127.0.0.1 (released just
// before the backend binds them).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	var ports []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		_ = ln.Close()
	}
	return ports
}

// startProcess runs bin with args until the test ends (killed then), its
// output in a log file the test prints when it fails.
func startProcess(t *testing.T, name, bin string, args ...string) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.Dir = t.TempDir()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("%s log:\n%s", name, tail(b, 6000))
			}
		}
	})
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// waitHTTP polls url until it answers 200 (bounded by d).
func waitHTTP(t *testing.T, url string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if body, status, err := get(context.Background(), url); err == nil && status == http.StatusOK {
			_ = body
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %s", url, d)
}

func get(ctx context.Context, url string) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	return b, resp.StatusCode, err
}
