// Package e2e runs the quickstart end to end: a real kube-apiserver and etcd,
// the operator, `kubectl apply -k config/samples`, the gateway the operator
// configured (served from its config Secret), and the official openai-go and
// anthropic-sdk-go clients and kubectl against them.
//
// One quickstart is started for the package (TestMain) and its tests share
// it; each test that changes the cluster uses objects of its own.
package e2e

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/dev"
	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// qs is the running quickstart.
var qs struct {
	dev.Info
	metrics string
	err     error
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	flag.Parse()
	assets, err := testenv.AssetsDir()
	if err != nil {
		if os.Getenv(testenv.RequireEnv) != "" {
			fmt.Fprintln(os.Stderr, "e2e: control-plane binaries:", err)
			return 1
		}
		fmt.Fprintln(os.Stderr, "e2e: skipping, control-plane binaries unavailable:", err)
		return 0
	}
	state, err := os.MkdirTemp("", "tollgate-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(state)
	listen, metrics := freeAddr(), freeAddr()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan dev.Info, 1)
	done := make(chan error, 1)
	go func() {
		done <- dev.Run(ctx, dev.Options{
			Assets: assets, CRDs: "../../config/crd/bases", Samples: "../../config/samples",
			State: state, Namespace: "default", Gateway: "main", Consumer: "demo",
			Listen: listen, MetricsListen: metrics,
			Ready: func(i dev.Info) { ready <- i },
		}, &prefixWriter{})
	}()
	select {
	case qs.Info = <-ready:
		qs.metrics = metrics
	case err := <-done:
		fmt.Fprintln(os.Stderr, "e2e: quickstart failed:", err)
		dumpLogs(state)
		cancel()
		return 1
	case <-time.After(4 * time.Minute):
		fmt.Fprintln(os.Stderr, "e2e: quickstart not ready after 4 minutes")
		dumpLogs(state)
		cancel()
		return 1
	}
	code := m.Run()
	if code != 0 {
		dumpLogs(state)
	}
	cancel()
	if err := <-done; err != nil {
		fmt.Fprintln(os.Stderr, "e2e: quickstart stopped with:", err)
	}
	return code
}

// prefixWriter shows the quickstart's output in verbose runs.
type prefixWriter struct{}

func (prefixWriter) Write(p []byte) (int, error) {
	if testing.Verbose() {
		for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
			fmt.Fprintln(os.Stderr, "quickstart |", l)
		}
	}
	return len(p), nil
}

func dumpLogs(state string) {
	for _, f := range []string{"operator.log", "gateway.log"} {
		b, err := os.ReadFile(filepath.Join(state, f))
		if err != nil {
			continue
		}
		lines := strings.Split(string(b), "\n")
		if len(lines) > 60 {
			lines = lines[len(lines)-60:]
		}
		fmt.Fprintf(os.Stderr, "---- last lines of %s\n%s\n", f, strings.Join(lines, "\n"))
	}
}

func freeAddr() string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("e2e: no free port on 127.0.0.1: %v", err))
	}
	defer l.Close()
	return l.Addr().String()
}

// kubectl runs the real kubectl against the quickstart's control plane.
func kubectl(t *testing.T, args ...string) string {
	t.Helper()
	out, err := kubectlErr(args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func kubectlErr(args ...string) (string, error) {
	cmd := exec.Command(qs.Kubectl, args...)
	cmd.Env = append(os.Environ(), "KUBECONFIG="+qs.Kubeconfig)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// kubectlApply applies a manifest given inline.
func kubectlApply(t *testing.T, manifest string) {
	t.Helper()
	cmd := exec.Command(qs.Kubectl, "apply", "--server-side", "-f", "-")
	cmd.Env = append(os.Environ(), "KUBECONFIG="+qs.Kubeconfig)
	cmd.Stdin = strings.NewReader(manifest)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("kubectl apply: %v\n%s", err, out)
	}
}

// eventually polls cond every 200ms until it returns "" or the limit passes.
func eventually(t *testing.T, limit time.Duration, what string, cond func() string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	var last string
	for {
		if last = cond(); last == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %s: %s", what, limit, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
