package v1alpha1

// Guardrail is one named set of detection rules on an AIGateway, applied
// to every request of the gateway or only to the models and consumers it
// names.
//
// +kubebuilder:validation:XValidation:rule="(has(self.rules) && size(self.rules) > 0) || (has(self.answers) && size(self.answers) > 0) || has(self.external)",message="a guardrail needs rules, answers or an external check"
type Guardrail struct {
	// Name labels the guardrail in metrics and logs.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// Models limits the guardrail to these public models (globs with * and
	// ?); every model when empty.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	Models []ModelPattern `json:"models,omitempty"`

	// Consumers limits the guardrail to these Consumers (names, or
	// namespace/name for another namespace); every consumer when empty.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=1024
	// +kubebuilder:validation:items:MaxLength=253
	// +listType=set
	Consumers []string `json:"consumers,omitempty"`

	// Rules are checked on the request's text: messages, tool-call
	// arguments, embeddings input. Mask replaces a value with a
	// placeholder the upstream sees and the answer gets back.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Rules []GuardrailRule `json:"rules,omitempty"`

	// Answers are rules checked on the answer's text; there Mask redacts.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=64
	Answers []GuardrailRule `json:"answers,omitempty"`

	// External sends the request's text to a moderation check through one
	// of the gateway's own providers.
	//
	// +optional
	External *ExternalCheck `json:"external,omitempty"`
}

// GuardrailRule is one detector and what to do with what it finds.
//
// +kubebuilder:validation:XValidation:rule="self.detector != 'Regex' || (has(self.pattern) && size(self.pattern) > 0)",message="a Regex rule needs a pattern"
// +kubebuilder:validation:XValidation:rule="self.detector != 'Keywords' || (has(self.keywords) && size(self.keywords) > 0)",message="a Keywords rule needs keywords"
type GuardrailRule struct {
	// Detector finds the values: a built-in (Email, Phone, CreditCard
	// with the Luhn check, IBAN with its mod-97 check, IPAddress, Secret
	// for cloud and API keys) or Regex and Keywords.
	//
	// +kubebuilder:validation:Enum=Email;Phone;CreditCard;IBAN;IPAddress;Secret;Regex;Keywords
	Detector string `json:"detector"`

	// Name labels the rule in placeholders, metrics and logs (the
	// detector's own by default).
	//
	// +optional
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9][-_A-Za-z0-9]*$`
	Name string `json:"name,omitempty"`

	// Pattern is a Regex rule's regular expression (RE2 syntax).
	//
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Pattern string `json:"pattern,omitempty"`

	// Keywords are a Keywords rule's words, matched case-insensitively as
	// whole words.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=1024
	// +kubebuilder:validation:items:MaxLength=256
	Keywords []string `json:"keywords,omitempty"`

	// Action is Mask (a reversible placeholder), Block (the request is
	// refused in the client API's error shape) or Log (counted only).
	//
	// +optional
	// +kubebuilder:default=Mask
	// +kubebuilder:validation:Enum=Mask;Block;Log
	Action string `json:"action,omitempty"`
}

// ExternalCheck is a moderation check through one of the gateway's
// providers (an OpenAI-shaped /v1/moderations).
type ExternalCheck struct {
	// Provider is a ModelProvider of the gateway.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Provider string `json:"provider"`

	// Model is the upstream moderation model.
	//
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Model string `json:"model"`

	// Timeout bounds the check (5s when unset, at most 1m).
	//
	// +optional
	Timeout *Duration `json:"timeout,omitempty"`

	// FailOpen serves the request when the check fails or times out;
	// by default it is refused.
	//
	// +optional
	FailOpen bool `json:"failOpen,omitempty"`
}

// ResponseCache is the gateway's exact-match response cache: an answer
// is served again to the same request (normalised) within the TTL. Off by
// default; kept in the limits' Redis when the limits use Redis.
type ResponseCache struct {
	// Enabled turns the cache on.
	Enabled bool `json:"enabled"`

	// TTL is how long an answer is served again (5m when unset).
	//
	// +optional
	TTL *Duration `json:"ttl,omitempty"`

	// MaxEntries bounds the local cache's entries (10000 when unset).
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000000
	MaxEntries int `json:"maxEntries,omitempty"`

	// MaxBytes bounds the local cache's size (256 MiB when unset).
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	MaxBytes int64 `json:"maxBytes,omitempty"`

	// MaxEntryBytes bounds one cached answer (4 MiB when unset); larger
	// answers are not cached.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=67108864
	MaxEntryBytes int64 `json:"maxEntryBytes,omitempty"`

	// Scope is Consumer (a consumer is served only its own answers) or
	// Shared (every consumer of the gateway shares answers).
	//
	// +optional
	// +kubebuilder:default=Consumer
	// +kubebuilder:validation:Enum=Consumer;Shared
	Scope string `json:"scope,omitempty"`

	// Models limits caching to these public models; every model when empty.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	Models []ModelPattern `json:"models,omitempty"`
}
