package resources

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
)

var secretType = metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"}

// ConfigSecret holds the compiled gateway config (config.Marshal output).
// It carries vendor keys and consumer key hashes, so it is a Secret; only
// the gateway's ServiceAccount and the operator may read it.
func ConfigSecret(gw *v1alpha1.AIGateway, configJSON []byte) *corev1.Secret {
	return &corev1.Secret{
		TypeMeta:   secretType,
		ObjectMeta: gatewayMeta(gw, ConfigSecretName(gw)),
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{config.SecretKey: configJSON},
	}
}

// ConfigShardSecret holds one consumer shard of a sharded config; the root
// (ConfigSecret) names it with its hash.
func ConfigShardSecret(gw *v1alpha1.AIGateway, sh config.Shard) *corev1.Secret {
	meta := gatewayMeta(gw, ConfigShardName(gw, sh.Ref.ID))
	meta.Labels[LabelConfigShard] = sh.Ref.ID
	return &corev1.Secret{
		TypeMeta:   secretType,
		ObjectMeta: meta,
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{config.SecretKey: sh.Data},
	}
}

// ConsumerKey is what a generated key Secret holds.
type ConsumerKey struct {
	// Key is the current key.
	Key string
	// Rotation is the spec.credentials.generate.rotation Key was made for.
	Rotation int64
	// Previous is the key replaced by the last rotation, valid until
	// PreviousExpiresAt; empty when none is valid.
	Previous          string
	PreviousExpiresAt time.Time
}

// ConsumerKeySecret is a Consumer's generated key Secret, owned by the
// Consumer. The key itself is an input: the builder never invents one.
func ConsumerKeySecret(cs *v1alpha1.Consumer, k ConsumerKey) *corev1.Secret {
	s := &corev1.Secret{
		TypeMeta: secretType,
		ObjectMeta: metav1.ObjectMeta{
			Name:            compile.KeySecretName(cs),
			Namespace:       cs.Namespace,
			Labels:          ConsumerLabels(cs),
			Annotations:     map[string]string{AnnotationRotation: formatInt(k.Rotation)},
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(cs, v1alpha1.GroupVersion.WithKind(v1alpha1.KindConsumer))},
		},
		Type: corev1.SecretTypeOpaque,
		Data: map[string][]byte{compile.KeyAPIKey: []byte(k.Key)},
	}
	if k.Previous != "" {
		s.Data[compile.KeyPreviousAPIKey] = []byte(k.Previous)
		s.Annotations[compile.AnnotationPreviousKeyExpiresAt] = k.PreviousExpiresAt.UTC().Format(time.RFC3339)
	}
	return s
}
