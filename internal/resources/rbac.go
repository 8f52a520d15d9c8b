package resources

import (
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// ServiceAccount is the gateway pods' identity.
func ServiceAccount(gw *v1alpha1.AIGateway) *corev1.ServiceAccount {
	return &corev1.ServiceAccount{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ServiceAccount"},
		ObjectMeta: gatewayMeta(gw, ServiceAccountName(gw)),
	}
}

// Role lets the gateway read and watch its config Secrets and nothing else:
// the root and the consumer shards named (RBAC cannot select by label, so
// the operator lists every shard Secret a root it wrote may name). The
// proxy lists and watches with a metadata.name field selector, which is
// what resourceNames admits for list and watch.
func Role(gw *v1alpha1.AIGateway, shards []string) *rbacv1.Role {
	names := append([]string{ConfigSecretName(gw)}, shards...)
	return &rbacv1.Role{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "Role"},
		ObjectMeta: gatewayMeta(gw, ServiceAccountName(gw)),
		Rules: []rbacv1.PolicyRule{{
			APIGroups:     []string{""},
			Resources:     []string{"secrets"},
			ResourceNames: names,
			Verbs:         []string{"get", "list", "watch"},
		}},
	}
}

// RoleBinding binds Role to ServiceAccount.
func RoleBinding(gw *v1alpha1.AIGateway) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		TypeMeta:   metav1.TypeMeta{APIVersion: rbacv1.SchemeGroupVersion.String(), Kind: "RoleBinding"},
		ObjectMeta: gatewayMeta(gw, ServiceAccountName(gw)),
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: ServiceAccountName(gw)},
		Subjects: []rbacv1.Subject{{
			Kind:      rbacv1.ServiceAccountKind,
			Name:      ServiceAccountName(gw),
			Namespace: gw.Namespace,
		}},
	}
}
