package resources

import (
	"strconv"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// Service fronts the gateway pods with the client and metrics ports.
func Service(gw *v1alpha1.AIGateway) *corev1.Service {
	port, metrics := Ports(gw)
	svc := &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: gatewayMeta(gw, gw.Name),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: SelectorLabels(gw),
			Ports: []corev1.ServicePort{
				{Name: PortHTTP, Port: port, TargetPort: intstr.FromString(PortHTTP), Protocol: corev1.ProtocolTCP, AppProtocol: appProtocol(gw)},
				{Name: PortMetrics, Port: metrics, TargetPort: intstr.FromString(PortMetrics), Protocol: corev1.ProtocolTCP},
			},
		},
	}
	if s := gw.Spec.Service; s != nil {
		if s.Type != "" {
			svc.Spec.Type = corev1.ServiceType(s.Type)
		}
		if len(s.Annotations) > 0 {
			svc.Annotations = s.Annotations
		}
	}
	return svc
}

func appProtocol(gw *v1alpha1.AIGateway) *string {
	p := "http"
	if TLSEnabled(gw) {
		p = "https"
	}
	return &p
}

// PodDisruptionBudget keeps one gateway pod up through voluntary
// disruptions. It exists only with more than one replica: with one, a
// minAvailable of 1 would block node drains forever.
func PodDisruptionBudget(gw *v1alpha1.AIGateway) *policyv1.PodDisruptionBudget {
	if gw.Spec.Replicas == nil || *gw.Spec.Replicas <= 1 {
		return nil
	}
	one := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: policyv1.SchemeGroupVersion.String(), Kind: "PodDisruptionBudget"},
		ObjectMeta: gatewayMeta(gw, gw.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &one,
			Selector:     &metav1.LabelSelector{MatchLabels: SelectorLabels(gw)},
		},
	}
}

func formatInt(n int64) string { return strconv.FormatInt(n, 10) }
