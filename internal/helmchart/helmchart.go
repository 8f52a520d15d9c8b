// Package helmchart installs, upgrades, renders and removes Tollgate's Helm
// chart (charts/tollgate, generated from config/default by hack/helm-chart)
// with Helm's own Go SDK, against any cluster given as a rest.Config: the
// envtest control plane in this package's tests, the real one-node cluster
// in test/cluster.
package helmchart

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"helm.sh/helm/v4/pkg/action"
	"helm.sh/helm/v4/pkg/chart/common"
	chartv2 "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/kube"
	releasev1 "helm.sh/helm/v4/pkg/release/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ChartPath is the chart's directory relative to the repository root.
const ChartPath = "charts/tollgate"

// KubeVersion is the Kubernetes release Render assumes (the one the
// project builds its control plane and node from).
const KubeVersion = "1.37.2"

// DefaultRelease and DefaultNamespace are what docs/install.md installs.
const (
	DefaultRelease   = "tollgate"
	DefaultNamespace = "tollgate-system"
)

// Options say where and how to install the chart.
type Options struct {
	// ChartDir is the chart directory; empty: ChartPath under the
	// repository root found from the working directory.
	ChartDir string
	// Release and Namespace default to DefaultRelease and DefaultNamespace.
	Release   string
	Namespace string
	// CreateNamespace creates the release namespace when it is missing, as
	// helm install --create-namespace does.
	CreateNamespace bool
	// Values override values.yaml, as helm install --set / -f do.
	Values map[string]any
	// Wait waits until the release's objects are ready (Deployments
	// available), as helm --wait does: for a cluster with nodes. Without
	// it, Install and Upgrade return once the objects are applied.
	Wait bool
	// Timeout bounds the whole operation; default 5 minutes.
	Timeout time.Duration
	// Log receives Helm's logs; nil discards them.
	Log io.Writer
}

func (o Options) withDefaults() (Options, error) {
	if o.Release == "" {
		o.Release = DefaultRelease
	}
	if o.Namespace == "" {
		o.Namespace = DefaultNamespace
	}
	if o.Timeout == 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.ChartDir == "" {
		dir, err := FindChart()
		if err != nil {
			return o, err
		}
		o.ChartDir = dir
	}
	return o, nil
}

// FindChart returns ChartPath in the repository holding the working
// directory (tests run in their package directory).
func FindChart() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("helmchart: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, ChartPath), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("helmchart: no go.mod above the working directory to find charts/tollgate from")
		}
		dir = parent
	}
}

// Load reads the chart from dir.
func Load(dir string) (*chartv2.Chart, error) {
	ch, err := loader.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("helmchart: loading %s: %w", dir, err)
	}
	return ch, nil
}

// Install installs the chart into the cluster of cfg as release
// o.Release in o.Namespace (CRDs from crds/ first, as helm install does).
func Install(ctx context.Context, cfg *rest.Config, o Options) (*releasev1.Release, error) {
	o, ac, ch, err := prepare(cfg, o)
	if err != nil {
		return nil, err
	}
	in := action.NewInstall(ac)
	in.ReleaseName, in.Namespace, in.CreateNamespace = o.Release, o.Namespace, o.CreateNamespace
	in.Timeout, in.WaitStrategy = o.Timeout, waitStrategy(o.Wait)
	in.ServerSideApply = true
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rel, err := in.RunWithContext(ctx, ch, o.Values)
	if err != nil {
		return nil, fmt.Errorf("helmchart: installing %s into %s: %w", o.Release, o.Namespace, err)
	}
	return asRelease(rel)
}

// Upgrade upgrades release o.Release to the chart with o.Values (values
// not given are the chart's defaults, as helm upgrade without
// --reuse-values does).
func Upgrade(ctx context.Context, cfg *rest.Config, o Options) (*releasev1.Release, error) {
	o, ac, ch, err := prepare(cfg, o)
	if err != nil {
		return nil, err
	}
	up := action.NewUpgrade(ac)
	up.Namespace, up.Timeout, up.WaitStrategy = o.Namespace, o.Timeout, waitStrategy(o.Wait)
	up.ServerSideApply = "auto"
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	rel, err := up.RunWithContext(ctx, o.Release, ch, o.Values)
	if err != nil {
		return nil, fmt.Errorf("helmchart: upgrading %s in %s: %w", o.Release, o.Namespace, err)
	}
	return asRelease(rel)
}

// Uninstall removes release o.Release and every object it made. Helm
// leaves CRDs (and so every Tollgate object) in place, as documented for
// crds/.
func Uninstall(cfg *rest.Config, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	ac, err := configuration(cfg, o)
	if err != nil {
		return err
	}
	un := action.NewUninstall(ac)
	un.Timeout, un.WaitStrategy = o.Timeout, waitStrategy(o.Wait)
	if _, err := un.Run(o.Release); err != nil {
		return fmt.Errorf("helmchart: uninstalling %s from %s: %w", o.Release, o.Namespace, err)
	}
	return nil
}

// Render returns the chart's manifest for o as helm template does (no
// cluster; CRDs left out, they are the files in crds/).
func Render(o Options) (string, error) {
	o, err := o.withDefaults()
	if err != nil {
		return "", err
	}
	ch, err := Load(o.ChartDir)
	if err != nil {
		return "", err
	}
	ac := action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(o.Log, nil)))
	in := action.NewInstall(ac)
	in.ReleaseName, in.Namespace = o.Release, o.Namespace
	in.DryRunStrategy = action.DryRunClient
	in.Replace = true
	in.SkipCRDs = true
	// Without a cluster Helm assumes its built-in default version, older
	// than the chart's kubeVersion: render for the release the project
	// tests against.
	kv, err := common.ParseKubeVersion("v" + KubeVersion)
	if err != nil {
		return "", fmt.Errorf("helmchart: %w", err)
	}
	in.KubeVersion = kv
	rel, err := in.RunWithContext(context.Background(), ch, o.Values)
	if err != nil {
		return "", fmt.Errorf("helmchart: rendering: %w", err)
	}
	r, err := asRelease(rel)
	if err != nil {
		return "", err
	}
	return r.Manifest, nil
}

func prepare(cfg *rest.Config, o Options) (Options, *action.Configuration, *chartv2.Chart, error) {
	o, err := o.withDefaults()
	if err != nil {
		return o, nil, nil, err
	}
	ch, err := Load(o.ChartDir)
	if err != nil {
		return o, nil, nil, err
	}
	ac, err := configuration(cfg, o)
	return o, ac, ch, err
}

func configuration(cfg *rest.Config, o Options) (*action.Configuration, error) {
	ac := action.NewConfiguration(action.ConfigurationSetLogger(slog.NewTextHandler(o.Log, nil)))
	if err := ac.Init(&restGetter{cfg: cfg, namespace: o.Namespace}, o.Namespace, "secret"); err != nil {
		return nil, fmt.Errorf("helmchart: %w", err)
	}
	return ac, nil
}

func waitStrategy(wait bool) kube.WaitStrategy {
	if wait {
		return kube.StatusWatcherStrategy
	}
	return kube.HookOnlyStrategy
}

func asRelease(r any) (*releasev1.Release, error) {
	rel, ok := r.(*releasev1.Release)
	if !ok {
		return nil, fmt.Errorf("helmchart: Helm returned a %T, want a v1 release", r)
	}
	return rel, nil
}

// restGetter gives Helm a rest.Config where the helm CLI would read a
// kubeconfig: the same client settings and the release namespace.
type restGetter struct {
	cfg       *rest.Config
	namespace string
}

func (g *restGetter) ToRESTConfig() (*rest.Config, error) { return rest.CopyConfig(g.cfg), nil }

func (g *restGetter) ToDiscoveryClient() (discovery.CachedDiscoveryInterface, error) {
	dc, err := discovery.NewDiscoveryClientForConfig(rest.CopyConfig(g.cfg))
	if err != nil {
		return nil, fmt.Errorf("helmchart: discovery client: %w", err)
	}
	return memory.NewMemCacheClient(dc), nil
}

func (g *restGetter) ToRESTMapper() (meta.RESTMapper, error) {
	dc, err := g.ToDiscoveryClient()
	if err != nil {
		return nil, err
	}
	m := restmapper.NewDeferredDiscoveryRESTMapper(dc)
	return restmapper.NewShortcutExpander(m, dc, nil), nil
}

func (g *restGetter) ToRawKubeConfigLoader() clientcmd.ClientConfig {
	return clientcmd.NewDefaultClientConfig(*clientcmdapi.NewConfig(), &clientcmd.ConfigOverrides{
		Context: clientcmdapi.Context{Namespace: g.namespace},
	})
}
