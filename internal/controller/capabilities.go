package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// integration is an optional third-party API the operator uses when its
// CRD is installed. The AIGateway reconciler treats every row of
// integrations the same way: find whether the CRD is served, apply the
// child the gateway asks for or delete the one it no longer asks for, and
// hand what happened to the status setter of the row's condition.
type integration struct {
	// product names the project in condition messages.
	product string
	// gvr is the child's group, version and resource.
	gvr schema.GroupVersionResource
	// object is an empty object of the kind, for watches and deletes.
	object func() client.Object
	// requested reports whether a gateway asks for the integration.
	requested func(*v1alpha1.AIGateway) bool
	// child is the object the gateway asks for, or nil when none.
	child func(*v1alpha1.AIGateway) client.Object
}

// crd is the name of the integration's CustomResourceDefinition.
func (i *integration) crd() string { return i.gvr.Resource + "." + i.gvr.Group }

var (
	certManager = &integration{
		product: "cert-manager", gvr: cmv1.SchemeGroupVersion.WithResource("certificates"),
		object:    func() client.Object { return &cmv1.Certificate{} },
		requested: func(gw *v1alpha1.AIGateway) bool { return resources.Certificate(gw) != nil },
		child:     func(gw *v1alpha1.AIGateway) client.Object { return orNil(resources.Certificate(gw)) },
	}
	gatewayAPI = &integration{
		product: "Gateway API", gvr: schema.GroupVersion(gwv1.GroupVersion).WithResource("httproutes"),
		object:    func() client.Object { return &gwv1.HTTPRoute{} },
		requested: func(gw *v1alpha1.AIGateway) bool { return gw.Spec.HTTPRoute != nil },
		child:     func(gw *v1alpha1.AIGateway) client.Object { return orNil(resources.HTTPRoute(gw)) },
	}
	serviceMonitors = &integration{
		product: "prometheus-operator", gvr: monitoringv1.SchemeGroupVersion.WithResource("servicemonitors"),
		object:    func() client.Object { return &monitoringv1.ServiceMonitor{} },
		requested: resources.ServiceMonitorRequested,
		child:     func(gw *v1alpha1.AIGateway) client.Object { return orNil(resources.ServiceMonitor(gw)) },
	}
	integrations = []*integration{certManager, gatewayAPI, serviceMonitors}
)

// orNil turns a typed nil pointer into a nil client.Object.
func orNil[T any, P interface {
	*T
	client.Object
}](o P) client.Object {
	if o == nil {
		return nil
	}
	return o
}

// integrationByCRD finds the integration of a CRD name.
func integrationByCRD(name string) *integration {
	for _, i := range integrations {
		if i.crd() == name {
			return i
		}
	}
	return nil
}

// capabilities tracks which optional CRDs the API server serves, and
// starts the watch on an integration's kind the first time it is seen, so
// a CRD installed after the operator started is picked up without a
// restart. Presence is asked of discovery (uncached) while absent; once
// present it stays present (removing a CRD under a running operator needs
// a restart to stop its watch).
type capabilities struct {
	disc discovery.DiscoveryInterface

	mu      sync.Mutex
	present map[*integration]bool
	// checked is when discovery last said an integration was absent; it
	// is asked again after recheckAfter, or at once after invalidate.
	checked map[*integration]time.Time
	// changed is when a watch event last said an integration's CRD
	// changed. Discovery can lag behind a CRD's creation, so for a while
	// after such an event an absent integration is asked about again on
	// every call, and reconcilers requeue soon (settling).
	changed map[*integration]time.Time
	now     func() time.Time
	// onFound starts the watch on an integration's kind; set by the
	// AIGateway reconciler once its controller exists.
	onFound func(*integration) error
}

// recheckAfter bounds how often discovery is asked about an absent CRD
// when nothing signalled a change.
const recheckAfter = 30 * time.Second

func newCapabilities(disc discovery.DiscoveryInterface, now func() time.Time) *capabilities {
	return &capabilities{disc: disc, present: map[*integration]bool{}, checked: map[*integration]time.Time{},
		changed: map[*integration]time.Time{}, now: now}
}

// settleWindow is how long after a CRD event discovery is asked again on
// every reconcile, and how long reconcilers requeue quickly.
const settleWindow = time.Minute

// settling reports whether an absent integration's CRD changed within
// settleWindow: discovery may not serve it yet.
func (c *capabilities) settling() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, t := range c.changed {
		if !c.present[i] && c.now().Sub(t) < settleWindow {
			return true
		}
	}
	return false
}

// invalidate forgets that an integration was absent: its CRD changed.
func (c *capabilities) invalidate(i *integration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.checked, i)
	c.changed[i] = c.now()
}

// available reports whether the integration's CRD is served, asking the
// API server when it was not the last time.
func (c *capabilities) available(i *integration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.present[i] {
		return true, nil
	}
	recentlyChanged := c.now().Sub(c.changed[i]) < settleWindow
	if t, ok := c.checked[i]; ok && c.now().Sub(t) < recheckAfter && !recentlyChanged {
		return false, nil
	}
	c.checked[i] = c.now()
	list, err := c.disc.ServerResourcesForGroupVersion(i.gvr.GroupVersion().String())
	if err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, fmt.Errorf("discovering %s (%s): %w", i.product, i.gvr.GroupVersion(), err)
	}
	found := false
	for _, r := range list.APIResources {
		if r.Name == i.gvr.Resource {
			found = true
		}
	}
	if !found {
		return false, nil
	}
	if c.onFound != nil {
		if err := c.onFound(i); err != nil {
			return false, fmt.Errorf("watching %s: %w", i.gvr.Resource, err)
		}
	}
	c.present[i] = true
	return true, nil
}

// notInstalled is the message of a CRDNotInstalled condition.
func (i *integration) notInstalled(what string) string {
	return fmt.Sprintf("%s is requested but the %s CRD %s is not installed; the gateway runs without it. Install %s and the operator picks it up without a restart.", what, i.product, i.crd(), i.product)
}

// ensureNoChild deletes the integration's child of gw when the CRD exists
// and the gateway no longer asks for it.
func (r *AIGatewayReconciler) ensureNoChild(ctx context.Context, gw *v1alpha1.AIGateway, i *integration) error {
	ok, err := r.caps.available(i)
	if err != nil || !ok {
		return err
	}
	obj := i.object()
	obj.SetNamespace(gw.Namespace)
	obj.SetName(gw.Name)
	return r.deleteIfOwned(ctx, obj, gw)
}

// DetectIntegrations reports, by product name, which optional CRDs the
// API server serves now; the operator logs it at start. Reconcilers look
// again on their own, so a CRD installed later is still picked up.
func DetectIntegrations(disc discovery.DiscoveryInterface) (map[string]bool, error) {
	c := newCapabilities(disc, time.Now)
	out := map[string]bool{}
	for _, i := range integrations {
		ok, err := c.available(i)
		if err != nil {
			return nil, err
		}
		out[i.product] = ok
	}
	return out, nil
}
