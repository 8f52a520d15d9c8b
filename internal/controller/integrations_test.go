package controller_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/controller"
	"github.com/tollgate-dev/tollgate/internal/poll"
	"github.com/tollgate-dev/tollgate/internal/testenv"
)

func withIntegrations(gw *v1alpha1.AIGateway) {
	gw.Spec.Listener = &v1alpha1.Listener{Port: 8443, MetricsPort: 9090, TLS: &v1alpha1.ListenerTLS{
		IssuerRef: &v1alpha1.IssuerReference{Name: "letsencrypt", Kind: "ClusterIssuer", Group: "cert-manager.io"},
		DNSNames:  []v1alpha1.PreciseHostname{"ai.example.com"},
	}}
	gw.Spec.HTTPRoute = &v1alpha1.HTTPRouteSettings{
		ParentRefs: []v1alpha1.ParentReference{{Name: "public", Namespace: ptr(v1alpha1.Namespace("gateways"))}},
		Hostnames:  []v1alpha1.Hostname{"ai.example.com"},
	}
	gw.Spec.Monitoring = &v1alpha1.Monitoring{ServiceMonitor: &v1alpha1.ServiceMonitorSettings{Enabled: true}}
}

// TestOptionalCRDsAndRestart starts a control plane without any
// third-party CRD: the gateway runs and says CRDNotInstalled; installing
// the CRDs is picked up without a restart of the operator. Then the
// kube-apiserver is restarted on the same etcd and the operator converges
// again without duplicating children.
func TestOptionalCRDsAndRestart(t *testing.T) {
	if sharedErr != nil {
		testenv.SkipOrFail(t, sharedErr)
	}
	scheme, err := controller.NewScheme()
	must(t, err)
	e := testenv.Start(t, testenv.Options{Scheme: scheme})
	ctx, cancel := context.WithCancel(context.Background())
	done, err := startManager(ctx, e)
	must(t, err)
	t.Cleanup(cancel)
	c := e.Client
	ns := namespace(t, c)
	gw := samples(t, c, ns, withIntegrations)

	ctx = context.Background() // for the client, beyond the first manager
	for _, ct := range []v1alpha1.ConditionType{v1alpha1.ConditionCertificateReady, v1alpha1.ConditionRouteAccepted, v1alpha1.ConditionMonitoringReady} {
		awaitCondition(t, c, gw, ct, metav1.ConditionFalse, v1alpha1.ReasonCRDNotInstalled)
	}
	awaitCondition(t, c, gw, v1alpha1.ConditionProgrammed, metav1.ConditionTrue, v1alpha1.ReasonProgrammed)
	if gw.Status.URL != "http://main."+ns+".svc:8443" {
		t.Errorf("without cert-manager the gateway serves plain HTTP; url = %s", gw.Status.URL)
	}

	if _, err := e.InstallCRDs(testenv.AllThirdParty...); err != nil {
		t.Fatal(err)
	}
	poll.Until(t, 2*converge, func() error {
		if err := condition(ctx, c, gw, v1alpha1.ConditionMonitoringReady, metav1.ConditionTrue, v1alpha1.ReasonServiceMonitorCreated); err != nil {
			return err
		}
		// No cert-manager or Gateway implementation runs here.
		if err := condition(ctx, c, gw, v1alpha1.ConditionCertificateReady, metav1.ConditionFalse, v1alpha1.ReasonCertificateNotIssued); err != nil {
			return err
		}
		return condition(ctx, c, gw, v1alpha1.ConditionRouteAccepted, metav1.ConditionFalse, v1alpha1.ReasonRouteNotAccepted)
	})
	for _, obj := range []client.Object{&cmv1.Certificate{}, &gwv1.HTTPRoute{}, &monitoringv1.ServiceMonitor{}} {
		must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, obj))
		if ref := metav1.GetControllerOf(obj); ref == nil || ref.UID != gw.UID {
			t.Errorf("%T has no controller owner reference to the AIGateway", obj)
		}
	}
	if gw.Status.URL != "https://main."+ns+".svc:8443" {
		t.Errorf("with cert-manager the gateway serves HTTPS; url = %s", gw.Status.URL)
	}

	// cert-manager has not written the Secret (none runs here): the pods
	// are not rolled to mount it, and its arrival rolls them.
	tlsVolume := func() (bool, error) {
		var dep appsv1.Deployment
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main"}, &dep); err != nil {
			return false, err
		}
		return slices.ContainsFunc(dep.Spec.Template.Spec.Volumes, func(v corev1.Volume) bool {
			return v.Secret != nil && v.Secret.SecretName == "main-tls"
		}), nil
	}
	if has, err := tlsVolume(); err != nil || has {
		t.Fatalf("before the TLS Secret exists the Deployment mounts it: %v, %v", has, err)
	}
	must(t, c.Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "main-tls"}, Type: corev1.SecretTypeTLS,
		Data: map[string][]byte{corev1.TLSCertKey: []byte("cert"), corev1.TLSPrivateKeyKey: []byte("key")},
	}))
	poll.Until(t, converge, func() error {
		if has, err := tlsVolume(); err != nil || !has {
			return fmt.Errorf("the Deployment does not mount the TLS Secret yet (%v)", err)
		}
		return nil
	})

	// Restart the kube-apiserver on the same etcd data. envtest stops it
	// gracefully, which waits for open watches, so the operator is stopped
	// first and a new one started after: it must find the existing
	// children and not duplicate them.
	cancel()
	<-done
	api := e.Environment.ControlPlane.APIServer
	must(t, api.Stop())
	time.Sleep(time.Second)
	must(t, api.Start())
	// The restarted server has a new serving certificate: new credentials.
	admin, err := e.Environment.ControlPlane.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	must(t, err)
	restarted := &testenv.Env{Config: admin.Config(), Scheme: scheme}
	c, err = client.New(restarted.Config, client.Options{Scheme: scheme})
	must(t, err)
	ctx2, cancel2 := context.WithCancel(context.Background())
	done2, err := startManager(ctx2, restarted)
	must(t, err)
	t.Cleanup(func() { cancel2(); <-done2 })
	second := &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "second", Namespace: ns}, Spec: v1alpha1.AIGatewaySpec{Replicas: ptr(int32(1))}}
	poll.Until(t, 2*converge, func() error { return c.Create(ctx, second) })
	poll.Until(t, 2*converge, func() error {
		return condition(ctx, c, second, v1alpha1.ConditionProgrammed, metav1.ConditionTrue, v1alpha1.ReasonProgrammed)
	})
	var deps appsv1.DeploymentList
	must(t, c.List(ctx, &deps, client.InNamespace(ns)))
	if len(deps.Items) != 2 {
		t.Fatalf("%d Deployments after the restart, want one per gateway", len(deps.Items))
	}
	for _, d := range deps.Items {
		if d.Name != "main" && d.Name != "second" {
			t.Errorf("unexpected Deployment %s", d.Name)
		}
	}
	must(t, c.Get(ctx, client.ObjectKeyFromObject(gw), gw))
	if err := condition(ctx, c, gw, v1alpha1.ConditionProgrammed, metav1.ConditionTrue, v1alpha1.ReasonProgrammed); err != nil {
		t.Error(err)
	}
}
