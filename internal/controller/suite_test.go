package controller_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/internal/controller"
	"github.com/tollgate-dev/tollgate/internal/operator"
	"github.com/tollgate-dev/tollgate/internal/testenv"
)

// shared is the control plane with every third-party CRD installed and the
// real manager running against it; tests use one namespace each.
var (
	shared     *testenv.Env
	sharedC    client.Client
	sharedErr  error
	namespaceN atomic.Int64
)

const testImage = "ghcr.io/tollgate-dev/tollgate:test"

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctrl.SetLogger(logr.Discard())
	scheme, err := controller.NewScheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	shared, sharedErr = testenv.New(testenv.Options{ThirdParty: testenv.AllThirdParty, Scheme: scheme})
	if sharedErr != nil {
		return m.Run() // each test skips or fails with the reason
	}
	defer func() {
		if err := shared.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	stopped, err := startManager(ctx, shared)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		cancel()
		return 1
	}
	sharedC = shared.Client
	code := m.Run()
	cancel()
	<-stopped
	return code
}

// startManager runs the operator's manager on env until ctx ends.
func startManager(ctx context.Context, env *testenv.Env) (<-chan struct{}, error) {
	mgr, err := operator.NewManager(env.Config, operator.Options{
		Image: testImage, MetricsAddress: "0", ProbeAddress: "0", SkipNameValidation: true,
		UsageInterval: usageInterval, UsageEndpoints: usageEndpoints,
	})
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	return done, nil
}

// env returns the shared control plane, skipping t when it is unavailable.
func env(t *testing.T) client.Client {
	t.Helper()
	if sharedErr != nil {
		testenv.SkipOrFail(t, sharedErr)
	}
	return sharedC
}

// namespace creates a fresh namespace for t.
func namespace(t *testing.T, c client.Client) string {
	t.Helper()
	ns := fmt.Sprintf("t%d-%d", time.Now().Unix()%100000, namespaceN.Add(1))
	if err := c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatalf("creating namespace: %v", err)
	}
	return ns
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }
