package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/poll"
)

// Issue 21: a Consumer with identities and no key is valid and served; a
// Consumer whose identity match another Consumer wins is told so in
// IdentitiesUnique (computed by the gateway's compile), and told again
// when the overlap goes; a pooled TokenPolicy is compiled pooled.
func TestConsumerIdentities(t *testing.T) {
	c := env(t)
	ctx := context.Background()
	ns := namespace(t, c)
	gw := samples(t, c, ns, func(gw *v1alpha1.AIGateway) {
		gw.Spec.Auth = &v1alpha1.Auth{Issuers: []v1alpha1.OIDCIssuer{{Issuer: "https://login.example.com/realms/eng", Audiences: []string{"tollgate"}}}}
	})
	converged(t, c, gw)
	must(t, c.Create(ctx, &v1alpha1.TokenPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: ns},
		Spec:       v1alpha1.TokenPolicySpec{Pooled: true, Budget: &v1alpha1.Budget{AmountUSD: "100", Window: v1alpha1.BudgetMonth}},
	}))
	eng := &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "eng"}, Spec: v1alpha1.ConsumerSpec{
		Identities:    []v1alpha1.IdentityMatch{{Group: "eng"}},
		TokenPolicies: []v1alpha1.ObjectName{"team"},
	}}
	must(t, c.Create(ctx, eng))
	platform := consumer(ns, "platform")
	platform.Spec.Identities = []v1alpha1.IdentityMatch{{Group: "eng"}, {Group: "platform"}}
	must(t, c.Create(ctx, platform))

	// Neither a key nor an identity: the API server refuses it.
	err := c.Create(ctx, &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nobody"},
		Spec: v1alpha1.ConsumerSpec{Identities: []v1alpha1.IdentityMatch{}}})
	if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "spec.credentials: Required value: set credentials, identities, or both") {
		t.Fatalf("a consumer without key or identity: %v", err)
	}

	awaitCondition(t, c, eng, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady, func() error {
		if err := condition(ctx, c, eng, v1alpha1.ConditionIdentitiesUnique, metav1.ConditionTrue, v1alpha1.ReasonIdentitiesUnique); err != nil {
			return err
		}
		if err := condition(ctx, c, platform, v1alpha1.ConditionReady, metav1.ConditionTrue, v1alpha1.ReasonReady); err != nil {
			return err
		}
		return condition(ctx, c, platform, v1alpha1.ConditionIdentitiesUnique, metav1.ConditionFalse, v1alpha1.ReasonIdentityShadowed)
	})
	msg := meta.FindStatusCondition(platform.Status.Conditions, string(v1alpha1.ConditionIdentitiesUnique)).Message
	if want := `group "eng" of any issuer goes to Consumer "eng"`; !strings.Contains(msg, want) {
		t.Errorf("IdentitiesUnique message %q does not say %q", msg, want)
	}
	if eng.Status.SecretName != "" || eng.Status.KeyPrefix != "" {
		t.Errorf("a consumer without key shows a key: %+v", eng.Status)
	}
	if r := meta.FindStatusCondition(eng.Status.Conditions, string(v1alpha1.ConditionReady)); !strings.Contains(r.Message, "no key") {
		t.Errorf("Ready of a keyless consumer says %q", r.Message)
	}
	demo := consumer(ns, "demo")
	must(t, c.Get(ctx, client.ObjectKeyFromObject(demo), demo))
	if meta.FindStatusCondition(demo.Status.Conditions, string(v1alpha1.ConditionIdentitiesUnique)) != nil {
		t.Errorf("a consumer without identities has IdentitiesUnique: %+v", demo.Status.Conditions)
	}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "eng-key"}, &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Errorf("a key Secret was made for a consumer without credentials: %v", err)
	}

	poll.Until(t, converge, func() error {
		cfg, err := servedConfig(ctx, c, ns)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(cfg.Consumers, func(cs config.Consumer) bool { return cs.Name == "eng" })
		if i < 0 {
			return fmt.Errorf("consumer eng not served")
		}
		if cs := cfg.Consumers[i]; len(cs.Keys) != 0 || !slices.Equal(cs.Identities, []config.IdentityMatch{{Group: "eng"}}) || !slices.Equal(cs.Policies, []string{"team"}) {
			return fmt.Errorf("consumer eng served as %+v", cs)
		}
		p := slices.IndexFunc(cfg.Policies, func(p config.Policy) bool { return p.Name == "team" })
		if p < 0 || !cfg.Policies[p].Pooled {
			return fmt.Errorf("policy team not served pooled: %+v", cfg.Policies)
		}
		return nil
	})

	// The overlap goes: platform is told so.
	must(t, c.Get(ctx, client.ObjectKeyFromObject(platform), platform))
	platform.Spec.Identities = []v1alpha1.IdentityMatch{{Group: "platform"}}
	must(t, c.Update(ctx, platform))
	awaitCondition(t, c, platform, v1alpha1.ConditionIdentitiesUnique, metav1.ConditionTrue, v1alpha1.ReasonIdentitiesUnique)
}

// servePool answers /usage with no consumer and the spend of pool team.
func (s *usageServer) servePool(cost string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = http.StatusOK
	s.body = `{"gateway":"ns/main","window":"2026-11","consumers":[],"pools":[` +
		`{"policy":"team","window":"2026-11","windowKind":"Month","costUSD":` + cost + `,"budgetUSD":100}]}`
}

// Issue 21: a pooled TokenPolicy's status.pool is the pool's spend from
// the gateways' /usage, summed over Local replicas, rewritten when it
// changes; a policy that is not pooled gets none.
func TestPoolSpendInStatus(t *testing.T) {
	c, ns, gw := convergedSamples(t)
	ctx := context.Background()
	tp := &v1alpha1.TokenPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: ns},
		Spec:       v1alpha1.TokenPolicySpec{Pooled: true, Budget: &v1alpha1.Budget{AmountUSD: "100", Window: v1alpha1.BudgetMonth}},
	}
	must(t, c.Create(ctx, tp))
	a, b := newUsageServer(t), newUsageServer(t)
	a.servePool("1.5")
	b.servePool("0.25")
	serveUsageFor(t, gw, a, b)
	wantPool := func(cost string) {
		t.Helper()
		poll.Until(t, converge, func() error {
			if err := c.Get(ctx, client.ObjectKeyFromObject(tp), tp); err != nil {
				return err
			}
			if p := tp.Status.Pool; p == nil || p.Window != "2026-11" || p.CostUSD != cost || p.UpdatedAt == nil {
				return fmt.Errorf("status.pool = %+v, want $%s in 2026-11", p, cost)
			}
			return nil
		})
	}
	wantPool("1.75")
	js, _ := json.Marshal(tp.Status.Pool)
	t.Logf("status.pool: %s", js)
	a.servePool("4")
	wantPool("4.25")
	std := &v1alpha1.TokenPolicy{}
	must(t, c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "standard"}, std))
	if std.Status.Pool != nil {
		t.Errorf("a policy that is not pooled has status.pool %+v", std.Status.Pool)
	}
	if err := condition(ctx, c, tp, v1alpha1.ConditionAccepted, metav1.ConditionTrue, v1alpha1.ReasonAccepted); err != nil {
		t.Error(err)
	}
}
