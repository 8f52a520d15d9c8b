// Package scale holds the opt-in convergence measurements of issue 16
// that need the operator in a process of its own.
package scale

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/controller"
	"github.com/tollgate-dev/tollgate/internal/operator"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/proxy"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	"github.com/tollgate-dev/tollgate/internal/testenv"
	"github.com/tollgate-dev/tollgate/test/scalefig"
)

// operatorEnv makes this test binary run `tollgate operator`
// (operator.Main, what the tollgate binary's operator command runs) with
// its arguments: the operator is a process of its own, so its RSS is its
// own and not the test client's.
const operatorEnv = "TOLLGATE_SCALE_RUN_OPERATOR"

func TestMain(m *testing.M) {
	if os.Getenv(operatorEnv) == "1" {
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		if err := operator.Main(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
			stop()
			fmt.Fprintln(os.Stderr, "operator:", err)
			os.Exit(1)
		}
		stop()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestColdConvergence creates a gateway and n Consumers with brought keys
// (and their Secrets) while no operator runs, then starts the operator
// (`tollgate operator` in its own process) and times convergence: the
// gateway Programmed with every Consumer and the root's hash, and a proxy
// reading the real Secrets serving it, with a sample of keys (the first,
// the last and random ones) answered. It reports the operator's peak and
// final RSS from /proc/<pid>/status, apart from the test process's.
// Opt-in (make scale): TOLLGATE_SCALE=1, TOLLGATE_COLD_CONSUMERS (default
// 10,000). It asserts what converged, never how fast.
func TestColdConvergence(t *testing.T) {
	n := testenv.ScaleCount(t, "TOLLGATE_COLD_CONSUMERS", 10_000, "time convergence from cold")
	scheme, err := controller.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	env := testenv.Start(t, testenv.Options{Scheme: scheme})
	c := env.Client
	ctx := context.Background()
	ns := "cold"
	must(t, c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}))
	must(t, c.Create(ctx, &v1alpha1.ModelProvider{ObjectMeta: metav1.ObjectMeta{Name: "mock", Namespace: ns},
		Spec: v1alpha1.ModelProviderSpec{Type: v1alpha1.ProviderMock, Models: []v1alpha1.ProviderModel{{Name: "mock-small"}}}}))
	gw := &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: ns},
		Spec: v1alpha1.AIGatewaySpec{Replicas: new(int32(1))}}
	must(t, c.Create(ctx, gw))
	start := time.Now()
	keys := createConsumers(t, c, ns, n)
	created := time.Since(start)
	t.Logf("%d Consumers and their Secrets created in %s with no operator running", n, created.Round(time.Millisecond))

	op := startOperator(t, env, ns)
	began := time.Now()
	var root corev1.Secret
	poll.Until(t, 30*time.Minute, func() error {
		if err := c.Get(ctx, client.ObjectKeyFromObject(gw), gw); err != nil {
			return err
		}
		if int(gw.Status.Consumers) != n {
			return fmt.Errorf("%d of %d consumers compiled", gw.Status.Consumers, n)
		}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main-config"}, &root); err != nil {
			return err
		}
		if h := config.Hash(root.Data[config.SecretKey]); h != gw.Status.ConfigHash {
			return fmt.Errorf("status.configHash %s, the root Secret's %s", gw.Status.ConfigHash, h)
		}
		return nil
	})
	programmed := time.Since(began)

	// A gateway reading the real Secrets, as a starting pod does.
	cs, err := kubernetes.NewForConfig(env.Config)
	must(t, err)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	src := &proxy.SecretSource{Client: cs, Namespace: ns, Name: "main-config"}
	s := proxy.New(proxy.Options{Logger: log})
	defer s.Close()
	must(t, src.LoadFirst(ctx, s, log))
	wctx, stopWatch := context.WithCancel(ctx)
	defer stopWatch()
	go src.Watch(wctx, log, func(b []byte) error { return src.Load(wctx, s, b) })
	if s.ConfigHash() != gw.Status.ConfigHash || len(s.Config().Consumers) != n {
		t.Fatalf("the gateway serves %s with %d consumers, want %s with %d", s.ConfigHash(), len(s.Config().Consumers), gw.Status.ConfigHash, n)
	}
	srv := httptest.NewServer(s)
	defer srv.Close()
	sample := []int{0, n - 1}
	for range min(n, 50) {
		sample = append(sample, rand.IntN(n))
	}
	for _, i := range sample {
		if code := proxytest.ChatStatus(t, srv.URL, keys[i], "mock-small", nil); code != http.StatusOK {
			t.Fatalf("consumer c%06d's key: status %d, want 200", i, code)
		}
	}
	served := time.Since(began)
	hwm, rss := op.memory(t)
	self := selfRSS(t)
	t.Logf("from cold, %d Consumers: operator start → Programmed with every Consumer and the root's hash %s; → a gateway reading the Secrets serves them (%d keys tried) %s",
		n, programmed.Round(time.Millisecond), len(sample), served.Round(time.Millisecond))
	t.Logf("operator process (pid %d): peak RSS %d MiB, RSS now %d MiB; the test process (client, proxy): RSS %d MiB; load average %s",
		op.cmd.Process.Pid, hwm>>10, rss>>10, self>>10, loadAvg())
	record(t, scalefig.Figure{Key: scalefig.ColdServed, Consumers: n, Amount: served.Seconds(), Source: "TestColdConvergence",
		Value: fmt.Sprintf("%s from the operator's start (Programmed after %s), load average %s", served.Round(100*time.Millisecond), programmed.Round(100*time.Millisecond), loadAvg())})
	record(t, scalefig.Figure{Key: scalefig.OperatorRSS, Consumers: n, Amount: float64(hwm >> 10), Source: "TestColdConvergence",
		Value: fmt.Sprintf("%d MiB (the operator process's VmHWM; the test process %d MiB apart)", hwm>>10, self>>10)})

	// One Consumer more on the converged gateway: from its create to its
	// key's first 200 through the gateway watching the real Secrets (the
	// operator in its own process recompiles one shard and the root).
	key, objs := consumerObjects(ns, n)
	if code := proxytest.ChatStatus(t, srv.URL, key, "mock-small", nil); code != http.StatusUnauthorized {
		t.Fatalf("a key no Consumer has yet: status %d, want 401", code)
	}
	applied := time.Now()
	for _, o := range objs {
		must(t, c.Create(ctx, o))
	}
	// Both halves are timed: the operator's (status Programmed with n+1
	// Consumers) and the gateway's (the key answered).
	var compiled time.Duration
	poll.Until(t, 2*time.Minute, func() error {
		if compiled == 0 {
			if err := c.Get(ctx, client.ObjectKeyFromObject(gw), gw); err == nil && int(gw.Status.Consumers) == n+1 {
				compiled = time.Since(applied)
			}
		}
		if code := proxytest.ChatStatus(t, srv.URL, key, "mock-small", nil); code != http.StatusOK {
			return fmt.Errorf("the new consumer's key: status %d", code)
		}
		return nil
	})
	change := time.Since(applied)
	t.Logf("one Consumer more at %d: its create → status with %d Consumers %s → its key's first 200 %s (load average %s)", n, n+1, compiled.Round(time.Millisecond), change.Round(time.Millisecond), loadAvg())
	record(t, scalefig.Figure{Key: scalefig.AppliedToServed, Consumers: n, Source: "TestColdConvergence", Amount: change.Seconds(),
		Value: fmt.Sprintf("%s from the Consumer's create to its key's first 200 (a real API server, the operator in its own process, the proxy watching the real Secrets)", change.Round(time.Millisecond))})
}

func createConsumers(t *testing.T, c client.Client, ns string, n int) []string {
	t.Helper()
	keys := make([]string, n)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	next := make(chan int)
	for range 8 {
		wg.Go(func() {
			for i := range next {
				var objs []client.Object
				keys[i], objs = consumerObjects(ns, i)
				for _, o := range objs {
					if err := c.Create(context.Background(), o); err != nil {
						mu.Lock()
						firstErr = err
						mu.Unlock()
					}
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		t.Fatal(firstErr)
	}
	return keys
}

// consumerObjects is Consumer c<i> of gateway main with a brought key,
// and the Secret holding it: the key and the two objects to create.
func consumerObjects(ns string, i int) (string, []client.Object) {
	name := fmt.Sprintf("c%06d", i)
	key := "sk-" + name + "-brought-key-0123456789"
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name + "-byok", Namespace: ns},
		StringData: map[string]string{"key": key}}
	cs := &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ConsumerSpec{Gateways: []v1alpha1.ObjectName{"main"},
			Credentials: v1alpha1.ConsumerCredentials{SecretRef: &v1alpha1.SecretKeyReference{Name: v1alpha1.ObjectName(sec.Name), Key: "key"}}}}
	return key, []client.Object{sec, cs}
}

// operatorProc is the operator running in its own process.
type operatorProc struct {
	cmd *exec.Cmd
}

func startOperator(t *testing.T, env *testenv.Env, ns string) *operatorProc {
	t.Helper()
	user, err := env.Environment.AddUser(envtest.User{Name: "cold-operator", Groups: []string{"system:masters"}}, nil)
	must(t, err)
	kc, err := user.KubeConfig()
	must(t, err)
	file := filepath.Join(t.TempDir(), "kubeconfig")
	must(t, os.WriteFile(file, kc, 0o600))
	args := []string{"--metrics-bind-address=0", "--health-probe-bind-address=0", "--namespaces=" + ns}
	// TOLLGATE_SCALE_OPERATOR_ARGS adds flags, such as --zap-log-level=5
	// for a line per reconcile.
	args = append(args, strings.Fields(os.Getenv("TOLLGATE_SCALE_OPERATOR_ARGS"))...)
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), operatorEnv+"=1", "KUBECONFIG="+file, operator.ProxyImageEnv+"=ghcr.io/tollgate-dev/tollgate:test")
	// TOLLGATE_SCALE_OPERATOR_LOG keeps the operator's log at that path;
	// otherwise it is printed only when the test fails.
	logPath := os.Getenv("TOLLGATE_SCALE_OPERATOR_LOG")
	if logPath == "" {
		logPath = filepath.Join(t.TempDir(), "operator.log")
	}
	logFile, err := os.Create(logPath)
	must(t, err)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	must(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("operator log (last 4 KiB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	})
	return &operatorProc{cmd: cmd}
}

// memory is the process's VmHWM and VmRSS in KiB.
func (p *operatorProc) memory(t *testing.T) (hwm, rss int64) {
	t.Helper()
	st := procStatus(t, p.cmd.Process.Pid)
	return st["VmHWM"], st["VmRSS"]
}

func selfRSS(t *testing.T) int64 { return procStatus(t, os.Getpid())["VmRSS"] }

func procStatus(t *testing.T, pid int) map[string]int64 {
	t.Helper()
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	must(t, err)
	defer f.Close()
	out := map[string]int64{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || !strings.HasPrefix(k, "Vm") {
			continue
		}
		if n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64); err == nil {
			out[k] = n
		}
	}
	return out
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// record adds a figure to the scale run's report (make scale).
func record(t *testing.T, f scalefig.Figure) {
	t.Helper()
	if err := scalefig.Record(f); err != nil {
		t.Errorf("recording the figure: %v", err)
	}
}
