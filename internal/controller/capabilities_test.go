package controller

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	fakediscovery "k8s.io/client-go/discovery/fake"
	clienttesting "k8s.io/client-go/testing"
)

// TestCapabilitiesLookAgainWhileACRDSettles: discovery may not serve a
// CRD yet when its creation event arrives. Within the settle window an
// absent integration is asked about on every call, and reconcilers are
// told to requeue soon; outside it, absence is cached for recheckAfter.
func TestCapabilitiesLookAgainWhileACRDSettles(t *testing.T) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	disc := &fakediscovery.FakeDiscovery{Fake: &clienttesting.Fake{}}
	c := newCapabilities(disc, func() time.Time { return now })

	if ok, err := c.available(certManager); ok || err != nil {
		t.Fatalf("available = %v, %v with nothing served", ok, err)
	}
	// Served now, but absence is cached and nothing signalled a change.
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: certManager.gvr.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: certManager.gvr.Resource}}}}
	if ok, _ := c.available(certManager); ok {
		t.Fatal("absence should be cached for recheckAfter without a CRD event")
	}
	if c.settling() {
		t.Fatal("settling without a CRD event")
	}

	// A CRD event arrives before discovery serves the kind.
	disc.Resources = nil
	c.invalidate(certManager)
	if ok, _ := c.available(certManager); ok {
		t.Fatal("found before discovery serves it")
	}
	if !c.settling() {
		t.Fatal("a just-created CRD that discovery does not serve yet must make reconcilers requeue soon")
	}
	// Discovery catches up a moment later: found at once, despite the cache.
	now = now.Add(2 * time.Second)
	disc.Resources = []*metav1.APIResourceList{{GroupVersion: certManager.gvr.GroupVersion().String(),
		APIResources: []metav1.APIResource{{Name: certManager.gvr.Resource}}}}
	if ok, err := c.available(certManager); !ok || err != nil {
		t.Fatalf("available = %v, %v after discovery caught up", ok, err)
	}
	if c.settling() {
		t.Fatal("still settling once the integration is present")
	}
}
