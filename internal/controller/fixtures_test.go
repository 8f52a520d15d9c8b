package controller_test

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/poll"
)

// samples creates objects like config/samples in ns: a mock provider, an
// OpenAI provider whose Secret exists, a policy, a generated-key consumer
// and a gateway.
func samples(t *testing.T, c client.Client, ns string, gwMut func(*v1alpha1.AIGateway)) *v1alpha1.AIGateway {
	t.Helper()
	ctx := context.Background()
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "openai", Namespace: ns}, StringData: map[string]string{"apiKey": "sk-canary-vendor-key"}}))
	must(t, c.Create(ctx, mockProvider(ns, "mock")))
	must(t, c.Create(ctx, &v1alpha1.ModelProvider{
		ObjectMeta: metav1.ObjectMeta{Name: "openai", Namespace: ns},
		Spec: v1alpha1.ModelProviderSpec{
			Type:        v1alpha1.ProviderOpenAI,
			Credentials: &v1alpha1.ProviderCredentials{SecretRef: v1alpha1.SecretKeyReference{Name: "openai", Key: "apiKey"}},
			Models:      []v1alpha1.ProviderModel{{Name: "gpt-4o-mini"}},
		},
	}))
	must(t, c.Create(ctx, &v1alpha1.TokenPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "standard", Namespace: ns},
		Spec:       v1alpha1.TokenPolicySpec{Limits: []v1alpha1.Limit{{Window: "1m", Tokens: ptr(int64(1000))}}},
	}))
	must(t, c.Create(ctx, consumer(ns, "demo")))
	gw := &v1alpha1.AIGateway{
		ObjectMeta: metav1.ObjectMeta{Name: "main", Namespace: ns},
		Spec:       v1alpha1.AIGatewaySpec{Replicas: ptr(int32(1))},
	}
	if gwMut != nil {
		gwMut(gw)
	}
	must(t, c.Create(ctx, gw))
	return gw
}

func mockProvider(ns, name string) *v1alpha1.ModelProvider {
	return &v1alpha1.ModelProvider{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ModelProviderSpec{
			Type:   v1alpha1.ProviderMock,
			Models: []v1alpha1.ProviderModel{{Name: "mock-large"}, {Name: "mock-small"}},
		},
	}
}

func consumer(ns, name string) *v1alpha1.Consumer {
	return &v1alpha1.Consumer{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: v1alpha1.ConsumerSpec{
			Gateways:      []v1alpha1.ObjectName{"main"},
			Credentials:   v1alpha1.ConsumerCredentials{Generate: &v1alpha1.GeneratedKey{}},
			TokenPolicies: []v1alpha1.ObjectName{"standard"},
		},
	}
}

// awaitCondition waits, up to converge, until condition accepts obj's
// condition typ and every check passes in the same poll (on the obj that
// condition has just read).
func awaitCondition(t *testing.T, c client.Client, obj client.Object, typ v1alpha1.ConditionType, status metav1.ConditionStatus, reason v1alpha1.ConditionReason, checks ...func() error) {
	t.Helper()
	poll.Until(t, converge, func() error {
		if err := condition(t.Context(), c, obj, typ, status, reason); err != nil {
			return err
		}
		for _, check := range checks {
			if err := check(); err != nil {
				return err
			}
		}
		return nil
	})
}

// condition reads obj and checks one of its conditions.
func condition(ctx context.Context, c client.Client, obj client.Object, t v1alpha1.ConditionType, status metav1.ConditionStatus, reason v1alpha1.ConditionReason) error {
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		return err
	}
	var conds []metav1.Condition
	var gen, observed int64 = obj.GetGeneration(), 0
	switch o := obj.(type) {
	case *v1alpha1.AIGateway:
		conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
	case *v1alpha1.Consumer:
		conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
	case *v1alpha1.ModelProvider:
		conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
	case *v1alpha1.TokenPolicy:
		conds, observed = o.Status.Conditions, o.Status.ObservedGeneration
	}
	if observed != gen {
		return fmt.Errorf("%s: observedGeneration %d, generation %d", obj.GetName(), observed, gen)
	}
	got := meta.FindStatusCondition(conds, string(t))
	if got == nil {
		return fmt.Errorf("%s: no %s condition in %+v", obj.GetName(), t, conds)
	}
	if got.Status != status || (reason != "" && got.Reason != string(reason)) || got.ObservedGeneration != gen {
		return fmt.Errorf("%s: %s is %s/%s (gen %d) %q, want %s/%s (gen %d)", obj.GetName(), t, got.Status, got.Reason, got.ObservedGeneration, got.Message, status, reason, gen)
	}
	return nil
}

// servedConfig reads the gateway main's config Secret.
func servedConfig(ctx context.Context, c client.Client, ns string) (*config.Config, error) {
	var sec corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "main-config"}, &sec); err != nil {
		return nil, err
	}
	cfg, err := config.Parse(sec.Data[config.SecretKey])
	if err != nil {
		return nil, fmt.Errorf("the config Secret does not hold a valid config: %w", err)
	}
	return cfg, nil
}

// servedConsumer reads the config Secret's entry for consumer; nil when
// the gateway does not serve it.
func servedConsumer(ctx context.Context, c client.Client, ns, consumer string) (*config.Consumer, error) {
	cfg, err := servedConfig(ctx, c, ns)
	if err != nil {
		return nil, err
	}
	for i := range cfg.Consumers {
		if cfg.Consumers[i].Name == consumer {
			return &cfg.Consumers[i], nil
		}
	}
	return nil, nil
}
