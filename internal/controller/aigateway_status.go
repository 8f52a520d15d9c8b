package controller

import (
	"fmt"
	"sort"
	"strings"
	"time"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// gatewayFacts is everything an AIGateway's status is computed from; the
// setters below are pure functions of it.
type gatewayFacts struct {
	gw       *v1alpha1.AIGateway
	problems []compile.Problem
	result   compile.Result
	hash     string
	tls      bool
	applyErr error

	deployment *appsv1.Deployment
	tlsSecret  bool // the TLS Secret holds a certificate and key

	// children is what happened to each requested integration's child.
	children map[*integration]*childState
}

// childState is what one reconcile learned of an integration's child.
type childState struct {
	installed bool          // the integration's CRD is served
	applied   client.Object // the child as applied, with its status; nil before
	err       error         // applying the child failed
}

// child returns the state of integration i's child, creating it.
func (f *gatewayFacts) child(i *integration) *childState {
	if f.children == nil {
		f.children = map[*integration]*childState{}
	}
	if f.children[i] == nil {
		f.children[i] = &childState{}
	}
	return f.children[i]
}

// facts are the scope's embedded facts, with the TLS Secret looked up.
func (s *gatewayScope) facts() gatewayFacts {
	s.tlsSecret = tlsSecretReady(s.secrets[resources.TLSSecretName(s.gw)])
	return s.gatewayFacts
}

// setGatewayStatus writes every condition and field of an AIGateway's
// status from f. Conditions for integrations that are not requested are
// removed: their presence means "asked for".
func setGatewayStatus(st *v1alpha1.AIGatewayStatus, f gatewayFacts, now time.Time) {
	gen := f.gw.Generation
	st.ObservedGeneration = gen
	for _, c := range []conditions.Condition{gatewayAccepted(f), gatewayResolvedRefs(f), gatewayProgrammed(f), gatewayReady(f)} {
		conditions.Set(&st.Conditions, gen, c, now)
	}
	for t, fn := range map[v1alpha1.ConditionType]func(gatewayFacts) (conditions.Condition, bool){
		v1alpha1.ConditionCertificateReady: gatewayCertificateReady,
		v1alpha1.ConditionRouteAccepted:    gatewayRouteAccepted,
		v1alpha1.ConditionMonitoringReady:  gatewayMonitoringReady,
	} {
		if c, ok := fn(f); ok {
			conditions.Set(&st.Conditions, gen, c, now)
		} else {
			conditions.Remove(&st.Conditions, t)
		}
	}
	if gatewayRejected(f.problems, f.gw.Name) {
		return // keep describing the last config that was applied
	}
	st.URL = resources.URL(f.gw, f.tls)
	st.Providers = int32(len(f.result.Providers))
	st.Consumers = int32(len(f.result.Consumers))
	st.Models = int32(len(f.result.Config.Models))
	st.ConfigHash = f.hash
	st.Selector = labels.SelectorFromSet(resources.SelectorLabels(f.gw)).String()
	if d := f.deployment; d != nil {
		st.Replicas, st.ReadyReplicas = d.Status.Replicas, d.Status.ReadyReplicas
	}
}

// own returns the problems compile reported about the gateway itself.
func own(f gatewayFacts) []compile.Problem {
	var out []compile.Problem
	for _, p := range f.problems {
		if p.Kind == v1alpha1.KindAIGateway && p.Name == f.gw.Name {
			out = append(out, p)
		}
	}
	return out
}

func gatewayAccepted(f gatewayFacts) conditions.Condition {
	return fromProblems(own(f), v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "The AIGateway is valid.")
}

func gatewayResolvedRefs(f gatewayFacts) conditions.Condition {
	return fromProblems(own(f), v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonResolvedRefs, "Every reference of the AIGateway resolved.")
}

func gatewayProgrammed(f gatewayFacts) conditions.Condition {
	switch {
	case gatewayRejected(f.problems, f.gw.Name):
		return conditions.False(v1alpha1.ConditionProgrammed, v1alpha1.ReasonInvalid,
			"The AIGateway is not valid (see Accepted); the last applied config keeps serving.")
	case f.applyErr != nil:
		return conditions.False(v1alpha1.ConditionProgrammed, v1alpha1.ReasonApplyFailed,
			fmt.Sprintf("Applying the gateway's objects failed: %v. The operator retries with backoff.", f.applyErr))
	}
	msg := fmt.Sprintf("Config %s applied: %d providers, %d models, %d consumers.",
		f.hash, len(f.result.Providers), len(f.result.Config.Models), len(f.result.Consumers))
	if left := leftOut(f); left != "" {
		msg += " Left out until fixed (see their conditions): " + left + "."
	}
	return conditions.True(v1alpha1.ConditionProgrammed, v1alpha1.ReasonProgrammed, msg)
}

// leftOut names the other objects compile could not use, at most five.
func leftOut(f gatewayFacts) string {
	seen := map[string]bool{}
	var out []string
	for _, p := range f.problems {
		if p.Kind == v1alpha1.KindAIGateway {
			continue
		}
		s := fmt.Sprintf("%s %s (%s)", p.Kind, p.Name, p.Reason)
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	if len(out) > 5 {
		out = append(out[:5], fmt.Sprintf("and %d more", len(out)-5))
	}
	return strings.Join(out, ", ")
}

func gatewayReady(f gatewayFacts) conditions.Condition {
	d := f.deployment
	switch {
	case d == nil && f.tls && !f.tlsSecret:
		return conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonReplicasUnavailable,
			fmt.Sprintf("Waiting for the TLS Secret %q before starting the gateway pods (see CertificateReady).", resources.TLSSecretName(f.gw)))
	case d == nil:
		return conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonReplicasUnavailable,
			fmt.Sprintf("The Deployment %s has not been applied yet (see Programmed).", f.gw.Name))
	case d.Spec.Replicas != nil && *d.Spec.Replicas == 0:
		return conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonReplicasUnavailable,
			"The gateway is scaled to zero replicas; raise spec.replicas to serve.")
	case d.Status.AvailableReplicas >= 1:
		return conditions.True(v1alpha1.ConditionReady, v1alpha1.ReasonReady,
			fmt.Sprintf("%d of %d gateway replicas are available.", d.Status.AvailableReplicas, d.Status.Replicas))
	}
	return conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonReplicasUnavailable,
		fmt.Sprintf("No replica of Deployment %s is available yet (%d ready of %d); check its pods and events with kubectl describe deployment %s.",
			f.gw.Name, d.Status.ReadyReplicas, d.Status.Replicas, f.gw.Name))
}

func gatewayCertificateReady(f gatewayFacts) (conditions.Condition, bool) {
	const t = v1alpha1.ConditionCertificateReady
	if !resources.TLSEnabled(f.gw) {
		return conditions.Condition{}, false
	}
	if resources.Certificate(f.gw) == nil { // a Secret brought by the user
		name := resources.TLSSecretName(f.gw)
		if !f.tlsSecret {
			return conditions.False(t, v1alpha1.ReasonSecretNotFound,
				fmt.Sprintf("The TLS Secret %q named in spec.listener.tls.secretName does not exist or lacks tls.crt and tls.key; create a kubernetes.io/tls Secret with that name.", name)), true
		}
		return conditions.True(t, v1alpha1.ReasonCertificateIssued, fmt.Sprintf("Serving with the TLS Secret %q.", name)), true
	}
	st := f.child(certManager)
	cert, _ := st.applied.(*cmv1.Certificate)
	switch {
	case !st.installed:
		return conditions.False(t, v1alpha1.ReasonCRDNotInstalled, certManager.notInstalled("A certificate (spec.listener.tls.issuerRef)")+" Until then the gateway serves plain HTTP."), true
	case st.err != nil:
		return conditions.False(t, v1alpha1.ReasonCertificateNotIssued, fmt.Sprintf("Applying the Certificate failed: %v.", st.err)), true
	case cert == nil:
		return conditions.Unknown(t, v1alpha1.ReasonPending, "Waiting for the Certificate to be applied."), true
	}
	for _, c := range cert.Status.Conditions {
		if c.Type == cmv1.CertificateConditionReady {
			if c.Status == "True" {
				return conditions.True(t, v1alpha1.ReasonCertificateIssued, fmt.Sprintf("cert-manager issued Certificate %s: %s", cert.Name, c.Message)), true
			}
			return conditions.False(t, v1alpha1.ReasonCertificateNotIssued, fmt.Sprintf("cert-manager has not issued Certificate %s: %s (%s)", cert.Name, c.Message, c.Reason)), true
		}
	}
	return conditions.False(t, v1alpha1.ReasonCertificateNotIssued,
		fmt.Sprintf("cert-manager has not reported on Certificate %s yet; check that cert-manager runs and that the issuer %s exists.", cert.Name, f.gw.Spec.Listener.TLS.IssuerRef.Name)), true
}

func gatewayRouteAccepted(f gatewayFacts) (conditions.Condition, bool) {
	const t = v1alpha1.ConditionRouteAccepted
	if f.gw.Spec.HTTPRoute == nil {
		return conditions.Condition{}, false
	}
	st := f.child(gatewayAPI)
	route, _ := st.applied.(*gwv1.HTTPRoute)
	switch {
	case !st.installed:
		return conditions.False(t, v1alpha1.ReasonCRDNotInstalled, gatewayAPI.notInstalled("An HTTPRoute (spec.httpRoute)")), true
	case st.err != nil:
		return conditions.False(t, v1alpha1.ReasonRouteNotAccepted, fmt.Sprintf("Applying the HTTPRoute failed: %v.", st.err)), true
	case route == nil:
		return conditions.Unknown(t, v1alpha1.ReasonPending, "Waiting for the HTTPRoute to be applied."), true
	}
	var rejected []string
	accepted := 0
	for _, ps := range route.Status.Parents {
		ref := parentName(ps.ParentRef, f.gw.Namespace)
		for _, c := range ps.Conditions {
			if c.Type != string(gwv1.RouteConditionAccepted) {
				continue
			}
			if c.Status == metav1.ConditionTrue {
				accepted++
			} else {
				rejected = append(rejected, fmt.Sprintf("Gateway %s: %s (%s)", ref, c.Message, c.Reason))
			}
		}
	}
	want := len(f.gw.Spec.HTTPRoute.ParentRefs)
	switch {
	case len(rejected) > 0:
		return conditions.False(t, v1alpha1.ReasonRouteNotAccepted, "A parent Gateway did not accept the HTTPRoute: "+strings.Join(rejected, "; ")), true
	case accepted < want:
		return conditions.False(t, v1alpha1.ReasonRouteNotAccepted, fmt.Sprintf(
			"%d of %d parent Gateways have accepted HTTPRoute %s; check that a Gateway API implementation runs and that each Gateway's allowedRoutes admits namespace %s.",
			accepted, want, f.gw.Name, f.gw.Namespace)), true
	}
	return conditions.True(t, v1alpha1.ReasonRouteAccepted, fmt.Sprintf("Every parent Gateway accepted HTTPRoute %s.", f.gw.Name)), true
}

func parentName(p gwv1.ParentReference, ns string) string {
	if p.Namespace != nil {
		ns = string(*p.Namespace)
	}
	return ns + "/" + string(p.Name)
}

func gatewayMonitoringReady(f gatewayFacts) (conditions.Condition, bool) {
	const t = v1alpha1.ConditionMonitoringReady
	if !resources.ServiceMonitorRequested(f.gw) {
		return conditions.Condition{}, false
	}
	st := f.child(serviceMonitors)
	switch {
	case !st.installed:
		return conditions.False(t, v1alpha1.ReasonCRDNotInstalled, serviceMonitors.notInstalled("A ServiceMonitor (spec.monitoring.serviceMonitor)")), true
	case st.err != nil:
		return conditions.False(t, v1alpha1.ReasonApplyFailed, fmt.Sprintf("Applying the ServiceMonitor failed: %v.", st.err)), true
	}
	return conditions.True(t, v1alpha1.ReasonServiceMonitorCreated, fmt.Sprintf("ServiceMonitor %s scrapes the metrics port.", f.gw.Name)), true
}

// tlsSecretReady reports whether a TLS Secret holds both halves of a
// certificate, so pods mounting it start at once instead of waiting in
// FailedMount (and the kubelet's growing retry back-off) for a Secret that
// cert-manager has not written yet.
func tlsSecretReady(s *corev1.Secret) bool {
	return s != nil && len(s.Data[corev1.TLSCertKey]) > 0 && len(s.Data[corev1.TLSPrivateKeyKey]) > 0
}
