package controller

import (
	"strings"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/compile"
	"github.com/tollgate-dev/tollgate/internal/conditions"
)

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
