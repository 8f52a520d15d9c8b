package resources

import (
	"maps"

	cmv1 "github.com/cert-manager/cert-manager/pkg/apis/certmanager/v1"
	cmmeta "github.com/cert-manager/cert-manager/pkg/apis/meta/v1"
	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// Certificate asks cert-manager for the serving certificate when
// spec.listener.tls.issuerRef is set; nil otherwise.
func Certificate(gw *v1alpha1.AIGateway) *cmv1.Certificate {
	if !TLSEnabled(gw) || gw.Spec.Listener.TLS.IssuerRef == nil {
		return nil
	}
	tls := gw.Spec.Listener.TLS
	dns := make([]string, 0, len(tls.DNSNames))
	for _, n := range tls.DNSNames {
		dns = append(dns, string(n))
	}
	return &cmv1.Certificate{
		TypeMeta:   metav1.TypeMeta{APIVersion: cmv1.SchemeGroupVersion.String(), Kind: cmv1.CertificateKind},
		ObjectMeta: gatewayMeta(gw, gw.Name),
		Spec: cmv1.CertificateSpec{
			SecretName: TLSSecretName(gw),
			DNSNames:   dns,
			IssuerRef: cmmeta.IssuerReference{
				Name:  string(tls.IssuerRef.Name),
				Kind:  tls.IssuerRef.Kind,
				Group: tls.IssuerRef.Group,
			},
		},
	}
}

// ServiceMonitorRequested reports whether spec.monitoring asks for a
// ServiceMonitor.
func ServiceMonitorRequested(gw *v1alpha1.AIGateway) bool {
	m := gw.Spec.Monitoring
	return m != nil && m.ServiceMonitor != nil && m.ServiceMonitor.Enabled
}

// ServiceMonitor has prometheus-operator scrape the gateway's metrics port
// when spec.monitoring.serviceMonitor.enabled; nil otherwise.
func ServiceMonitor(gw *v1alpha1.AIGateway) *monitoringv1.ServiceMonitor {
	if !ServiceMonitorRequested(gw) {
		return nil
	}
	sm := gw.Spec.Monitoring.ServiceMonitor
	interval := monitoringv1.Duration("30s")
	if sm.Interval != nil && *sm.Interval != "" {
		interval = monitoringv1.Duration(*sm.Interval)
	}
	meta := gatewayMeta(gw, gw.Name)
	if len(sm.Labels) > 0 {
		l := maps.Clone(sm.Labels)
		maps.Copy(l, meta.Labels)
		meta.Labels = l
	}
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: meta,
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector:  metav1.LabelSelector{MatchLabels: Labels(gw)},
			Endpoints: []monitoringv1.Endpoint{{Port: PortMetrics, Path: "/metrics", Interval: interval}},
		},
	}
}

// HTTPRoute attaches the gateway's Service to existing Gateway API Gateways
// when spec.httpRoute is set; nil otherwise. The route lives in the
// AIGateway's namespace even when a parent Gateway is in another one (the
// Gateway's allowedRoutes decides), so it is owned like every other child
// and no finalizer is needed.
func HTTPRoute(gw *v1alpha1.AIGateway) *gwv1.HTTPRoute {
	hr := gw.Spec.HTTPRoute
	if hr == nil {
		return nil
	}
	port, _ := Ports(gw)
	group := gwv1.Group(gwv1.GroupName)
	kind := gwv1.Kind("Gateway")
	parents := make([]gwv1.ParentReference, 0, len(hr.ParentRefs))
	for _, p := range hr.ParentRefs {
		ref := gwv1.ParentReference{Group: &group, Kind: &kind, Name: gwv1.ObjectName(p.Name)}
		if p.Namespace != nil {
			ns := gwv1.Namespace(*p.Namespace)
			ref.Namespace = &ns
		}
		if p.SectionName != nil {
			sn := gwv1.SectionName(*p.SectionName)
			ref.SectionName = &sn
		}
		parents = append(parents, ref)
	}
	var hosts []gwv1.Hostname
	for _, h := range hr.Hostnames {
		hosts = append(hosts, gwv1.Hostname(h))
	}
	svcKind := gwv1.Kind("Service")
	core := gwv1.Group("")
	p := port
	return &gwv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: gatewayMeta(gw, gw.Name),
		Spec: gwv1.HTTPRouteSpec{
			CommonRouteSpec: gwv1.CommonRouteSpec{ParentRefs: parents},
			Hostnames:       hosts,
			Rules: []gwv1.HTTPRouteRule{{
				BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{
					BackendObjectReference: gwv1.BackendObjectReference{Group: &core, Kind: &svcKind, Name: gwv1.ObjectName(gw.Name), Port: &p},
				}}},
			}},
		},
	}
}
