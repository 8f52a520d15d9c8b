package controller

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
)

// alone is in set to compile its objects on their own: for an empty
// gateway of namespace ns, now. A reconciler compiles the one object it
// reports on so (with what it refers to) to learn what compile says of it.
func (b *base) alone(in compile.Input, ns string) compile.Input {
	in.Gateway = &v1alpha1.AIGateway{ObjectMeta: metav1.ObjectMeta{Namespace: ns}}
	in.Now = b.now()
	return in
}

// compileAlone compiles in alone in obj's namespace and returns the
// problems compile reports of obj, of the given kind.
func (b *base) compileAlone(in compile.Input, kind string, obj client.Object) []compile.Problem {
	var out []compile.Problem
	for _, p := range compile.Compile(b.alone(in, obj.GetNamespace())).Problems {
		if p.Kind == kind && p.Name == obj.GetName() {
			out = append(out, p)
		}
	}
	return out
}

// fromProblems turns the problems of one condition type into that
// condition: False with the first problem's reason and every message, or
// True with okReason and okMsg when there is none.
func fromProblems(ps []compile.Problem, t v1alpha1.ConditionType, okReason v1alpha1.ConditionReason, okMsg string) conditions.Condition {
	var reason v1alpha1.ConditionReason
	var msgs []string
	seen := map[string]bool{}
	for _, p := range ps {
		if p.Condition != t || seen[p.Message] {
			continue
		}
		if reason == "" {
			reason = p.Reason
		}
		seen[p.Message] = true
		msgs = append(msgs, p.Message)
	}
	if reason == "" {
		return conditions.True(t, okReason, okMsg)
	}
	return conditions.False(t, reason, strings.Join(msgs, " "))
}

// readyFrom summarises Accepted and ResolvedRefs into Ready: the first of
// them that is not True decides, else Ready is True with msg.
func readyFrom(msg string, cs ...conditions.Condition) conditions.Condition {
	for _, c := range cs {
		if c.Status != "True" {
			return conditions.False(v1alpha1.ConditionReady, c.Reason, c.Message)
		}
	}
	return conditions.True(v1alpha1.ConditionReady, v1alpha1.ReasonReady, msg)
}
