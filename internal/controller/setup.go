// Package controller holds Tollgate's reconcilers, one file set per kind:
// <kind>_controller.go (setup and Reconcile), <kind>_phases.go (one small
// function per phase) and <kind>_status.go (pure condition setters).
//
// Reconcilers are thin: get the object, gather what it depends on into a
// scope, compile (pure), build the desired children (pure, internal/resources),
// apply them with server-side apply under one field manager, and write
// status through the status subresource only when it changed. Errors are
// returned, so the object is requeued with backoff; nothing is logged and
// dropped.
//
// Besides the reconcilers, a leader-elected usage collector (usage.go)
// fills Consumer status.usage from the gateways' GET /usage, and
// ModelProviders with spec.discovery list their vendor's models
// (discovery.go) through the shared SSRF guard (internal/netguard).
//
// No reconciler uses a finalizer: every child lives in its owner's
// namespace (the HTTPRoute too, attaching to Gateways elsewhere through
// parentRefs), so owner references and the garbage collector clean up.
package controller

import (
	"context"
	"fmt"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/discovery"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	ctrl "sigs.k8s.io/controller-runtime"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// FieldOwner is the one field manager under which the operator applies
// everything it writes.
const FieldOwner = "tollgate"

// NewScheme knows every kind the operator reads or writes, third-party
// ones included (knowing a kind does not need its CRD to be installed).
func NewScheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		clientgoscheme.AddToScheme, v1alpha1.AddToScheme, apiextensionsv1.AddToScheme,
		cmv1.AddToScheme, monitoringv1.AddToScheme, gwv1.Install,
	} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building scheme: %w", err)
		}
	}
	return s, nil
}

// Options configure the reconcilers.
type Options struct {
	// Settings are passed to the resource builders (the gateway image).
	Settings resources.Settings
	// Now is the clock; tests may replace it. Defaults to time.Now.
	Now func() time.Time
	// Namespaces limits the operator to these namespaces; empty watches all.
	Namespaces []string
	// CRDRecheck is how often a requested but missing optional CRD is
	// looked for again, besides the watch on CustomResourceDefinitions.
	// Defaults to 5 minutes.
	CRDRecheck time.Duration
	// DiscoveryInterval is how often ModelProviders with spec.discovery
	// list their vendor's models again. Defaults to 10 minutes.
	DiscoveryInterval time.Duration
	// UsageInterval is how often Consumer status.usage is collected from
	// the gateways. Defaults to DefaultUsageInterval (30s).
	UsageInterval time.Duration
	// UsageEndpoints, when set, names a gateway's metrics listeners instead
	// of its EndpointSlices (tollgate dev runs the gateway as a local
	// process; tests serve /usage themselves). A nil answer for a gateway
	// falls back to its EndpointSlices.
	UsageEndpoints UsageEndpoints
}

// Setup registers the field indexes and the four reconcilers with mgr.
func Setup(mgr ctrl.Manager, opts Options) error {
	if opts.Settings.Image == "" {
		return fmt.Errorf("setting up controllers: the gateway image is not set")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.CRDRecheck <= 0 {
		opts.CRDRecheck = 5 * time.Minute
	}
	if opts.DiscoveryInterval <= 0 {
		opts.DiscoveryInterval = 10 * time.Minute
	}
	if opts.UsageInterval <= 0 {
		opts.UsageInterval = DefaultUsageInterval
	}
	if err := addIndexes(mgr); err != nil {
		return err
	}
	secretMeta, err := newSecretMetaCache(mgr, opts.Namespaces)
	if err != nil {
		return err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(mgr.GetConfig())
	if err != nil {
		return fmt.Errorf("creating discovery client: %w", err)
	}
	caps := newCapabilities(disc, opts.Now)
	b := base{
		client:   mgr.GetClient(),
		api:      mgr.GetAPIReader(),
		recorder: mgr.GetEventRecorder("tollgate"),
		now:      opts.Now,
	}
	findings := newConsumerFindings()
	if err := (&AIGatewayReconciler{base: b, settings: opts.Settings, caps: caps, recheck: opts.CRDRecheck, findings: findings}).setup(mgr, secretMeta); err != nil {
		return err
	}
	if err := (&ConsumerReconciler{base: b, findings: findings}).setup(mgr, secretMeta); err != nil {
		return err
	}
	if err := (&ModelProviderReconciler{base: b, discoveryInterval: opts.DiscoveryInterval, discover: discoverModels}).setup(mgr, secretMeta); err != nil {
		return err
	}
	if err := (&MCPServerReconciler{base: b}).setup(mgr, secretMeta); err != nil {
		return err
	}
	if err := (&TokenPolicyReconciler{base: b}).setup(mgr); err != nil {
		return err
	}
	if err := mgr.Add(newAvailabilityCollector(mgr, opts)); err != nil {
		return fmt.Errorf("adding the availability collector: %w", err)
	}
	return mgr.Add(newUsageCollector(mgr, opts))
}

// newUsageCollector builds the Consumer usage collector.
func newUsageCollector(mgr ctrl.Manager, opts Options) *usageCollector {
	c := &usageCollector{collector: collector{
		client:   mgr.GetClient(),
		interval: opts.UsageInterval,
		fetcher:  newUsageFetcher(),
		now:      opts.Now,
		log:      mgr.GetLogger().WithName("usage"),
	}}
	c.endpoints = func(ctx context.Context, gw *v1alpha1.AIGateway) ([]string, error) {
		if opts.UsageEndpoints != nil {
			if addrs := opts.UsageEndpoints(gw); addrs != nil {
				return addrs, nil
			}
		}
		return sliceEndpoints(ctx, c.client, gw)
	}
	return c
}
