package controller

import (
	"context"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/resources"
)

// timeSlack is added to time-based requeues so the deadline has passed.
const timeSlack = time.Second

// defaultOverlap is how long a rotated-out key keeps working.
const defaultOverlap = time.Hour

// consumerScope is what one reconcile of a Consumer read and decided.
type consumerScope struct {
	cs, before *v1alpha1.Consumer

	secretName string
	// secret is the key Secret, nil when missing.
	secret *corev1.Secret
	// key is what a generated key Secret holds (nil for secretRef).
	key *resources.ConsumerKey
	// currentKey is the key in use, for its display prefix only.
	currentKey string
	problems   []compile.Problem
}

// ensureKey makes sure a generated key exists and is rotated as asked, or
// reads a key Secret the user brings.
//
// Key Secrets are written with create and update, not apply: the key must
// never be replaced from a stale cache. Create fails if the Secret exists;
// update fails if it changed since it was read; both are retried.
func (r *ConsumerReconciler) ensureKey(ctx context.Context, s *consumerScope) error {
	cs := s.cs
	if !compile.HasKey(cs) {
		return nil // identities only: no key to keep
	}
	s.secretName = compile.KeySecretName(cs)
	nn := client.ObjectKey{Namespace: cs.Namespace, Name: s.secretName}
	gen := cs.Spec.Credentials.Generate
	if gen == nil {
		var sec corev1.Secret
		if err := r.api.Get(ctx, nn, &sec); err != nil {
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("reading key Secret %s: %w", nn, err)
		}
		s.secret = &sec
		if ref := cs.Spec.Credentials.SecretRef; ref != nil {
			s.currentKey = string(sec.Data[compile.DataKey(ref)])
		}
		return nil
	}

	var sec corev1.Secret
	err := r.client.Get(ctx, nn, &sec)
	if apierrors.IsNotFound(err) {
		// The cache may lag behind a Secret just written: ask the API server.
		err = r.api.Get(ctx, nn, &sec)
		if apierrors.IsNotFound(err) {
			return r.createKey(ctx, s, gen)
		}
		if err == nil {
			return r.foreignSecret(s)
		}
	}
	if err != nil {
		return fmt.Errorf("reading key Secret %s: %w", nn, err)
	}
	if !metav1.IsControlledBy(&sec, cs) {
		return r.foreignSecret(s)
	}
	k := keyOfSecret(&sec)
	s.secret, s.key, s.currentKey = &sec, &k, k.Key
	now := r.now()
	switch {
	case gen.Rotation > k.Rotation:
		next, err := apikey.Generate()
		if err != nil {
			return err
		}
		overlap := defaultOverlap
		if gen.Overlap != nil {
			if d, err := time.ParseDuration(string(*gen.Overlap)); err == nil {
				overlap = d
			}
		}
		old := k.Key
		k = resources.ConsumerKey{Key: next, Rotation: gen.Rotation}
		if overlap > 0 {
			k.Previous, k.PreviousExpiresAt = old, now.Add(overlap).UTC().Truncate(time.Second)
		}
		if err := r.updateKey(ctx, s, &sec, k); err != nil {
			return err
		}
		r.recorder.Eventf(cs, nil, corev1.EventTypeNormal, "KeyRotated", "RotateKey",
			"Generated key %s for rotation %d in Secret %s; the previous key %s works for %s more.",
			apikey.DisplayPrefix(next), gen.Rotation, s.secretName, apikey.DisplayPrefix(old), overlap)
	case k.Previous != "" && !now.Before(k.PreviousExpiresAt):
		k.Previous, k.PreviousExpiresAt = "", time.Time{}
		return r.updateKey(ctx, s, &sec, k)
	}
	return nil
}

func (r *ConsumerReconciler) createKey(ctx context.Context, s *consumerScope, gen *v1alpha1.GeneratedKey) error {
	key, err := apikey.Generate()
	if err != nil {
		return err
	}
	k := resources.ConsumerKey{Key: key, Rotation: gen.Rotation}
	sec := resources.ConsumerKeySecret(s.cs, k)
	if err := r.client.Create(ctx, sec, client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("creating key Secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	s.secret, s.key, s.currentKey = sec, &k, key
	r.recorder.Eventf(s.cs, nil, corev1.EventTypeNormal, "KeyGenerated", "GenerateKey",
		"Generated key %s in Secret %s.", apikey.DisplayPrefix(key), sec.Name)
	return nil
}

func (r *ConsumerReconciler) updateKey(ctx context.Context, s *consumerScope, old *corev1.Secret, k resources.ConsumerKey) error {
	sec := resources.ConsumerKeySecret(s.cs, k)
	sec.ResourceVersion = old.ResourceVersion
	if err := r.client.Update(ctx, sec, client.FieldOwner(FieldOwner)); err != nil {
		return fmt.Errorf("updating key Secret %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	s.secret, s.key, s.currentKey = sec, &k, k.Key
	return nil
}

// foreignSecret reports a Secret in the way of the generated key.
func (r *ConsumerReconciler) foreignSecret(s *consumerScope) error {
	s.problems = append(s.problems, compile.Problem{
		Kind: v1alpha1.KindConsumer, Name: s.cs.Name, Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonKeyNotReady,
		Message: fmt.Sprintf("Secret %q exists but was not generated for this Consumer; delete it, or set spec.credentials.generate.secretName to a free name.", s.secretName),
	})
	return nil
}

// keyOfSecret reads a generated key Secret.
func keyOfSecret(s *corev1.Secret) resources.ConsumerKey {
	k := resources.ConsumerKey{Key: string(s.Data[compile.KeyAPIKey]), Previous: string(s.Data[compile.KeyPreviousAPIKey])}
	k.Rotation, _ = strconv.ParseInt(s.Annotations[resources.AnnotationRotation], 10, 64)
	if k.Previous != "" {
		t, err := time.Parse(time.RFC3339, s.Annotations[compile.AnnotationPreviousKeyExpiresAt])
		if err != nil {
			k.Previous = "" // no valid expiry: the previous key is not honoured
		} else {
			k.PreviousExpiresAt = t
		}
	}
	return k
}

// resolve runs compile on this Consumer alone (with every policy of the
// namespace) to learn what compile would report about it, and checks the
// gateways it names.
func (r *ConsumerReconciler) resolve(ctx context.Context, s *consumerScope) error {
	cs := s.cs
	var tps v1alpha1.TokenPolicyList
	if err := r.client.List(ctx, &tps, client.InNamespace(cs.Namespace)); err != nil {
		return fmt.Errorf("listing TokenPolicies of %s: %w", cs.Namespace, err)
	}
	alone := cs.DeepCopy()
	alone.Spec.Gateways, alone.Spec.GatewaySelector = nil, nil
	secrets := map[string]*corev1.Secret{}
	if s.secret != nil && len(s.problems) == 0 {
		secrets[s.secretName] = s.secret
	}
	s.problems = append(s.problems, r.compileAlone(compile.Input{
		Consumers: []v1alpha1.Consumer{*alone}, Policies: tps.Items, Secrets: secrets,
	}, v1alpha1.KindConsumer, cs)...)
	// Compiled alone the Consumer has no providers to read its BYOK keys
	// for; a gateway leaves out a Consumer whose key Secret is missing.
	if err := r.resolveBYOK(ctx, s); err != nil {
		return err
	}
	// A key shared with another Consumer shows only when compiling a
	// whole gateway.
	s.problems = append(s.problems, r.findings.problems(cs.Namespace, cs.Name)...)
	for _, g := range cs.Spec.Gateways {
		var gw v1alpha1.AIGateway
		err := r.client.Get(ctx, client.ObjectKey{Namespace: cs.Namespace, Name: string(g)}, &gw)
		if apierrors.IsNotFound(err) {
			s.problems = append(s.problems, compile.Problem{
				Kind: v1alpha1.KindConsumer, Name: cs.Name, Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonGatewayNotFound,
				Message: fmt.Sprintf("AIGateway %q named in spec.gateways does not exist in namespace %q; create it or remove the name.", g, cs.Namespace),
			})
		} else if err != nil {
			return fmt.Errorf("reading AIGateway %s: %w", g, err)
		}
	}
	return nil
}

// resolveBYOK reports each BYOK key whose Secret, or its entry, is
// missing, naming the field: no gateway serves the Consumer until it
// exists (compile.byokKeys).
func (r *ConsumerReconciler) resolveBYOK(ctx context.Context, s *consumerScope) error {
	cs := s.cs
	for i, k := range cs.Spec.BYOK {
		field := fmt.Sprintf("spec.byok[%d].secretRef", i)
		key := compile.DataKey(&k.SecretRef)
		var sec corev1.Secret
		// A Secret users bring: an uncached read (secrets.go).
		err := r.api.Get(ctx, client.ObjectKey{Namespace: cs.Namespace, Name: string(k.SecretRef.Name)}, &sec)
		switch {
		case apierrors.IsNotFound(err):
			s.problems = append(s.problems, compile.Problem{
				Kind: v1alpha1.KindConsumer, Name: cs.Name, Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonSecretNotFound,
				Message: fmt.Sprintf("Secret %q referenced by Consumer %q at %s does not exist in namespace %q; create it or fix the reference. No gateway serves the Consumer until it does.",
					k.SecretRef.Name, cs.Name, field, cs.Namespace),
			})
		case err != nil:
			return fmt.Errorf("reading Secret %s of %s: %w", k.SecretRef.Name, field, err)
		case len(sec.Data[key]) == 0 && sec.StringData[key] == "":
			s.problems = append(s.problems, compile.Problem{
				Kind: v1alpha1.KindConsumer, Name: cs.Name, Condition: v1alpha1.ConditionResolvedRefs, Reason: v1alpha1.ReasonSecretKeyNotFound,
				Message: fmt.Sprintf("Secret %q has no non-empty key %q, which Consumer %q needs at %s; add the key to the Secret or change the reference. No gateway serves the Consumer until it does.",
					k.SecretRef.Name, key, cs.Name, field),
			})
		}
	}
	return nil
}
