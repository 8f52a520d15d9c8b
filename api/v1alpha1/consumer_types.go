/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ConsumerSpec is the desired state of a Consumer.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.gateways) && has(self.gatewaySelector))",message="set gateways or gatewaySelector, not both",fieldPath=".gatewaySelector",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="has(self.credentials) || (has(self.identities) && size(self.identities) > 0)",message="set credentials, identities, or both: a consumer needs a key or a signed-in identity",fieldPath=".credentials",reason=FieldValueRequired
type ConsumerSpec struct {
	// Gateways names the AIGateways in this namespace this consumer may
	// call. When neither gateways nor gatewaySelector is set, the consumer
	// may call every AIGateway in the namespace.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Gateways []ObjectName `json:"gateways,omitempty"`

	// GatewaySelector selects the AIGateways in this namespace this
	// consumer may call, by label.
	//
	// +optional
	GatewaySelector *metav1.LabelSelector `json:"gatewaySelector,omitempty"`

	// Credentials is where the consumer's key comes from. A consumer with
	// spec.identities may leave it out: it is then reached only by
	// signed-in tokens and has no key.
	//
	// +optional
	Credentials ConsumerCredentials `json:"credentials,omitzero"`

	// AllowedModels are model names or globs this consumer may use. Empty
	// allows every model the gateway serves.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	AllowedModels []ModelPattern `json:"allowedModels,omitempty"`

	// AllowedTools are globs over the MCP tool names this consumer may list
	// and call on a gateway's /mcp endpoint, prefixed by their MCPServer
	// ("petstore_*", "github_get*", "*"). Unlike allowedModels, empty
	// allows no tool: adding an MCPServer never hands its operations to
	// every existing consumer.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	AllowedTools []ToolPattern `json:"allowedTools,omitempty"`

	// TokenPolicies names the TokenPolicies in this namespace that apply to
	// this consumer. Every limit of every listed policy applies; the first
	// one exceeded decides the answer.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=8
	TokenPolicies []ObjectName `json:"tokenPolicies,omitempty"`

	// Disabled refuses the consumer's requests with 401 without deleting
	// its key, so it can be re-enabled.
	//
	// +optional
	// +kubebuilder:default=false
	Disabled bool `json:"disabled,omitempty"`

	// Identities are signed-in identities (tokens of an issuer of the
	// AIGateway's spec.auth.issuers) this consumer stands for, besides its
	// key. When several Consumers match one token the most specific match
	// wins: subject, then email, then group; ties go to the name that
	// sorts first.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Identities []IdentityMatch `json:"identities,omitempty"`

	// BYOK are the consumer's own vendor keys, one per ModelProvider: its
	// requests to that provider's backends carry its key (never logged,
	// sent to that vendor only), count against its limits and charge $0
	// against budgets, the vendor billing the key's owner. Bedrock and
	// Mock providers take none.
	//
	// +optional
	// +listType=map
	// +listMapKey=provider
	// +kubebuilder:validation:MaxItems=16
	BYOK []BYOKKey `json:"byok,omitempty"`

	// BodyCapture keeps this consumer's request and answer bodies with its
	// activity records. When set it decides for its calls (enabled: false
	// opts out of the AIGateway's capture); the AIGateway's maxBytes and
	// retention, when set, bound it. Off unless it or the AIGateway opts in.
	//
	// +optional
	BodyCapture *BodyCapture `json:"bodyCapture,omitempty"`
}

// BYOKKey is a consumer's own key for one ModelProvider.
type BYOKKey struct {
	// Provider is the ModelProvider's name.
	//
	// +required
	Provider ObjectName `json:"provider"`

	// SecretRef selects the Secret entry holding the key.
	//
	// +required
	SecretRef SecretKeyReference `json:"secretRef"`
}

// IdentityMatch selects identities by exactly one of subject, email or
// group, optionally of one issuer.
//
// +kubebuilder:validation:XValidation:rule="[has(self.subject), has(self.email), has(self.group)].filter(x, x).size() == 1",message="set exactly one of subject, email or group"
type IdentityMatch struct {
	// Issuer limits the match to one issuer; empty matches any trusted issuer.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Issuer string `json:"issuer,omitempty"`

	// Subject matches the token's sub claim.
	//
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Subject string `json:"subject,omitempty"`

	// Email matches the token's email claim (unless email_verified is false), case-insensitively.
	//
	// +optional
	// +kubebuilder:validation:MinLength=3
	// +kubebuilder:validation:MaxLength=512
	Email string `json:"email,omitempty"`

	// Group matches one entry of the issuer's groups claim.
	//
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Group string `json:"group,omitempty"`
}

// ConsumerCredentials is where a consumer's key comes from: exactly one of
// generate (the operator makes and rotates a key) or secretRef (the user
// brings one).
//
// +kubebuilder:validation:XValidation:rule="has(self.generate) != has(self.secretRef)",message="exactly one of generate or secretRef must be set"
type ConsumerCredentials struct {
	// Generate has the operator create a key ("tg-...") in a Secret it
	// owns. Write `generate: {}` for the defaults.
	//
	// +optional
	Generate *GeneratedKey `json:"generate,omitempty"`

	// SecretRef selects a Secret entry holding a key the user brings. The
	// gateway keeps only its SHA-256 hash. Changing the Secret replaces the
	// key at once.
	//
	// +optional
	SecretRef *SecretKeyReference `json:"secretRef,omitempty"`
}

// GeneratedKey configures an operator-generated key.
type GeneratedKey struct {
	// SecretName is the Secret the key is written to, under the entry
	// "apiKey". Defaults to "<consumer name>-key". Deleting the Secret
	// makes a new key; the old one stops working.
	//
	// +optional
	SecretName *ObjectName `json:"secretName,omitempty"`

	// Rotation is a counter: raising it makes a new key. The previous key
	// keeps working for overlap, so clients can move to the new one.
	//
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	Rotation int64 `json:"rotation,omitempty"`

	// Overlap is how long the previous key keeps working after a rotation;
	// "0s" revokes it at once.
	//
	// +optional
	// +kubebuilder:default="1h"
	Overlap *Duration `json:"overlap,omitempty"`
}

// ConsumerStatus is the observed state of a Consumer.
type ConsumerStatus struct {
	// Conditions describe the consumer's state. Types: Accepted,
	// ResolvedRefs, Ready.
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

	// SecretName is the Secret holding the consumer's current key.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName,omitempty"`

	// KeyPrefix is the public beginning of the current key ("tg-" and its
	// id), enough to recognise it and never enough to use it.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=64
	KeyPrefix string `json:"keyPrefix,omitempty"`

	// ObservedRotation is the credentials.generate.rotation the current key
	// was made for.
	//
	// +optional
	ObservedRotation int64 `json:"observedRotation,omitempty"`

	// PreviousKeyExpiresAt is when the key replaced by the last rotation
	// stops working; unset when no previous key is valid.
	//
	// +optional
	PreviousKeyExpiresAt *metav1.Time `json:"previousKeyExpiresAt,omitempty"`

	// Usage summarises the consumer's use in the current budget window,
	// summed over the AIGateways it calls. The operator reads each
	// gateway's GET /usage every 30 seconds by default (one replica with
	// the Redis store, every ready replica summed with the Local store),
	// so it lags the gateways a little. It is written only when it
	// changed; while a gateway cannot be read the last value stays.
	//
	// +optional
	Usage *ConsumerUsage `json:"usage,omitempty"`
}

// ConsumerUsage is a periodic summary of a consumer's use.
type ConsumerUsage struct {
	// Window names the period counted, such as "2026-11" (a month),
	// "2026-W47" (a week) or "2026-11-25" (a day), in UTC.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Window string `json:"window,omitempty"`

	// Requests is the number of requests.
	//
	// +optional
	Requests int64 `json:"requests,omitempty"`

	// InputTokens is the number of prompt tokens.
	//
	// +optional
	InputTokens int64 `json:"inputTokens,omitempty"`

	// OutputTokens is the number of completion tokens.
	//
	// +optional
	OutputTokens int64 `json:"outputTokens,omitempty"`

	// CostUSD is the spend in US dollars, a decimal string with two to six
	// decimals ("1.23", "0.000125"), computed from the prices in the
	// ModelProviders' spec.models (discovered models are free).
	//
	// +optional
	// +kubebuilder:validation:MaxLength=32
	CostUSD string `json:"costUSD,omitempty"`

	// UpdatedAt is when this summary was computed.
	//
	// +optional
	UpdatedAt *metav1.Time `json:"updatedAt,omitempty"`
}

// Consumer is a team or application that calls AIGateways with its own key,
// restricted to allowed models and charged against TokenPolicies. The
// operator can generate and rotate its key, and summarises its usage in
// status.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=csm,categories=tollgate
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Key",type=string,JSONPath=`.status.keyPrefix`
// +kubebuilder:printcolumn:name="Spend",type=string,JSONPath=`.status.usage.costUSD`
// +kubebuilder:printcolumn:name="Disabled",type=boolean,JSONPath=`.spec.disabled`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +operator-sdk:csv:customresourcedefinitions:displayName="Consumer",resources={{Secret,v1,""}}
type Consumer struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the Consumer.
	//
	// +required
	Spec ConsumerSpec `json:"spec"`

	// Status is the observed state of the Consumer.
	//
	// +optional
	// +kubebuilder:default={conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}, {type: "Ready", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}
	Status ConsumerStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// ConsumerList is a list of Consumers.
type ConsumerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Consumer `json:"items"`
}
