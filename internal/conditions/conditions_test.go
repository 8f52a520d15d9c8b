package conditions

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
)

func TestSet(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	t1 := t0.Add(time.Hour)
	accepted := True(v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "ok")
	pending := []metav1.Condition{{Type: "Accepted", Status: metav1.ConditionUnknown, Reason: "Pending", Message: "Waiting for controller", LastTransitionTime: metav1.NewTime(time.Unix(0, 0))}}
	cases := map[string]struct {
		before      []metav1.Condition
		gen         int64
		set         Condition
		wantChanged bool
		wantLTT     time.Time
	}{
		"a new condition gets now": {
			before: nil, gen: 1, set: accepted, wantChanged: true, wantLTT: t1,
		},
		"the CRD default flips from Unknown to True": {
			before: pending, gen: 1, set: accepted, wantChanged: true, wantLTT: t1,
		},
		"the same condition again writes nothing": {
			before: []metav1.Condition{{Type: "Accepted", Status: "True", Reason: "Accepted", Message: "ok", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(t0)}},
			gen:    1, set: accepted, wantChanged: false, wantLTT: t0,
		},
		"a new generation stamps observedGeneration but keeps the time": {
			before: []metav1.Condition{{Type: "Accepted", Status: "True", Reason: "Accepted", Message: "ok", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(t0)}},
			gen:    2, set: accepted, wantChanged: true, wantLTT: t0,
		},
		"a new message with the same status keeps the time": {
			before: []metav1.Condition{{Type: "Accepted", Status: "True", Reason: "Accepted", Message: "old", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(t0)}},
			gen:    1, set: accepted, wantChanged: true, wantLTT: t0,
		},
		"a status flip moves the time": {
			before: []metav1.Condition{{Type: "Accepted", Status: "True", Reason: "Accepted", Message: "ok", ObservedGeneration: 1, LastTransitionTime: metav1.NewTime(t0)}},
			gen:    1, set: False(v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid, "bad"), wantChanged: true, wantLTT: t1,
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			conds := append([]metav1.Condition(nil), tc.before...)
			if got := Set(&conds, tc.gen, tc.set, t1); got != tc.wantChanged {
				t.Fatalf("changed = %v, want %v", got, tc.wantChanged)
			}
			c := Get(conds, tc.set.Type)
			if c == nil {
				t.Fatal("condition missing")
			}
			if !c.LastTransitionTime.Time.Equal(tc.wantLTT) {
				t.Errorf("lastTransitionTime = %v, want %v", c.LastTransitionTime.Time, tc.wantLTT)
			}
			if c.ObservedGeneration != tc.gen || c.Reason != string(tc.set.Reason) || c.Message != tc.set.Message {
				t.Errorf("condition = %+v, want gen %d reason %s message %q", c, tc.gen, tc.set.Reason, tc.set.Message)
			}
		})
	}
}

func TestRemoveAndChanged(t *testing.T) {
	now := time.Now()
	var before, after []metav1.Condition
	Set(&before, 1, True(v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "ok"), now)
	Set(&before, 1, False(v1alpha1.ConditionReady, v1alpha1.ReasonReplicasUnavailable, "0 of 1"), now)
	after = append(after, before...)
	Set(&after, 1, True(v1alpha1.ConditionReady, v1alpha1.ReasonReady, "1 of 1"), now)
	Set(&after, 1, True(v1alpha1.ConditionAccepted, v1alpha1.ReasonAccepted, "new message"), now)
	ch := Changed(before, after)
	if len(ch) != 1 || ch[0].Type != "Ready" {
		t.Fatalf("Changed = %+v, want only Ready (a message change is not a change of state)", ch)
	}
	if !Remove(&after, v1alpha1.ConditionReady) || Remove(&after, v1alpha1.ConditionReady) {
		t.Fatal("Remove should report true once, then false")
	}
	if IsTrue(after, v1alpha1.ConditionReady) || !IsTrue(after, v1alpha1.ConditionAccepted) {
		t.Fatalf("IsTrue wrong on %+v", after)
	}
}
