// Package testenv starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with Tollgate's CRDs, and optionally Gateway API, cert-manager and
// ServiceMonitor CRDs, for CRD validation and controller tests.
//
// The binaries come from $KUBEBUILDER_ASSETS or are built by
// hack/build-k8s.sh. When they cannot be had, Start skips the test with the
// reason, unless TOLLGATE_REQUIRE_ENVTEST is set (CI), where it fails.
//
//	func TestSomething(t *testing.T) {
//		env := testenv.Start(t, testenv.Options{ThirdParty: testenv.AllThirdParty})
//		_ = env.Client.Create(ctx, obj)
//	}
//
// A package that shares one control plane between its tests calls New from
// TestMain and Stop after m.Run, and ends its tests with SkipOrFail when
// New returned an error wrapping ErrNoAssets.
package testenv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// RequireEnv names the environment variable that turns a missing control
// plane into a test failure instead of a skip.
const RequireEnv = "TOLLGATE_REQUIRE_ENVTEST"

// Options select what the control plane has installed.
type Options struct {
	// ThirdParty lists the third-party CRD sets to install beside
	// Tollgate's own. Empty installs none of them.
	ThirdParty []CRDSet

	// Scheme is used by Client. Defaults to client-go's kinds plus
	// api/v1alpha1.
	Scheme *runtime.Scheme

	// StartTimeout bounds starting etcd and kube-apiserver. Defaults to 2
	// minutes (the machine may be busy).
	StartTimeout time.Duration

	// WithoutTollgateCRDs starts with none of Tollgate's own CRDs, for a
	// test that installs them itself (the Helm chart's crds/). Deleting
	// them after start instead races the apiserver: a CRD deleted while
	// its storage initializes can stay Terminating for minutes ("could
	// not list instances: storage is (re)initializing", retried with
	// growing backoff).
	WithoutTollgateCRDs bool
}

// Env is a running control plane.
type Env struct {
	// Config reaches the kube-apiserver as an administrator.
	Config *rest.Config
	// Client is a controller-runtime client using Scheme.
	Client client.Client
	// Scheme knows the kinds Client can decode.
	Scheme *runtime.Scheme
	// Environment is envtest's, for AddUser and the like.
	Environment *envtest.Environment
	// CRDs are the CustomResourceDefinitions installed at start.
	CRDs []*apiextensionsv1.CustomResourceDefinition

	adminOnce sync.Once
	admin     *envtest.AuthenticatedUser
	adminErr  error
}

// NewScheme returns client-go's scheme plus Tollgate's API.
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	if err := v1alpha1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("building scheme: %w", err)
	}
	return s, nil
}

// New starts a control plane with the CRDs opts asks for. The caller must
// Stop it. The error wraps ErrNoAssets when the binaries are unavailable.
func New(opts Options) (*Env, error) {
	assets, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	var paths []string
	if !opts.WithoutTollgateCRDs {
		own, err := TollgateCRDPath()
		if err != nil {
			return nil, err
		}
		paths = append(paths, own)
	}
	for _, set := range opts.ThirdParty {
		p, err := CRDPaths(set)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	scheme := opts.Scheme
	if scheme == nil {
		if scheme, err = NewScheme(); err != nil {
			return nil, err
		}
	}
	timeout := opts.StartTimeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	useExisting := false
	te := &envtest.Environment{
		BinaryAssetsDirectory:    assets,
		CRDDirectoryPaths:        paths,
		ErrorIfCRDPathMissing:    true,
		Scheme:                   scheme,
		UseExistingCluster:       &useExisting,
		ControlPlaneStartTimeout: timeout,
		ControlPlaneStopTimeout:  time.Minute,
	}
	cfg, err := te.Start()
	if err != nil {
		// Start may leave etcd running when the apiserver fails.
		_ = te.Stop()
		return nil, fmt.Errorf("starting control plane from %s: %w", assets, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		_ = te.Stop()
		return nil, fmt.Errorf("creating client: %w", err)
	}
	return &Env{Config: cfg, Client: c, Scheme: scheme, Environment: te, CRDs: te.CRDs}, nil
}

// Stop stops the control plane and removes its data.
func (e *Env) Stop() error {
	if err := e.Environment.Stop(); err != nil {
		return fmt.Errorf("stopping control plane: %w", err)
	}
	return nil
}

// Kubectl runs the control plane's kubectl as a cluster administrator and
// returns its standard output and error. The error includes stderr.
func (e *Env) Kubectl(args ...string) (stdout, stderr string, err error) {
	e.adminOnce.Do(func() {
		e.admin, e.adminErr = e.Environment.AddUser(envtest.User{Name: "tollgate-test-admin", Groups: []string{"system:masters"}}, e.Config)
	})
	if e.adminErr != nil {
		return "", "", fmt.Errorf("creating kubectl user: %w", e.adminErr)
	}
	k, err := e.admin.Kubectl()
	if err != nil {
		return "", "", fmt.Errorf("configuring kubectl: %w", err)
	}
	out, errOut, runErr := k.Run(args...)
	o, _ := io.ReadAll(out)
	eo, _ := io.ReadAll(errOut)
	if runErr != nil {
		return string(o), string(eo), fmt.Errorf("kubectl %v: %w: %s", args, runErr, eo)
	}
	return string(o), string(eo), nil
}

// TollgateCRDs reads Tollgate's own CRDs (config/crd/bases) without
// installing them.
func TollgateCRDs() ([]*apiextensionsv1.CustomResourceDefinition, error) {
	own, err := TollgateCRDPath()
	if err != nil {
		return nil, err
	}
	opts := envtest.CRDInstallOptions{Paths: []string{own}, ErrorIfPathMissing: true}
	if err := envtest.ReadCRDFiles(&opts); err != nil {
		return nil, fmt.Errorf("reading Tollgate's CRDs from %s: %w", own, err)
	}
	return opts.CRDs, nil
}

// InstallCRDs installs more CRD sets into the running control plane and
// waits until they are served, for tests of an integration whose CRD
// appears after the operator has started.
func (e *Env) InstallCRDs(sets ...CRDSet) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	var paths []string
	for _, set := range sets {
		p, err := CRDPaths(set)
		if err != nil {
			return nil, err
		}
		paths = append(paths, p...)
	}
	crds, err := envtest.InstallCRDs(e.Config, envtest.CRDInstallOptions{
		Paths:              paths,
		ErrorIfPathMissing: true,
		Scheme:             e.Scheme,
	})
	if err != nil {
		return nil, fmt.Errorf("installing CRDs %v: %w", sets, err)
	}
	return crds, nil
}

// Start starts a control plane for t and stops it when t ends. It skips t
// when the binaries are unavailable (fails it when TOLLGATE_REQUIRE_ENVTEST
// is set) and fails t on any other error.
func Start(t testing.TB, opts Options) *Env {
	t.Helper()
	env, err := New(opts)
	if err != nil {
		SkipOrFail(t, err)
		return nil // not reached with a *testing.T: Skipf and Fatalf end the test
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("%v", err)
		}
	})
	return env
}

// SkipOrFail ends t because the control plane could not start: a skip with
// the reason when the binaries are unavailable and TOLLGATE_REQUIRE_ENVTEST
// is unset, a failure otherwise.
func SkipOrFail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, ErrNoAssets) && os.Getenv(RequireEnv) == "" {
		t.Skipf("skipping: no kube-apiserver/etcd for envtest (set KUBEBUILDER_ASSETS or run hack/build-k8s.sh; set %s=1 to fail instead): %v", RequireEnv, err)
		return
	}
	t.Fatalf("envtest: %v", err)
}
