package v1alpha1

// ActivitySettings configures an AIGateway's activity log beyond its
// defaults: which header names a request's app, and the opt-in capture of
// request and answer bodies.
type ActivitySettings struct {
	// AppHeader names a request header the app is read from. It wins over
	// X-Title and HTTP-Referer, which still name the app when it is
	// absent. A credential header (Authorization, X-Api-Key, Cookie…)
	// cannot be named: its value would be stored and shown.
	//
	// +optional
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie'])",message="a credential header cannot name the app"
	AppHeader *HeaderName `json:"appHeader,omitempty"`

	// BodyCapture keeps the request and answer bodies of every consumer's
	// calls with their activity records (off when unset). A Consumer's own
	// spec.bodyCapture, when set, decides for its calls instead; this
	// one's maxBytes and retention, when set, bound the Consumer's.
	//
	// +optional
	BodyCapture *BodyCapture `json:"bodyCapture,omitempty"`
}

// BodyCapture keeps calls' request and answer bodies (as the client sent
// and received them, streams as their raw bytes; masked by the guardrails
// that apply to the call; never a header or key) with their activity
// records, each body cut at maxBytes, for retention. Only the consumer
// that made a call (GET /v1/generation?id=…&include=bodies) and the admin
// read them.
//
// +kubebuilder:validation:XValidation:rule="!has(self.retention) || (duration(self.retention) >= duration('1m') && duration(self.retention) <= duration('168h'))",message="retention must be between 1m and 168h",fieldPath=".retention"
type BodyCapture struct {
	// Enabled captures the bodies.
	Enabled bool `json:"enabled"`

	// MaxBytes is each body's cap, in bytes (16384 when unset); a longer
	// body is kept cut, marked truncated.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65536
	MaxBytes int32 `json:"maxBytes,omitempty"`

	// Retention is how long captured bodies are kept (24h when unset, at
	// most 168h: never longer than the record).
	//
	// +optional
	Retention *Duration `json:"retention,omitempty"`
}
