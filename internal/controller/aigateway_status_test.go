package controller

import (
	"errors"
	"strings"
	"testing"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
	"github.com/tollgate-dev/tollgate/internal/config"
)

func facts(mut func(*gatewayFacts)) gatewayFacts {
	f := gatewayFacts{
		gw:     &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: "ns", Generation: 3}},
		result: compile.Result{Config: &config.Config{}},
		hash:   "abc",
	}
	if mut != nil {
		mut(&f)
	}
	return f
}

func TestGatewayConditionSetters(t *testing.T) {
	type want struct {
		status metav1.ConditionStatus
		reason v1alpha1.ConditionReason
		msg    string // a substring
	}
	withTLS := func(f *gatewayFacts) {
		f.gw.Spec.Listener = &v1alpha1.Listener{TLS: &v1alpha1.ListenerTLS{IssuerRef: &v1alpha1.IssuerReference{Name: "le"}, DNSNames: []v1alpha1.PreciseHostname{"a.example"}}}
	}
	withRoute := func(f *gatewayFacts) {
		f.gw.Spec.HTTPRoute = &v1alpha1.HTTPRouteSettings{ParentRefs: []v1alpha1.ParentReference{{Name: "public"}}}
		f.child(gatewayAPI).installed = true
	}
	cases := map[string]struct {
		fn   func(gatewayFacts) conditions.Condition
		f    gatewayFacts
		want want
	}{
		"accepted when compile has nothing to say": {gatewayAccepted, facts(nil), want{"True", v1alpha1.ReasonAccepted, ""}},
		"not accepted with an invalid selector": {gatewayAccepted, facts(func(f *gatewayFacts) {
			f.problems = []compile.Problem{{Kind: "AIGateway", Name: "main", Condition: v1alpha1.ConditionAccepted, Reason: v1alpha1.ReasonInvalid, Message: "spec.providerSelector is bad."}}
		}), want{"False", v1alpha1.ReasonInvalid, "providerSelector"}},
		"a problem of another gateway is not ours": {gatewayResolvedRefs, facts(func(f *gatewayFacts) {
			f.problems = []compile.Problem{{Kind: "AIGateway", Name: "other", Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonProviderNotFound}}
		}), want{"True", v1alpha1.ReasonResolvedRefs, ""}},
		"unknown provider": {gatewayResolvedRefs, facts(func(f *gatewayFacts) {
			f.problems = []compile.Problem{{Kind: "AIGateway", Name: "main", Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonProviderNotFound, Message: "route chat names ModelProvider x."}}
		}), want{"False", v1alpha1.ReasonProviderNotFound, "ModelProvider x"}},
		"programmed names what was left out": {gatewayProgrammed, facts(func(f *gatewayFacts) {
			f.problems = []compile.Problem{{Kind: "Consumer", Name: "c1", Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonKeyNotReady}}
		}), want{"True", v1alpha1.ReasonProgrammed, "Consumer c1 (KeyNotReady)"}},
		"apply failure":      {gatewayProgrammed, facts(func(f *gatewayFacts) { f.applyErr = errors.New("forbidden") }), want{"False", v1alpha1.ReasonApplyFailed, "forbidden"}},
		"no pods in envtest": {gatewayReady, facts(func(f *gatewayFacts) { f.deployment = &appsv1.Deployment{} }), want{"False", v1alpha1.ReasonReplicasUnavailable, "No replica"}},
		"scaled to zero": {gatewayReady, facts(func(f *gatewayFacts) {
			f.deployment = &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: new(int32)}}
		}), want{"False", v1alpha1.ReasonReplicasUnavailable, "scaled to zero"}},
		"available": {gatewayReady, facts(func(f *gatewayFacts) {
			f.deployment = &appsv1.Deployment{Status: appsv1.DeploymentStatus{Replicas: 2, AvailableReplicas: 1}}
		}), want{"True", v1alpha1.ReasonReady, "1 of 2"}},
		"certificate without cert-manager": {must1(gatewayCertificateReady), facts(withTLS), want{"False", v1alpha1.ReasonCRDNotInstalled, "cert-manager"}},
		"certificate issued": {must1(gatewayCertificateReady), facts(func(f *gatewayFacts) {
			withTLS(f)
			f.child(certManager).installed = true
			f.child(certManager).applied = &cmv1.Certificate{ObjectMeta: metav1.ObjectMeta{Name: "main"}, Status: cmv1.CertificateStatus{Conditions: []cmv1.CertificateCondition{{Type: cmv1.CertificateConditionReady, Status: cmmeta.ConditionTrue, Message: "up to date"}}}}
		}), want{"True", v1alpha1.ReasonCertificateIssued, "up to date"}},
		"route not answered": {must1(gatewayRouteAccepted), facts(func(f *gatewayFacts) {
			withRoute(f)
			f.child(gatewayAPI).applied = &gwv1.HTTPRoute{}
		}), want{"False", v1alpha1.ReasonRouteNotAccepted, "0 of 1"}},
		"route accepted": {must1(gatewayRouteAccepted), facts(func(f *gatewayFacts) {
			withRoute(f)
			f.child(gatewayAPI).applied = &gwv1.HTTPRoute{Status: gwv1.HTTPRouteStatus{RouteStatus: gwv1.RouteStatus{Parents: []gwv1.RouteParentStatus{{
				ParentRef: gwv1.ParentReference{Name: "public"}, Conditions: []metav1.Condition{{Type: "Accepted", Status: "True"}},
			}}}}}
		}), want{"True", v1alpha1.ReasonRouteAccepted, ""}},
		"monitoring without the CRD": {must1(gatewayMonitoringReady), facts(func(f *gatewayFacts) {
			f.gw.Spec.Monitoring = &v1alpha1.Monitoring{ServiceMonitor: &v1alpha1.ServiceMonitorSettings{Enabled: true}}
		}), want{"False", v1alpha1.ReasonCRDNotInstalled, "prometheus-operator"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			got := tc.fn(tc.f)
			if got.Status != tc.want.status || got.Reason != tc.want.reason || !strings.Contains(got.Message, tc.want.msg) {
				t.Errorf("got %s/%s %q, want %s/%s containing %q", got.Status, got.Reason, got.Message, tc.want.status, tc.want.reason, tc.want.msg)
			}
		})
	}
}

// must1 adapts an optional-condition setter, failing when it says absent.
func must1(fn func(gatewayFacts) (conditions.Condition, bool)) func(gatewayFacts) conditions.Condition {
	return func(f gatewayFacts) conditions.Condition {
		c, ok := fn(f)
		if !ok {
			return conditions.Condition{Status: "absent"}
		}
		return c
	}
}

func TestSetGatewayStatusRemovesUnrequested(t *testing.T) {
	f := facts(nil)
	st := v1alpha1.AIGatewayStatus{Conditions: []metav1.Condition{{Type: "MonitoringReady", Status: "True", Reason: "ServiceMonitorCreated"}}}
	setGatewayStatus(&st, f, time.Now())
	if conditions.Get(st.Conditions, v1alpha1.ConditionMonitoringReady) != nil {
		t.Error("MonitoringReady must go when monitoring is no longer requested")
	}
	if st.ObservedGeneration != 3 || st.URL != "http://main.ns.svc:8080" || st.ConfigHash != "abc" {
		t.Errorf("status = %+v", st)
	}
	for _, c := range st.Conditions {
		if c.ObservedGeneration != 3 {
			t.Errorf("%s carries generation %d", c.Type, c.ObservedGeneration)
		}
	}
}
