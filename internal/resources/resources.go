// Package resources builds the Kubernetes objects the operator keeps for an
// AIGateway and a Consumer. Every builder is a pure function of the custom
// resource and Settings: no cluster reads, no clock, no environment. A
// builder that returns nil means "this child must not exist".
//
// Objects are built complete, with TypeMeta, so they can be applied with
// server-side apply under one field manager; only fields Tollgate has an
// opinion on are set, so other managers (an HPA, kubectl scale on the
// Deployment) keep theirs.
package resources

import (
	"fmt"
	"maps"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
)

// Labels and annotations Tollgate puts on the objects it manages.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelComponent = "app.kubernetes.io/component"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy. The operator's Secret cache
	// is limited to Secrets with this label.
	ManagedBy = "tollgate"
	// LabelGateway names the AIGateway an object belongs to.
	LabelGateway = "ai.tollgate.dev/gateway"
	// LabelConsumer names the Consumer a key Secret belongs to.
	LabelConsumer = "ai.tollgate.dev/consumer"
	// LabelConfigShard names the consumer shard a gateway's shard Secret
	// holds (config.ShardRef.ID).
	LabelConfigShard = "ai.tollgate.dev/config-shard"
	// AnnotationRotation on a key Secret records the rotation counter its
	// current key was made for, so a rotation happens exactly once even when
	// the status write after it fails.
	AnnotationRotation = "ai.tollgate.dev/rotation"

	gatewayAppName = "tollgate-gateway"
)

// Settings are the operator-wide inputs of the builders.
type Settings struct {
	// Image is the gateway image: the operator's own unless the AIGateway
	// overrides it.
	Image string
}

// Port names on the pods and the Service.
const (
	PortHTTP    = "http"
	PortMetrics = "metrics"
)

// The ports and drain timeout default as the gateway config does (the
// defaults table of internal/config).
const (
	// PreStopSleep lets endpoints controllers and load balancers stop
	// sending new connections before the proxy starts draining.
	PreStopSleep = 5 * time.Second
	// StartupDelay is how long after a gateway container starts its first
	// (startup) probe runs: long enough for the proxy to read its config
	// Secret and open its listeners, so new pods log no failed probe.
	StartupDelay = 2 * time.Second
)

// ConfigSecretName is the Secret holding the gateway's compiled config.
func ConfigSecretName(gw *v1alpha1.AIGateway) string { return gw.Name + "-config" }

// ConfigShardName is the Secret holding consumer shard id of the gateway's
// config: the root's name and the id, which is what the proxy reads.
func ConfigShardName(gw *v1alpha1.AIGateway, id string) string {
	return config.ShardSecretName(ConfigSecretName(gw), id)
}

// ServiceAccountName is the gateway pods' identity; it may read only the
// config Secret.
func ServiceAccountName(gw *v1alpha1.AIGateway) string { return gw.Name + "-proxy" }

// TLSSecretName is the Secret holding the serving certificate.
func TLSSecretName(gw *v1alpha1.AIGateway) string {
	if l := gw.Spec.Listener; l != nil && l.TLS != nil && l.TLS.SecretName != nil && *l.TLS.SecretName != "" {
		return string(*l.TLS.SecretName)
	}
	return gw.Name + "-tls"
}

// Ports returns the client and metrics ports, defaulted.
func Ports(gw *v1alpha1.AIGateway) (port, metrics int32) {
	port, metrics = config.DefaultPort, config.DefaultMetricsPort
	if l := gw.Spec.Listener; l != nil {
		if l.Port != 0 {
			port = l.Port
		}
		if l.MetricsPort != 0 {
			metrics = l.MetricsPort
		}
	}
	return port, metrics
}

// TLSEnabled reports whether the gateway serves HTTPS itself.
func TLSEnabled(gw *v1alpha1.AIGateway) bool {
	return gw.Spec.Listener != nil && gw.Spec.Listener.TLS != nil
}

// URL is the in-cluster address of the gateway's Service.
func URL(gw *v1alpha1.AIGateway, tls bool) string {
	port, _ := Ports(gw)
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s.%s.svc:%d", scheme, gw.Name, gw.Namespace, port)
}

// SelectorLabels select the gateway's pods. They never change for a
// gateway, because a Deployment's selector is immutable.
func SelectorLabels(gw *v1alpha1.AIGateway) map[string]string {
	return map[string]string{LabelName: gatewayAppName, LabelGateway: gw.Name}
}

// Labels are put on every child of a gateway.
func Labels(gw *v1alpha1.AIGateway) map[string]string {
	l := SelectorLabels(gw)
	l[LabelInstance] = gw.Name
	l[LabelComponent] = "gateway"
	l[LabelManagedBy] = ManagedBy
	return l
}

// ConsumerLabels are put on a Consumer's key Secret.
func ConsumerLabels(cs *v1alpha1.Consumer) map[string]string {
	return map[string]string{
		LabelName:      "tollgate-consumer-key",
		LabelInstance:  cs.Name,
		LabelManagedBy: ManagedBy,
		LabelConsumer:  cs.Name,
	}
}

// gatewayMeta is the ObjectMeta of a gateway child: same namespace, our
// labels, and the AIGateway as controller owner, so the garbage collector
// deletes it with the gateway (no finalizer needed).
func gatewayMeta(gw *v1alpha1.AIGateway, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:            name,
		Namespace:       gw.Namespace,
		Labels:          Labels(gw),
		OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(gw, v1alpha1.GroupVersion.WithKind(v1alpha1.KindAIGateway))},
	}
}

func merged(base map[string]string, extra map[string]string) map[string]string {
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]string{}
	}
	maps.Copy(out, base) // ours win
	return out
}
