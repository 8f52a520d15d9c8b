package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The Available condition's hysteresis: readings in order, and the status
// after each.
func TestAvailabilityHysteresis(t *testing.T) {
	ok := availabilityReading{Requests: 100, Succeeded: 99}
	bad := availabilityReading{Requests: 100, Succeeded: 10, TopError: "server_error"}
	mid := availabilityReading{Requests: 100, Succeeded: 70}
	idle := availabilityReading{Requests: 2}
	const T, F, U = metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown
	for _, tc := range []struct {
		name     string
		readings []availabilityReading
		want     []metav1.ConditionStatus
	}{
		{"no traffic stays unknown", []availabilityReading{idle, idle}, []metav1.ConditionStatus{U, U}},
		{"first judged reading decides", []availabilityReading{idle, ok}, []metav1.ConditionStatus{U, T}},
		{"one bad round does not flip", []availabilityReading{ok, bad, ok, bad, ok}, []metav1.ConditionStatus{T, T, T, T, T}},
		{"two bad rounds flip", []availabilityReading{ok, bad, bad}, []metav1.ConditionStatus{T, T, F}},
		{"between the rates holds and resets", []availabilityReading{ok, bad, mid, bad}, []metav1.ConditionStatus{T, T, T, T}},
		{"recovery needs three good rounds", []availabilityReading{bad, ok, ok, ok}, []metav1.ConditionStatus{F, F, F, T}},
		{"a bad round interrupts recovery", []availabilityReading{bad, ok, ok, bad, ok, ok}, []metav1.ConditionStatus{F, F, F, F, F, F}},
		{"too few requests never flip", []availabilityReading{ok, bad, idle, bad}, []metav1.ConditionStatus{T, T, T, T}},
		{"alternating never flaps", []availabilityReading{ok, bad, ok, bad, ok, bad, ok}, []metav1.ConditionStatus{T, T, T, T, T, T, T}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st availabilityState
			for i, r := range tc.readings {
				var msg string
				st, msg = nextAvailability(st, r)
				if st.Status != tc.want[i] {
					t.Fatalf("after reading %d (%+v): %s, want %s (%s)", i, r, st.Status, tc.want[i], msg)
				}
				c := availableCondition(st, msg, 1)
				if c.Reason == "" || c.Message == "" || c.Type != conditionAvailable {
					t.Fatalf("condition %+v", c)
				}
			}
		})
	}
}
