package controller

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
)

// TestConsumerReadyReasonsDocumented: every problem a Consumer can have
// gives a Ready reason from the list api/v1alpha1 documents for Consumers.
func TestConsumerReadyReasonsDocumented(t *testing.T) {
	documented := map[v1alpha1.ConditionReason]bool{
		v1alpha1.ReasonReady: true, v1alpha1.ReasonDisabled: true, v1alpha1.ReasonKeyNotReady: true,
		v1alpha1.ReasonInvalid: true, v1alpha1.ReasonGatewayNotFound: true, v1alpha1.ReasonPolicyNotFound: true,
	}
	cases := map[string]compile.Problem{
		"duplicate key":     {Condition: v1alpha1.ConditionAccepted, Reason: v1alpha1.ReasonInvalid},
		"policy missing":    {Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonPolicyNotFound},
		"gateway missing":   {Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonGatewayNotFound},
		"key not generated": {Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonKeyNotReady},
		"secret missing":    {Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonSecretNotFound},
		"secret key absent": {Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonSecretKeyNotFound},
		"nothing wrong":     {},
	}
	for name, p := range cases {
		t.Run(name, func(t *testing.T) {
			f := consumerFacts{cs: &v1alpha1.Consumer{ObjectMeta: metav1.ObjectMeta{Name: "c", Generation: 2}}}
			if p.Reason != "" {
				p.Kind, p.Name, p.Message = "Consumer", "c", "something is wrong."
				f.problems = []compile.Problem{p}
			}
			var st v1alpha1.ConsumerStatus
			setConsumerStatus(&st, f, time.Now())
			ready := conditions.Get(st.Conditions, v1alpha1.ConditionReady)
			if ready == nil || !documented[v1alpha1.ConditionReason(ready.Reason)] {
				t.Errorf("Ready = %+v: reason not documented for Consumers", ready)
			}
			if p.Reason != "" && ready.Status != metav1.ConditionFalse {
				t.Errorf("Ready = %s with a problem", ready.Status)
			}
		})
	}
}

func TestProviderStatusDiscovery(t *testing.T) {
	mp := &v1alpha1.ModelProvider{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: 4},
		Spec: v1alpha1.ModelProviderSpec{
			Type:      v1alpha1.ProviderOpenAI,
			Models:    []v1alpha1.ProviderModel{{Name: "a"}},
			Discovery: &v1alpha1.Discovery{Enabled: true},
		},
		Status: v1alpha1.ModelProviderStatus{DiscoveredModels: []v1alpha1.ModelName{"a", "b", "c"}},
	}
	cases := map[string]struct {
		mp     func() *v1alpha1.ModelProvider
		err    error
		status metav1.ConditionStatus
		reason v1alpha1.ConditionReason
		msg    string
		models int32
	}{
		"discovered models count, listed ones once": {mp: mp.DeepCopy, status: "True", reason: v1alpha1.ReasonReady, msg: "3 models, 2 of them discovered", models: 3},
		"failure keeps the list and says why": {mp: mp.DeepCopy, err: errors.New("GET https://api.example/models: the vendor answered HTTP 401 Unauthorized"),
			status: "False", reason: v1alpha1.ReasonDiscoveryFailed, msg: "HTTP 401", models: 3},
		"nothing to serve": {mp: func() *v1alpha1.ModelProvider {
			m := mp.DeepCopy()
			m.Spec.Models, m.Status.DiscoveredModels = nil, nil
			return m
		}, status: "False", reason: v1alpha1.ReasonInvalid, msg: "no models", models: 0},
		"discovery off: stale names do not count": {mp: func() *v1alpha1.ModelProvider {
			m := mp.DeepCopy()
			m.Spec.Discovery = nil
			return m
		}, status: "True", reason: v1alpha1.ReasonReady, msg: "serves 1 models", models: 1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m := tc.mp()
			setProviderStatus(&m.Status, m, nil, tc.err, time.Now())
			ready := conditions.Get(m.Status.Conditions, v1alpha1.ConditionReady)
			if ready.Status != tc.status || ready.Reason != string(tc.reason) || !strings.Contains(ready.Message, tc.msg) || m.Status.Models != tc.models {
				t.Errorf("Ready %s/%s %q, models %d; want %s/%s containing %q, %d", ready.Status, ready.Reason, ready.Message, m.Status.Models, tc.status, tc.reason, tc.msg, tc.models)
			}
		})
	}
}
