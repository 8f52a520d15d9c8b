package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/poll"
)

// servedKeys returns the hashes of consumer in the config Secret.
func servedKeys(ctx context.Context, c client.Client, ns, consumer string) ([]config.Key, error) {
	cs, err := servedConsumer(ctx, c, ns, consumer)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return nil, fmt.Errorf("consumer %s not in the config", consumer)
	}
	return cs.Keys, nil
}

func keyIn(key string, keys []config.Key) bool {
	for _, k := range keys {
		if apikey.Equal(key, k.SHA256) {
			return true
		}
	}
	return false
}

func readKey(ctx context.Context, c client.Client, ns string) (string, error) {
	var sec corev1.Secret
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "demo-key"}, &sec); err != nil {
		return "", err
	}
	return string(sec.Data[compile.KeyAPIKey]), nil
}

func TestConsumerKeyLifecycle(t *testing.T) {
	c, ns, _ := convergedSamples(t)
	ctx := context.Background()
	cs := &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "demo"}}
	awaitCondition(t, c, cs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady)
	key, err := readKey(ctx, c, ns)
	must(t, err)
	if cs.Status.SecretName != "demo-key" || cs.Status.KeyPrefix != apikey.DisplayPrefix(key) || len(cs.Status.KeyPrefix) >= len(key) {
		t.Fatalf("status = %+v", cs.Status)
	}
	poll.Until(t, converge, func() error {
		keys, err := servedKeys(ctx, c, ns, "demo")
		if err != nil {
			return err
		}
		if !keyIn(key, keys) {
			return fmt.Errorf("the generated key does not hash into the config")
		}
		return nil
	})

	// A reconcile never changes a key: poke the consumer and compare.
	must(t, c.Get(ctx, client.ObjectKeyFromObject(cs), cs))
	cs.Spec.AllowedModels = []v1alpha1.ModelPattern{"mock-*"}
	must(t, c.Update(ctx, cs))
	awaitCondition(t, c, cs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady)
	if again, _ := readKey(ctx, c, ns); again != key {
		t.Fatal("a reconcile changed the key")
	}

	// Rotation: a new key, the old one kept for the overlap.
	cs.Spec.Credentials.Generate.Rotation = 1
	must(t, c.Update(ctx, cs))
	var rotated string
	awaitCondition(t, c, cs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady, func() error {
		if cs.Status.ObservedRotation != 1 || cs.Status.PreviousKeyExpiresAt == nil {
			return fmt.Errorf("rotation not recorded: %+v", cs.Status)
		}
		rotated, _ = readKey(ctx, c, ns)
		keys, err := servedKeys(ctx, c, ns, "demo")
		if err != nil {
			return err
		}
		if rotated == key || !keyIn(rotated, keys) || !keyIn(key, keys) {
			return fmt.Errorf("after rotation the config must hold the new and the previous key")
		}
		return nil
	})

	// A key Secret deleted by hand comes back with a new key; the old one
	// stops working.
	must(t, c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "demo-key"}}))
	poll.Until(t, converge, func() error {
		fresh, err := readKey(ctx, c, ns)
		if err != nil {
			return err
		}
		if fresh == rotated || fresh == key {
			return fmt.Errorf("the recreated Secret reuses an old key")
		}
		keys, err := servedKeys(ctx, c, ns, "demo")
		if err != nil {
			return err
		}
		if !keyIn(fresh, keys) || keyIn(rotated, keys) || keyIn(key, keys) {
			return fmt.Errorf("the config must hold only the new key")
		}
		return nil
	})
}

func TestConsumerReferences(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	cs := consumer(ns, "lost")
	cs.Spec.Gateways = []v1alpha1.ObjectName{"nowhere"}
	cs.Spec.TokenPolicies = []v1alpha1.ObjectName{"missing"}
	must(t, c.Create(ctx, cs))
	awaitCondition(t, c, cs, v1alpha1.ConditionResolvedRefs, metav1.ConditionFalse, v1alpha1.ReasonPolicyNotFound)
	must(t, c.Create(ctx, &v1alpha1.TokenPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "missing", Namespace: ns},
		Spec:       v1alpha1.TokenPolicySpec{MaxTokensPerRequest: ptr(int64(100))},
	}))
	awaitCondition(t, c, cs, v1alpha1.ConditionResolvedRefs, metav1.ConditionFalse, v1alpha1.ReasonGatewayNotFound)
	tp := &v1alpha1.TokenPolicy{ObjectMeta: metav1.ObjectMeta{Name: "missing", Namespace: ns}}
	awaitCondition(t, c, tp, v1alpha1.ConditionAccepted, metav1.ConditionTrue, v1alpha1.ReasonAccepted, func() error {
		if tp.Status.Consumers != 1 {
			return fmt.Errorf("status.consumers = %d, want 1", tp.Status.Consumers)
		}
		return nil
	})
}

func TestProviderSecretHeals(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	mp := &v1alpha1.ModelProvider{
		ObjectMeta: metav1.ObjectMeta{Name: "anthropic", Namespace: ns},
		Spec: v1alpha1.ModelProviderSpec{
			Type:        v1alpha1.ProviderAnthropic,
			Credentials: &v1alpha1.ProviderCredentials{SecretRef: v1alpha1.SecretKeyReference{Name: "anthropic", Key: "apiKey"}},
			Models:      []v1alpha1.ProviderModel{{Name: "claude-haiku-4-5"}},
		},
	}
	must(t, c.Create(ctx, mp))
	awaitCondition(t, c, mp, v1alpha1.ConditionResolvedRefs, metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound)
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "anthropic", Namespace: ns}, StringData: map[string]string{"other": "x"}}))
	awaitCondition(t, c, mp, v1alpha1.ConditionResolvedRefs, metav1.ConditionFalse, v1alpha1.ReasonSecretKeyNotFound)
	var sec corev1.Secret
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "anthropic"}, &sec))
	sec.StringData = map[string]string{"apiKey": "sk-ant-canary"}
	must(t, c.Update(ctx, &sec))
	awaitCondition(t, c, mp, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady, func() error {
		if mp.Status.Models != 1 {
			return fmt.Errorf("status.models = %d", mp.Status.Models)
		}
		return nil
	})
}

// A Consumer whose BYOK Secret is missing says so (ResolvedRefs False,
// SecretNotFound, the field named) and is not served at all, rather than
// on the gateway's own key; the other consumers are. Creating the Secret
// heals it, its own key compiled in.
func TestConsumerBYOKSecretMissing(t *testing.T) {
	c, ns, _ := convergedSamples(t)
	ctx := context.Background()
	cs := consumer(ns, "own")
	cs.Spec.BYOK = []v1alpha1.BYOKKey{{Provider: "openai", SecretRef: v1alpha1.SecretKeyReference{Name: "own-openai", Key: "apiKey"}}}
	must(t, c.Create(ctx, cs))
	awaitCondition(t, c, cs, v1alpha1.ConditionResolvedRefs, metav1.ConditionFalse, v1alpha1.ReasonSecretNotFound, func() error {
		msg := meta.FindStatusCondition(cs.Status.Conditions, string(v1alpha1.ConditionResolvedRefs)).Message
		if !strings.Contains(msg, "spec.byok[0].secretRef") || !strings.Contains(msg, `"own-openai"`) {
			return fmt.Errorf("ResolvedRefs message %q names no field", msg)
		}
		if err := condition(ctx, c, cs, v1alpha1.ConditionReady, metav1.ConditionFalse, ""); err != nil {
			return err
		}
		own, err := servedConsumer(ctx, c, ns, "own")
		if err != nil {
			return err
		}
		if own != nil {
			return fmt.Errorf("own is served without its key: %+v", own.BYOK)
		}
		demo, err := servedConsumer(ctx, c, ns, "demo")
		if err != nil || demo == nil {
			return fmt.Errorf("demo must still be served: %v", err)
		}
		return nil
	})
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "own-openai", Namespace: ns}, StringData: map[string]string{"apiKey": "sk-own-canary"}}))
	awaitCondition(t, c, cs, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady, func() error {
		own, err := servedConsumer(ctx, c, ns, "own")
		if err != nil {
			return err
		}
		if own == nil || len(own.BYOK) != 1 || own.BYOK[0].Provider != "openai" || own.BYOK[0].APIKey != "sk-own-canary" {
			return fmt.Errorf("own served as %+v", own)
		}
		return nil
	})

	// Rotated: the gateway keeps the Secrets it read, and reads this one
	// again because its resourceVersion moved.
	var sec corev1.Secret
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "own-openai"}, &sec))
	sec.Data = map[string][]byte{"apiKey": []byte("sk-own-rotated")}
	must(t, c.Update(ctx, &sec))
	poll.Until(t, time.Minute, func() error {
		own, err := servedConsumer(ctx, c, ns, "own")
		if err != nil {
			return err
		}
		if own == nil || len(own.BYOK) != 1 || own.BYOK[0].APIKey != "sk-own-rotated" {
			return fmt.Errorf("own served as %+v after the rotation", own)
		}
		return nil
	})
}
