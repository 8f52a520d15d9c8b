/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ExceededAction is what happens to a request once a limit is reached.
//
// +kubebuilder:validation:Enum=Reject;Downgrade
type ExceededAction string

// Exceeded actions.
const (
	// ExceededReject answers 429 with Retry-After and OpenAI-style
	// x-ratelimit-* headers.
	ExceededReject ExceededAction = "Reject"
	// ExceededDowngrade serves the request with spec.downgradeTo instead.
	ExceededDowngrade ExceededAction = "Downgrade"
)

// BudgetWindow is a calendar period in UTC.
//
// +kubebuilder:validation:Enum=Day;Week;Month
type BudgetWindow string

// Budget windows.
const (
	BudgetDay   BudgetWindow = "Day"
	BudgetWeek  BudgetWindow = "Week"
	BudgetMonth BudgetWindow = "Month"
)

// TokenPolicySpec is the desired state of a TokenPolicy.
//
// +kubebuilder:validation:XValidation:rule="has(self.limits) || has(self.budget) || has(self.maxTokensPerRequest)",message="set at least one of limits, budget or maxTokensPerRequest"
// +kubebuilder:validation:XValidation:rule="self.onExceeded != 'Downgrade' || has(self.downgradeTo)",message="downgradeTo is required when onExceeded is Downgrade",fieldPath=".downgradeTo",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.onExceeded == 'Downgrade' || !has(self.downgradeTo)",message="downgradeTo may only be set when onExceeded is Downgrade",fieldPath=".downgradeTo",reason=FieldValueForbidden
type TokenPolicySpec struct {
	// Limits count requests and tokens over fixed windows aligned to the
	// Unix epoch (a 1m window restarts at every whole minute). Tokens are
	// reserved from an estimate when a request is admitted and settled with
	// the counts the upstream reports, streams included.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Limits []Limit `json:"limits,omitempty"`

	// Budget caps spend in US dollars per calendar window, priced with the
	// providers' model pricing.
	//
	// +optional
	Budget *Budget `json:"budget,omitempty"`

	// MaxTokensPerRequest caps one request's max_tokens (and its estimate);
	// larger requests are refused with 400.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	MaxTokensPerRequest *int64 `json:"maxTokensPerRequest,omitempty"`

	// OnExceeded is what happens once a limit or the budget is reached.
	//
	// +optional
	// +kubebuilder:default=Reject
	OnExceeded ExceededAction `json:"onExceeded,omitempty"`

	// DowngradeTo is the model served instead once a limit is reached;
	// required with onExceeded Downgrade. Its own use is still counted.
	//
	// +optional
	DowngradeTo *ModelName `json:"downgradeTo,omitempty"`

	// Pooled makes the limits and the budget one set of counters shared by
	// every Consumer this policy applies to (a team's budget) instead of
	// one set per Consumer. A Consumer's other policies apply besides it.
	//
	// +optional
	Pooled bool `json:"pooled,omitempty"`
}

// Limit is one set of counters over one window. At least one of requests,
// tokens, inputTokens or outputTokens is set; unset ones are unlimited.
//
// +kubebuilder:validation:XValidation:rule="has(self.requests) || has(self.tokens) || has(self.inputTokens) || has(self.outputTokens) || has(self.toolCalls)",message="a limit must set at least one of requests, tokens, inputTokens, outputTokens or toolCalls"
// +kubebuilder:validation:XValidation:rule="duration(self.window) >= duration('1s')",message="window must be at least 1s",fieldPath=".window"
type Limit struct {
	// Window is the length of the counting window, such as "1m", "1h" or
	// "24h".
	//
	// +required
	Window Duration `json:"window"`

	// Requests caps the number of requests per window.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	Requests *int64 `json:"requests,omitempty"`

	// Tokens caps input plus output tokens per window.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	Tokens *int64 `json:"tokens,omitempty"`

	// InputTokens caps prompt tokens per window.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	InputTokens *int64 `json:"inputTokens,omitempty"`

	// OutputTokens caps completion tokens per window.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	OutputTokens *int64 `json:"outputTokens,omitempty"`

	// ToolCalls caps MCP tool calls (tools/call on a gateway's /mcp) per
	// window, across every tool; models does not scope it.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	ToolCalls *int64 `json:"toolCalls,omitempty"`

	// Models scopes the limit to model names or globs; empty counts every
	// model.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	Models []ModelPattern `json:"models,omitempty"`
}

// Budget caps spend per calendar window.
type Budget struct {
	// AmountUSD is the most that may be spent per window, in US dollars.
	//
	// +required
	AmountUSD Decimal `json:"amountUSD"`

	// Window is the calendar period, in UTC: Day, Week (from Monday) or
	// Month.
	//
	// +optional
	// +kubebuilder:default=Month
	Window BudgetWindow `json:"window,omitempty"`
}

// TokenPolicyStatus is the observed state of a TokenPolicy.
type TokenPolicyStatus struct {
	// Conditions describe the policy's state. Type: Accepted.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the metadata.generation last acted on.
	//
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Consumers is the number of Consumers that refer to this policy.
	//
	// +optional
	Consumers int32 `json:"consumers,omitempty"`

	// Pool is the spend of a pooled policy with a budget in its current
	// budget window: every Consumer under it together, summed over the
	// AIGateways that serve it. The operator reads it with the Consumers'
	// usage (every 30 seconds by default), so it lags the gateways a
	// little; it is written only when it changed.
	//
	// +optional
	Pool *PoolUsage `json:"pool,omitempty"`
}

// PoolUsage is a periodic summary of a pooled policy's spend.
type PoolUsage struct {
	// Window names the period counted, such as "2026-11" (a month),
	// "2026-W47" (a week) or "2026-11-25" (a day), in UTC.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Window string `json:"window,omitempty"`

	// CostUSD is the pool's spend in US dollars, a decimal string with two
	// to six decimals ("1.23"), against spec.budget.amountUSD.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=32
	CostUSD string `json:"costUSD,omitempty"`

	// UpdatedAt is when this summary was computed.
	//
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// TokenPolicy limits requests, tokens and spend of the Consumers that refer
// to it: per-window counters, a calendar budget in US dollars and a
// per-request cap, answered with 429 or a downgrade to a cheaper model.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tp,categories=tollgate
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="Accepted",type=string,JSONPath=`.status.conditions[?(@.type=="Accepted")].status`
// +kubebuilder:printcolumn:name="Consumers",type=integer,JSONPath=`.status.consumers`
// +kubebuilder:printcolumn:name="Budget",type=string,JSONPath=`.spec.budget.amountUSD`,priority=1
// +kubebuilder:printcolumn:name="Pool Spend",type=string,JSONPath=`.status.pool.costUSD`,priority=1
// +kubebuilder:printcolumn:name="On Exceeded",type=string,JSONPath=`.spec.onExceeded`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +operator-sdk:csv:customresourcedefinitions:displayName="Token Policy"
type TokenPolicy struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the TokenPolicy.
	//
	// +required
	Spec TokenPolicySpec `json:"spec"`

	// Status is the observed state of the TokenPolicy.
	//
	// +optional
	// +kubebuilder:default={conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}
	Status TokenPolicyStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// TokenPolicyList is a list of TokenPolicies.
type TokenPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []TokenPolicy `json:"items"`
}
