package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/poll"
)

const discoveryKey = "sk-canary-discovery-key"

// vendorModels is an OpenAI-compatible GET /v1/models that wants the key.
type vendorModels struct {
	mu  sync.Mutex
	ids []string
}

func (v *vendorModels) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/models" {
		http.NotFound(w, r)
		return
	}
	if r.Header.Get("Authorization") != "Bearer "+discoveryKey {
		w.WriteHeader(http.StatusUnauthorized)
		// Vendors echo part of what they got; status must not.
		fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s"}}`, r.Header.Get("Authorization"))
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	var page struct {
		Data []map[string]string `json:"data"`
	}
	for _, id := range v.ids {
		page.Data = append(page.Data, map[string]string{"id": id, "object": "model"})
	}
	_ = json.NewEncoder(w).Encode(page)
}

// TestProviderDiscovery: discovered models fill status and the gateway's
// catalogue (spec.models wins, no pricing for discovered ones); a failing
// vendor sets Ready=False DiscoveryFailed with its status, never the key,
// and the last list keeps serving.
func TestProviderDiscovery(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	vendor := &vendorModels{ids: []string{"llama-b", "llama-a", "other-x", "bad name!"}}
	srv := httptest.NewServer(vendor)
	t.Cleanup(srv.Close)
	samples(t, c, ns, nil)
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "vllm", Namespace: ns}, StringData: map[string]string{"apiKey": discoveryKey}}))
	mp := &v1alpha1.ModelProvider{
		ObjectMeta: metav1.ObjectMeta{Name: "vllm", Namespace: ns},
		Spec: v1alpha1.ModelProviderSpec{
			Type:                v1alpha1.ProviderOpenAICompatible,
			Endpoint:            ptr(v1alpha1.Endpoint(srv.URL + "/v1")),
			AllowPrivateNetwork: true,
			Credentials:         &v1alpha1.ProviderCredentials{SecretRef: v1alpha1.SecretKeyReference{Name: "vllm", Key: "apiKey"}},
			Models: []v1alpha1.ProviderModel{{Name: "llama-a", Pricing: &v1alpha1.Pricing{
				InputPerMillion: ptr(v1alpha1.Decimal("1")), OutputPerMillion: ptr(v1alpha1.Decimal("2")),
			}}},
			Discovery: &v1alpha1.Discovery{Enabled: true, Include: []v1alpha1.ModelPattern{"llama-*"}},
		},
	}
	must(t, c.Create(ctx, mp))
	awaitCondition(t, c, mp, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady, func() error {
		if got := mp.Status.DiscoveredModels; !slices.Equal(got, []v1alpha1.ModelName{"llama-a", "llama-b"}) || mp.Status.Models != 2 {
			return fmt.Errorf("status: discovered %v, models %d; want [llama-a llama-b], 2", got, mp.Status.Models)
		}
		return nil
	})
	poll.Until(t, converge, func() error {
		cfg, err := servedConfig(ctx, c, ns)
		if err != nil {
			return err
		}
		got := map[string]config.Model{}
		for _, m := range cfg.Models {
			if m.Provider == "vllm" {
				got[m.Name] = m
			}
		}
		if len(got) != 2 || got["llama-a"].Pricing.InputPerMillion != 1 || got["llama-b"].Pricing.InputPerMillion != 0 {
			return fmt.Errorf("vllm models in the config: %+v", got)
		}
		return nil
	})

	// A wrong key: the vendor answers 401.
	var sec corev1.Secret
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "vllm"}, &sec))
	sec.Data = map[string][]byte{"apiKey": []byte("sk-canary-wrong-key")}
	must(t, c.Update(ctx, &sec))
	awaitCondition(t, c, mp, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonDiscoveryFailed)
	ready := condOf(mp.Status.Conditions, v1alpha1.ConditionReady)
	if !strings.Contains(ready.Message, "401") || strings.Contains(ready.Message, "sk-canary") {
		t.Errorf("DiscoveryFailed message must carry the vendor's status and no key: %q", ready.Message)
	}
	if len(mp.Status.DiscoveredModels) != 2 {
		t.Errorf("a failed discovery dropped the last list: %v", mp.Status.DiscoveredModels)
	}
}

func condOf(conds []metav1.Condition, t v1alpha1.ConditionType) metav1.Condition {
	for _, c := range conds {
		if c.Type == string(t) {
			return c
		}
	}
	return metav1.Condition{}
}

// TestDuplicateKeyRejectsLaterConsumer: two Consumers with one key; the
// later (by name) is Accepted=False Invalid with compile's sentence, and
// heals when the other goes.
func TestDuplicateKeyRejectsLaterConsumer(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	samples(t, c, ns, nil)
	must(t, c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "shared", Namespace: ns}, StringData: map[string]string{"apiKey": "tg-shared-0123456789abcdef"}}))
	mk := func(name string) *v1alpha1.Consumer {
		cs := consumer(ns, name)
		cs.Spec.Credentials = v1alpha1.ConsumerCredentials{SecretRef: &v1alpha1.SecretKeyReference{Name: "shared", Key: "apiKey"}}
		must(t, c.Create(ctx, cs))
		return cs
	}
	alpha, beta := mk("alpha"), mk("beta")
	awaitCondition(t, c, beta, v1alpha1.ConditionAccepted, metav1.ConditionFalse, v1alpha1.ReasonInvalid, func() error {
		if msg := condOf(beta.Status.Conditions, v1alpha1.ConditionAccepted).Message; !strings.Contains(msg, `Consumer "beta" uses the same API key as Consumer "alpha"`) {
			return fmt.Errorf("Accepted message %q", msg)
		}
		return condition(ctx, c, beta, v1alpha1.ConditionReady, metav1.ConditionFalse, v1alpha1.ReasonInvalid)
	})
	awaitCondition(t, c, alpha, v1alpha1.ConditionAccepted, metav1.ConditionTrue, v1alpha1.ReasonAccepted)
	must(t, c.Delete(ctx, alpha))
	awaitCondition(t, c, beta, v1alpha1.ConditionAccepted, metav1.ConditionTrue, v1alpha1.ReasonAccepted)
}
