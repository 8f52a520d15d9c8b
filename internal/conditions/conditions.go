// Package conditions sets status conditions the way Tollgate's API promises:
// every condition carries the generation it was computed for, and its
// LastTransitionTime moves only when its status flips, so a reconcile that
// finds nothing new writes nothing and conditions never flap.
package conditions

import (
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

// Condition is one condition to set, before stamping.
type Condition struct {
	Type    v1alpha1.ConditionType
	Status  metav1.ConditionStatus
	Reason  v1alpha1.ConditionReason
	Message string
}

// True, False and Unknown build a Condition.
func True(t v1alpha1.ConditionType, r v1alpha1.ConditionReason, msg string) Condition {
	return Condition{Type: t, Status: metav1.ConditionTrue, Reason: r, Message: msg}
}

// False builds a Condition with status False.
func False(t v1alpha1.ConditionType, r v1alpha1.ConditionReason, msg string) Condition {
	return Condition{Type: t, Status: metav1.ConditionFalse, Reason: r, Message: msg}
}

// Unknown builds a Condition with status Unknown.
func Unknown(t v1alpha1.ConditionType, r v1alpha1.ConditionReason, msg string) Condition {
	return Condition{Type: t, Status: metav1.ConditionUnknown, Reason: r, Message: msg}
}

// maxMessage is the API's limit on a condition message.
const maxMessage = 32768

// Set writes c into conds for generation gen. LastTransitionTime becomes now
// when the condition is new or its status changed, and is kept otherwise.
// It reports whether anything changed.
func Set(conds *[]metav1.Condition, gen int64, c Condition, now time.Time) bool {
	msg := c.Message
	if len(msg) > maxMessage {
		msg = msg[:maxMessage-3] + "..."
	}
	want := metav1.Condition{
		Type:               string(c.Type),
		Status:             c.Status,
		Reason:             string(c.Reason),
		Message:            msg,
		ObservedGeneration: gen,
		LastTransitionTime: metav1.NewTime(now.UTC().Truncate(time.Second)),
	}
	if old := meta.FindStatusCondition(*conds, want.Type); old != nil {
		if old.Status == want.Status && old.Reason == want.Reason && old.Message == want.Message && old.ObservedGeneration == want.ObservedGeneration {
			return false
		}
	}
	// SetStatusCondition keeps LastTransitionTime unless the status flips.
	return meta.SetStatusCondition(conds, want)
}

// Remove deletes the condition of type t and reports whether it was there.
func Remove(conds *[]metav1.Condition, t v1alpha1.ConditionType) bool {
	return meta.RemoveStatusCondition(conds, string(t))
}

// Get returns the condition of type t, or nil.
func Get(conds []metav1.Condition, t v1alpha1.ConditionType) *metav1.Condition {
	return meta.FindStatusCondition(conds, string(t))
}

// IsTrue reports whether the condition of type t is True.
func IsTrue(conds []metav1.Condition, t v1alpha1.ConditionType) bool {
	return meta.IsStatusConditionTrue(conds, string(t))
}

// Changed lists the conditions of after whose status or reason differ from
// before (or that are new), for events on every change of state.
func Changed(before, after []metav1.Condition) []metav1.Condition {
	var out []metav1.Condition
	for _, a := range after {
		b := meta.FindStatusCondition(before, a.Type)
		if b == nil || b.Status != a.Status || b.Reason != a.Reason {
			out = append(out, a)
		}
	}
	return out
}
