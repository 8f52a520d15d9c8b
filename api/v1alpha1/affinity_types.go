package v1alpha1

// SessionAffinityMode says how a route places the requests of one
// conversation.
//
// +kubebuilder:validation:Enum=Session;None
type SessionAffinityMode string

// Session affinity modes.
const (
	// SessionAffinitySession keeps every request that carries the same
	// session key on the same backend of a tier while that backend is
	// healthy, so the vendor's prompt cache stays warm. The backend is
	// chosen by a weighted rendezvous hash of the key, so the weights hold
	// across sessions and every gateway replica chooses the same backend
	// with no shared state.
	SessionAffinitySession SessionAffinityMode = "Session"
	// SessionAffinityNone lets the route's strategy choose per request.
	SessionAffinityNone SessionAffinityMode = "None"
)

// SessionAffinity keeps the requests of one conversation on one backend.
// The session key of a request is, in this order: the configured header,
// Claude Code's X-Claude-Code-Session-Id header, the body's
// prompt_cache_key (OpenAI), metadata.user_id (Anthropic), user, or
// safety_identifier (OpenAI). A request with none is placed by the
// route's strategy.
//
// +kubebuilder:validation:XValidation:rule="!has(self.header) || self.mode != 'None'",message="header is only read when mode is Session",fieldPath=".header"
type SessionAffinity struct {
	// Mode is Session (the default) or None.
	//
	// +optional
	// +kubebuilder:default=Session
	Mode SessionAffinityMode `json:"mode,omitempty"`

	// Header names a request header whose value is the session key, read
	// before the built-in sources. Credential headers are refused: a key
	// must not be hashed into placement.
	//
	// +optional
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['authorization', 'proxy-authorization', 'x-api-key', 'api-key', 'x-goog-api-key', 'cookie'])",message="a credential header cannot be the session key"
	Header *HeaderName `json:"header,omitempty"`
}
