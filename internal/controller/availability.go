package controller

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// conditionAvailable is the ModelProvider condition saying whether its
// backends answer, from the gateways' rolling windows (issue 20).
const conditionAvailable = "Available"

// Hysteresis of the Available condition: it turns False only after
// availabilityDownRounds readings in a row below availabilityDownRate, and
// True again only after availabilityUpRounds readings in a row at or above
// availabilityUpRate; a reading between the two rates, or with fewer than
// availabilityMinRequests requests, changes nothing. So one bad minute does
// not flip it, and a recovering provider must stay healthy a while.
const (
	availabilityDownRate    = 0.5
	availabilityUpRate      = 0.9
	availabilityDownRounds  = 2
	availabilityUpRounds    = 3
	availabilityMinRequests = 5
)

// availabilityReading is one collection round's sum, over the gateways that
// use a provider, of its backends' windows.
type availabilityReading struct {
	Requests, Succeeded uint64
	// TopError is the most frequent error class ("" when none).
	TopError string
}

// availabilityState is a provider's condition and the run of readings
// pointing the other way (kept by the collector between rounds).
type availabilityState struct {
	Status metav1.ConditionStatus
	Reason string
	// streak counts consecutive readings against Status.
	streak int
}

// nextAvailability folds one reading into st (pure). A provider not yet
// judged is Unknown (NoTraffic) until a reading has enough requests; its
// first such reading decides at once.
func nextAvailability(st availabilityState, r availabilityReading) (availabilityState, string) {
	if st.Status == "" {
		st.Status, st.Reason = metav1.ConditionUnknown, "NoTraffic"
	}
	if r.Requests < availabilityMinRequests {
		st.streak = 0
		return st, fmt.Sprintf("%d requests in the window: too few to judge", r.Requests)
	}
	rate := float64(r.Succeeded) / float64(r.Requests)
	msg := fmt.Sprintf("%.1f%% of %d requests succeeded in the gateways' windows", 100*rate, r.Requests)
	if r.TopError != "" && rate < 1 {
		msg += "; most frequent error: " + r.TopError
	}
	down, up := rate < availabilityDownRate, rate >= availabilityUpRate
	switch {
	case st.Status == metav1.ConditionUnknown && (down || up):
		st.streak = 0
		if down {
			st.Status, st.Reason = metav1.ConditionFalse, "Failing"
		} else {
			st.Status, st.Reason = metav1.ConditionTrue, "Answering"
		}
	case st.Status == metav1.ConditionTrue && down, st.Status == metav1.ConditionFalse && up:
		st.streak++
		need := availabilityDownRounds
		if up {
			need = availabilityUpRounds
		}
		if st.streak >= need {
			st.streak = 0
			if down {
				st.Status, st.Reason = metav1.ConditionFalse, "Failing"
			} else {
				st.Status, st.Reason = metav1.ConditionTrue, "Answering"
			}
		}
	default:
		st.streak = 0 // between the rates, or agreeing with Status
	}
	return st, msg
}

// availableCondition is st as the ModelProvider condition.
func availableCondition(st availabilityState, msg string, generation int64) metav1.Condition {
	return metav1.Condition{Type: conditionAvailable, Status: st.Status, Reason: st.Reason, Message: msg, ObservedGeneration: generation}
}
