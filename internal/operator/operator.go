// Package operator starts `tollgate operator`: a controller-runtime manager
// running Tollgate's reconcilers, with leader election, health and
// readiness probes, Prometheus metrics and structured (zap) logs.
package operator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/tollgate-dev/tollgate/internal/controller"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// ImageEnv names the environment variable holding the operator's own
// image, which gateways run in proxy mode unless a proxy image is given.
const ImageEnv = "TOLLGATE_IMAGE"

// ProxyImageEnv names the environment variable holding the image gateway
// pods run (the --proxy-image flag's default). Set apart from the
// operator's image, the operator can be upgraded without rolling every
// gateway: pods roll only when this image or their own spec changes.
const ProxyImageEnv = "TOLLGATE_PROXY_IMAGE"

// Options configure the manager.
type Options struct {
	// Image is the image gateway pods run (`tollgate proxy`).
	Image          string
	MetricsAddress string
	ProbeAddress   string
	// PprofAddress serves net/http/pprof ("" or "0": off).
	PprofAddress            string
	LeaderElection          bool
	LeaderElectionNamespace string
	Namespaces              []string
	// Now replaces the clock in tests.
	Now func() time.Time
	// UsageInterval is how often Consumer usage is collected from the
	// gateways; defaults to 30s.
	UsageInterval time.Duration
	// UsageEndpoints overrides where a gateway's /usage is read ("host:port"
	// of its metrics listeners); nil answers use its EndpointSlices.
	UsageEndpoints controller.UsageEndpoints
	// DiscoveryInterval is how often ModelProvider discovery refreshes;
	// defaults to 10 minutes.
	DiscoveryInterval time.Duration
	// SkipNameValidation lets tests run several managers in one process.
	SkipNameValidation bool
}

// Main parses flags and runs the operator until ctx ends.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("operator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o Options
	var namespaces string
	fs.StringVar(&o.MetricsAddress, "metrics-bind-address", ":8080", "address of the Prometheus /metrics endpoint (\"0\" disables it)")
	fs.StringVar(&o.ProbeAddress, "health-probe-bind-address", ":8081", "address of /healthz and /readyz")
	fs.StringVar(&o.PprofAddress, "pprof-bind-address", "0", "address of Go's /debug/pprof profiles, for profiling a slow operator (\"0\" disables it; keep it on 127.0.0.1)")
	fs.BoolVar(&o.LeaderElection, "leader-elect", false, "elect a leader so only one operator replica reconciles")
	fs.StringVar(&o.LeaderElectionNamespace, "leader-election-namespace", "", "namespace of the leader election Lease (default: $POD_NAMESPACE, else tollgate-system)")
	fs.StringVar(&namespaces, "namespaces", "", "comma-separated namespaces to watch (default: all)")
	fs.StringVar(&o.Image, "proxy-image", os.Getenv(ProxyImageEnv), "image gateway pods run (default: $"+ProxyImageEnv+", else the operator's own image $"+ImageEnv+")")
	fs.DurationVar(&o.UsageInterval, "usage-interval", controller.DefaultUsageInterval, "how often Consumer status.usage is collected from the gateways")
	zo := zap.Options{Development: false, DestWriter: stderr}
	zo.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("operator: %w", err)
	}
	img, err := proxyImage(o.Image, os.Getenv(ImageEnv))
	if err != nil {
		return err
	}
	o.Image = img
	if namespaces != "" {
		o.Namespaces = strings.Split(namespaces, ",")
	}
	if o.LeaderElectionNamespace == "" {
		o.LeaderElectionNamespace = os.Getenv("POD_NAMESPACE")
	}
	if o.LeaderElectionNamespace == "" {
		o.LeaderElectionNamespace = "tollgate-system"
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zo)))
	log := ctrl.Log.WithName("operator")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		return fmt.Errorf("operator: kubernetes client config: %w", err)
	}
	if disc, err := discovery.NewDiscoveryClientForConfig(cfg); err == nil {
		if found, err := controller.DetectIntegrations(disc); err == nil {
			log.Info("optional integrations", "found", found)
		}
	}
	mgr, err := NewManager(cfg, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tollgate operator starting (gateways run %s)\n", o.Image)
	if err := mgr.Start(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return fmt.Errorf("operator: %w", err)
	}
	return nil
}

// proxyImage is the image gateway pods run: the --proxy-image flag (or
// $TOLLGATE_PROXY_IMAGE) when given, else the operator's own image.
func proxyImage(proxy, own string) (string, error) {
	switch {
	case proxy != "":
		return proxy, nil
	case own != "":
		return own, nil
	}
	return "", fmt.Errorf("operator: $%s must name the image the operator runs (gateways run the same image unless --proxy-image or $%s is given)", ImageEnv, ProxyImageEnv)
}

// NewManager builds the manager with Tollgate's reconcilers. Its Secret
// cache holds only Secrets the operator manages (see controller.SecretCacheSelector).
func NewManager(cfg *rest.Config, o Options) (ctrl.Manager, error) {
	scheme, err := controller.NewScheme()
	if err != nil {
		return nil, err
	}
	copts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Label: labels.SelectorFromSet(controller.SecretCacheSelector())},
			// Slices copy their Service's labels: only gateways' are held.
			&discoveryv1.EndpointSlice{}: {Label: labels.SelectorFromSet(controller.SecretCacheSelector())},
		},
	}
	if len(o.Namespaces) > 0 {
		copts.DefaultNamespaces = map[string]cache.Config{}
		for _, ns := range o.Namespaces {
			copts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                        scheme,
		Cache:                         copts,
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddress},
		HealthProbeBindAddress:        o.ProbeAddress,
		PprofBindAddress:              o.PprofAddress,
		LeaderElection:                o.LeaderElection,
		LeaderElectionID:              "tollgate-operator.ai.tollgate.dev",
		LeaderElectionNamespace:       o.LeaderElectionNamespace,
		LeaderElectionReleaseOnCancel: true,
		Controller:                    config.Controller{SkipNameValidation: &o.SkipNameValidation},
	})
	if err != nil {
		return nil, fmt.Errorf("operator: creating manager: %w", err)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	if err := controller.Setup(mgr, controller.Options{
		Settings:          resources.Settings{Image: o.Image},
		Now:               o.Now,
		Namespaces:        o.Namespaces,
		UsageInterval:     o.UsageInterval,
		UsageEndpoints:    o.UsageEndpoints,
		DiscoveryInterval: o.DiscoveryInterval,
	}); err != nil {
		return nil, fmt.Errorf("operator: %w", err)
	}
	return mgr, nil
}
