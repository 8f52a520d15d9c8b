package controller

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// consumerFacts is what a Consumer's status is computed from.
type consumerFacts struct {
	cs         *v1alpha1.Consumer
	problems   []compile.Problem
	secretName string
	haveSecret bool
	currentKey string
	key        *resources.ConsumerKey
}

func (s *consumerScope) facts() consumerFacts {
	return consumerFacts{cs: s.cs, problems: s.problems, secretName: s.secretName, haveSecret: s.secret != nil, currentKey: s.currentKey, key: s.key}
}

// setConsumerStatus writes a Consumer's conditions and key fields. Usage
// is summarised by a later component and left untouched here.
func setConsumerStatus(st *v1alpha1.ConsumerStatus, f consumerFacts, now time.Time) {
	gen := f.cs.Generation
	st.ObservedGeneration = gen
	accepted := fromProblems(f.problems, v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "The Consumer is valid.")
	refs := fromProblems(f.problems, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonResolvedRefs, "The key, policies and gateways of the Consumer resolved.")
	conditions.Set(&st.Conditions, gen, accepted, now)
	conditions.Set(&st.Conditions, gen, refs, now)
	conditions.Set(&st.Conditions, gen, consumerReady(f, accepted, refs), now)
	if len(f.cs.Spec.Identities) > 0 {
		conditions.Set(&st.Conditions, gen, fromProblems(f.problems, v1alpha1.ConditionIdentitiesUnique, v1alpha1.ReasonIdentitiesUnique,
			"No other Consumer of the gateways names an identity match of this one."), now)
	} else {
		conditions.Remove(&st.Conditions, v1alpha1.ConditionIdentitiesUnique)
	}

	st.SecretName = ""
	if f.haveSecret {
		st.SecretName = f.secretName
	}
	st.KeyPrefix = ""
	if f.currentKey != "" {
		st.KeyPrefix = apikey.DisplayPrefix(f.currentKey)
	}
	st.PreviousKeyExpiresAt = nil
	if k := f.key; k != nil {
		st.ObservedRotation = k.Rotation
		if k.Previous != "" {
			st.PreviousKeyExpiresAt = &metav1.Time{Time: k.PreviousExpiresAt}
		}
	}
}

func consumerReady(f consumerFacts, accepted, refs conditions.Condition) conditions.Condition {
	if f.cs.Spec.Disabled {
		return conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonDisabled,
			"spec.disabled is set: requests with this consumer's key are refused with 401 until it is cleared.")
	}
	for _, p := range f.problems {
		switch p.Reason {
		case v1alpha1.ReasonKeyNotReady, v1alpha1.ReasonSecretNotFound, v1alpha1.ReasonSecretKeyNotFound:
			return conditions.False(v1alpha1.ConditionReady, v1alpha1.ReasonKeyNotReady, p.Message)
		}
	}
	if !compile.HasKey(f.cs) {
		return readyFrom("The consumer has no key: tokens matching its spec.identities are served.", accepted, refs)
	}
	return readyFrom(fmt.Sprintf("Key %s in Secret %s is ready.", apikey.DisplayPrefix(f.currentKey), f.secretName), accepted, refs)
}
