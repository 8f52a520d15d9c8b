// Package config is the contract between the operator and the data plane: the
// one versioned document that a gateway process serves.
//
// The operator compiles ModelProviders, Consumers, TokenPolicies and Secrets
// into a Config (see Compile in the compile package), stores it in a Secret and
// the proxy hot-reloads it. `tollgate render` prints it from YAML files and
// `tollgate proxy --config FILE` serves it with no Kubernetes at all.
//
// This package imports no Kubernetes package. Every field is already resolved:
// secrets are inlined (vendor keys) or hashed (consumer keys), routes are
// explicit (compile expands the catalogue into routes), durations are parsed.
package config

import (
	"encoding/json"
	"fmt"
	"time"
)

// SchemaVersion is written in every Config. A proxy refuses a document with
// another major version rather than guessing.
const SchemaVersion = "tollgate.dev/gateway/v1"

// SecretKey is the data key of the config document in a gateway's config
// Secret: the operator writes it, the proxy reads and watches it.
const SecretKey = "config.json"

// Config is the complete, compiled configuration of one gateway.
type Config struct {
	// Version is SchemaVersion.
	Version string `json:"version"`
	// Gateway identifies the AIGateway this document was compiled from.
	Gateway GatewayMeta `json:"gateway"`
	// Listener is where the gateway serves clients and metrics.
	Listener Listener `json:"listener"`
	// Server holds the HTTP server's safety limits.
	Server Server `json:"server"`
	// Auth selects how clients authenticate.
	Auth Auth `json:"auth"`
	// Providers are the upstream vendor accounts, with credentials inlined.
	Providers []Provider `json:"providers,omitempty"`
	// Models is the catalogue clients see on GET /v1/models.
	Models []Model `json:"models,omitempty"`
	// Routes map public model names (exact or glob) to backends. Compile
	// always produces explicit routes: one per catalogue model when the
	// AIGateway declares none. Routes are matched in order; exact names are
	// placed before globs by Compile.
	Routes []Route `json:"routes,omitempty"`
	// Consumers are the clients allowed to call the gateway (auth mode APIKey).
	Consumers []Consumer `json:"consumers,omitempty"`
	// BYOKHeaderKeys accepts a consumer's own vendor key per request, in a
	// header (nil: refused).
	BYOKHeaderKeys *BYOKHeaderKeys `json:"byokHeaderKeys,omitempty"`
	// Shards name the consumer shards of a sharded root document (see
	// Split). A served config has none: Assemble moves their consumers
	// into Consumers.
	Shards []ShardRef `json:"shards,omitempty"`
	// Policies are the token, request and cost limits consumers refer to.
	Policies []Policy `json:"policies,omitempty"`
	// Limits selects where limit counters live.
	Limits LimitsStore `json:"limits"`
	// Console configures the built-in web console.
	Console Console `json:"console,omitzero"`
	// Responses configures the Responses API's response state.
	Responses Responses `json:"responses,omitzero"`
	// Telemetry configures OpenTelemetry traces (off when empty).
	Telemetry Telemetry `json:"telemetry,omitzero"`
	// Guardrails mask, block or log sensitive values in requests and
	// answers (see guardrails.go).
	Guardrails []Guardrail `json:"guardrails,omitempty"`
	// ResponseCache is the exact-match response cache (off by default).
	ResponseCache ResponseCache `json:"responseCache,omitzero"`
	// Prompts add system text to requests and hold named templates.
	Prompts Prompts `json:"prompts,omitzero"`
	// MCPServers are the tool sources served on /mcp (see mcp.go).
	MCPServers []MCPServer `json:"mcpServers,omitempty"`
	// Activity configures the activity log: the app header and the opt-in
	// body capture (see activity.go).
	Activity Activity `json:"activity,omitzero"`
}

// Responses configures the state behind the Responses API's
// previous_response_id and GET/DELETE /v1/responses/{id}: kept in the
// limits' Redis when the limits use Redis, in bounded memory otherwise.
type Responses struct {
	// DisableStore keeps no response: a request's store:true is served as
	// store:false (said in the X-Tollgate-Response-Store header).
	DisableStore bool `json:"disableStore,omitempty"`
	// StoreTTL is how long a stored response can be continued, read and
	// deleted. 0 means responsestate.DefaultTTL (24h).
	StoreTTL Duration `json:"storeTTL,omitzero"`
}

// GatewayMeta names the AIGateway a Config was compiled from.
type GatewayMeta struct {
	Name       string `json:"name"`
	Namespace  string `json:"namespace,omitempty"`
	Generation int64  `json:"generation,omitempty"`
}

// Listener is where the proxy listens.
type Listener struct {
	// Address is the client listener, host:port. Default ":8080".
	Address string `json:"address,omitempty"`
	// MetricsAddress serves /metrics, /healthz and /readyz. Default ":9090".
	MetricsAddress string `json:"metricsAddress,omitempty"`
	// TLS, when set, serves HTTPS with the certificate files (for example a
	// cert-manager Secret mounted into the pod). Files are re-read on reload.
	TLS *TLS `json:"tls,omitempty"`
}

// TLS names PEM files of a serving certificate.
type TLS struct {
	CertFile string `json:"certFile"`
	KeyFile  string `json:"keyFile"`
}

// Server holds safety limits of the client-facing HTTP server.
type Server struct {
	// MaxRequestBodyBytes answers 413 beyond this size. Default 32 MiB.
	MaxRequestBodyBytes int64 `json:"maxRequestBodyBytes,omitempty"`
	// MaxInFlight answers a fast 503 beyond this many concurrent requests.
	// Default 4096.
	MaxInFlight int `json:"maxInFlight,omitempty"`
	// ReadHeaderTimeout cuts clients that trickle headers. Default 10s.
	ReadHeaderTimeout Duration `json:"readHeaderTimeout,omitzero"`
	// ReadTimeout bounds reading the whole request body. Default 60s.
	ReadTimeout Duration `json:"readTimeout,omitzero"`
	// WriteTimeout bounds each write to the client (reset per chunk, so long
	// streams are not cut). Default 30s.
	WriteTimeout Duration `json:"writeTimeout,omitzero"`
	// IdleTimeout closes idle keep-alive connections. Default 120s.
	IdleTimeout Duration `json:"idleTimeout,omitzero"`
	// DrainTimeout is how long in-flight requests may finish after SIGTERM.
	// Default 25s.
	DrainTimeout Duration `json:"drainTimeout,omitzero"`
}

// AuthMode selects client authentication.
type AuthMode string

const (
	// AuthAPIKey requires a consumer key on every request.
	AuthAPIKey AuthMode = "APIKey"
	// AuthNone serves anonymous clients (demos, trusted networks).
	AuthNone AuthMode = "None"
)

// Auth configures client authentication.
type Auth struct {
	Mode AuthMode `json:"mode"`
	// Issuers are the OIDC/JWT issuers whose tokens the gateway accepts
	// besides consumer keys (see Consumer.Identities and internal/identity).
	Issuers []Issuer `json:"issuers,omitempty"`
}

// Issuer is one trusted OIDC/JWT issuer. Its keys are fetched from
// JWKSURL, or from the jwks_uri of its discovery document when JWKSURL is
// empty, through the SSRF guard unless AllowPrivateNetwork.
type Issuer struct {
	// Issuer is the exact iss claim (and the discovery base URL).
	Issuer string `json:"issuer"`
	// JWKSURL, when set, is fetched instead of discovery.
	JWKSURL string `json:"jwksURL,omitempty"`
	// Audiences: a token's aud must name one of them (at least one).
	Audiences []string `json:"audiences"`
	// ClockSkew tolerated on exp, iat and nbf. Default 30s.
	ClockSkew Duration `json:"clockSkew,omitzero"`
	// JWKSRefresh is how often the key set is re-read; an unknown kid
	// re-reads it sooner, at most once per JWKSMinRefresh. Default 1h.
	JWKSRefresh Duration `json:"jwksRefresh,omitzero"`
	// GroupsClaim names the claim holding groups or roles. Default "groups".
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// AllowPrivateNetwork permits a discovery or JWKS URL on a loopback,
	// link-local or private address (in-cluster Dex or Keycloak, tests).
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
}

// ProviderType names a vendor API.
type ProviderType string

const (
	ProviderOpenAI           ProviderType = "OpenAI"
	ProviderAzureOpenAI      ProviderType = "AzureOpenAI"
	ProviderAnthropic        ProviderType = "Anthropic"
	ProviderGemini           ProviderType = "Gemini"
	ProviderBedrock          ProviderType = "Bedrock"
	ProviderOpenAICompatible ProviderType = "OpenAICompatible"
	ProviderMock             ProviderType = "Mock"
)

// The NativeAPIs entries: the client APIs an OpenAICompatible server may
// declare it speaks.
const (
	// NativeResponses is OpenAI's Responses API (/v1/responses).
	NativeResponses = "responses"
	// NativeCompletions is the legacy completions API (/v1/completions).
	NativeCompletions = "completions"
)

// Provider is one upstream vendor account or endpoint.
type Provider struct {
	// Name is the ModelProvider's name, unique in the Config.
	Name string       `json:"name"`
	Type ProviderType `json:"type"`
	// Endpoint is the base URL, for example https://api.openai.com/v1.
	// Empty for Mock.
	Endpoint string `json:"endpoint,omitempty"`
	// APIKey is the vendor credential (secret: never logged).
	APIKey string `json:"apiKey,omitempty"`
	// Headers are extra headers sent upstream (for example OpenAI-Organization).
	Headers map[string]string `json:"headers,omitempty"`
	// ForwardHeaders names client headers forwarded to this provider on top
	// of the gateway's allow-list (see docs/security.md); a name ending in
	// "*" is a prefix ("X-Mock-*"). Credentials, hop-by-hop and framing
	// headers are never forwarded, whatever is listed.
	ForwardHeaders []string `json:"forwardHeaders,omitempty"`
	// AllowPrivateNetwork permits endpoints that resolve to loopback,
	// link-local or private addresses (in-cluster vLLM, Ollama, tests).
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
	// Timeouts bound each phase of an upstream call.
	Timeouts Timeouts `json:"timeouts,omitzero"`
	// MaxConcurrentRequests caps in-flight requests to this provider; 0 = no cap.
	MaxConcurrentRequests int `json:"maxConcurrentRequests,omitempty"`
	// NativeAPIs declares client APIs an OpenAICompatible server speaks
	// natively besides chat completions ("responses": it serves
	// /v1/responses). Other types speak what their vendor does: OpenAI and
	// AzureOpenAI the Responses API, Anthropic the Messages API.
	NativeAPIs []string `json:"nativeAPIs,omitempty"`

	// Azure holds Azure OpenAI settings (Type AzureOpenAI).
	Azure *AzureSettings `json:"azure,omitempty"`
	// Anthropic holds Anthropic settings (Type Anthropic).
	Anthropic *AnthropicSettings `json:"anthropic,omitempty"`
	// Bedrock holds AWS settings (Type Bedrock).
	Bedrock *BedrockSettings `json:"bedrock,omitempty"`
	// Mock holds the built-in mock's behaviour (Type Mock).
	Mock *MockSettings `json:"mock,omitempty"`
}

// Timeouts bound the phases of one upstream attempt.
type Timeouts struct {
	// Connect bounds dialing and the TLS handshake. Default 5s.
	Connect Duration `json:"connect,omitzero"`
	// FirstToken bounds the wait for response headers and the first event.
	// Default 60s.
	FirstToken Duration `json:"firstToken,omitzero"`
	// Idle bounds the gap between two stream chunks; reset per chunk.
	// Default 60s.
	Idle Duration `json:"idle,omitzero"`
	// Request bounds one whole attempt. Default 600s.
	Request Duration `json:"request,omitzero"`
}

// AzureSettings configures Azure OpenAI.
type AzureSettings struct {
	// APIVersion is sent as ?api-version=. Default "2024-10-21".
	APIVersion string `json:"apiVersion,omitempty"`
}

// AnthropicSettings configures Anthropic.
type AnthropicSettings struct {
	// Version is sent as anthropic-version. Default "2023-06-01".
	Version string `json:"version,omitempty"`
}

// BedrockSettings configures AWS Bedrock. AccessKeyID and SecretAccessKey
// are secrets.
type BedrockSettings struct {
	Region          string `json:"region"`
	AccessKeyID     string `json:"accessKeyID,omitempty"`
	SecretAccessKey string `json:"secretAccessKey,omitempty"`
	SessionToken    string `json:"sessionToken,omitempty"`
}

// MockSettings configures the built-in deterministic upstream.
type MockSettings struct {
	// Latency before the first byte.
	Latency Duration `json:"latency,omitzero"`
	// ChunkDelay between stream chunks.
	ChunkDelay Duration `json:"chunkDelay,omitzero"`
	// Reply is the fixed answer; empty echoes the last user message.
	Reply string `json:"reply,omitempty"`
}

// Capability is something a model can do.
type Capability string

const (
	CapChat       Capability = "Chat"
	CapStreaming  Capability = "Streaming"
	CapTools      Capability = "Tools"
	CapVision     Capability = "Vision"
	CapEmbeddings Capability = "Embeddings"
	CapJSONMode   Capability = "JSONMode"
)

// Pricing is in USD per million tokens.
type Pricing struct {
	InputPerMillion       float64 `json:"inputPerMillion,omitempty"`
	OutputPerMillion      float64 `json:"outputPerMillion,omitempty"`
	CachedInputPerMillion float64 `json:"cachedInputPerMillion,omitempty"`
	// CacheWritePerMillion is the price of one million prompt tokens
	// written to the vendor's prompt cache (Anthropic's
	// cache_creation_input_tokens); 0 prices them as input.
	CacheWritePerMillion float64 `json:"cacheWritePerMillion,omitempty"`
}

// Model is one catalogue entry: a public model name served by a provider.
type Model struct {
	// Name is what clients send in "model".
	Name string `json:"name"`
	// Provider is the Provider.Name serving it.
	Provider string `json:"provider"`
	// UpstreamModel is sent to the vendor; defaults to Name.
	UpstreamModel   string       `json:"upstreamModel,omitempty"`
	ContextWindow   int64        `json:"contextWindow,omitempty"`
	MaxOutputTokens int64        `json:"maxOutputTokens,omitempty"`
	Pricing         Pricing      `json:"pricing,omitzero"`
	Capabilities    []Capability `json:"capabilities,omitempty"`
	// SupportedParameters are the request parameters (RequestParameters)
	// the model honours; empty means its provider type's defaults.
	SupportedParameters []string `json:"supportedParameters,omitempty"`
}

// Strategy picks a backend within one priority tier.
type Strategy string

const (
	StrategyWeighted     Strategy = "Weighted"
	StrategyLeastLatency Strategy = "LeastLatency"
	StrategyLeastBusy    Strategy = "LeastBusy"
	StrategyLowestCost   Strategy = "LowestCost"
)

// RetryOn names a class of upstream failure that may be retried or fall back.
type RetryOn string

const (
	RetryOnRateLimited  RetryOn = "RateLimited"
	RetryOnServerError  RetryOn = "ServerError"
	RetryOnTimeout      RetryOn = "Timeout"
	RetryOnConnectError RetryOn = "ConnectError"
)

// Route maps a public model name or glob to backends.
type Route struct {
	// Model is an exact name or a glob ("claude-*").
	Model    string   `json:"model"`
	Strategy Strategy `json:"strategy,omitempty"`
	// Backends, grouped by Priority: tier 0 first, higher tiers are
	// fallbacks tried when every backend of the tier before has failed.
	Backends []Backend `json:"backends"`
	Retry    Retry     `json:"retry,omitzero"`
	// SessionAffinity keeps one conversation on one backend; the zero
	// value is defaulted to mode Session.
	SessionAffinity SessionAffinity `json:"sessionAffinity,omitzero"`
}

// Backend is one (provider, upstream model) pair behind a route.
type Backend struct {
	Provider string `json:"provider"`
	// UpstreamModel is the model name sent to the provider.
	UpstreamModel string `json:"upstreamModel"`
	// Weight is the backend's share of its tier; unset means 1. Zero drains
	// the backend: no strategy picks it, a tier whose backends all have
	// weight 0 is skipped and a route with no backend of positive weight
	// is not served.
	Weight *int `json:"weight,omitempty"`
	// Priority tier; 0 is tried first.
	Priority int `json:"priority,omitempty"`
	// Pricing used for cost accounting and LowestCost.
	Pricing Pricing `json:"pricing,omitzero"`
	// SupportedParameters are the request parameters (RequestParameters)
	// this backend honours; empty means its provider type's defaults.
	SupportedParameters []string `json:"supportedParameters,omitempty"`
}

// TrafficWeight is b's weight: Weight, or DefaultWeight when unset.
func (b Backend) TrafficWeight() int {
	if b.Weight == nil {
		return DefaultWeight
	}
	return *b.Weight
}

// Retry bounds retries of one backend before moving on.
type Retry struct {
	// Attempts is the total number of attempts across backends (1 = no retry).
	// Default 3.
	Attempts int `json:"attempts,omitempty"`
	// RetryOn lists what is retried; default all four classes.
	RetryOn []RetryOn `json:"retryOn,omitempty"`
	// Backoff is the base of the jittered exponential backoff. Default 100ms.
	Backoff Duration `json:"backoff,omitzero"`
	// MaxCooldown caps how long a backend answering 429/Retry-After or
	// failing repeatedly is ejected. Default 60s.
	MaxCooldown Duration `json:"maxCooldown,omitzero"`
}

// Consumer is a client team or application.
type Consumer struct {
	// Name is the Consumer's name (namespace/name when from another namespace).
	Name string `json:"name"`
	// Keys are the consumer's active keys, several during rotation.
	Keys []Key `json:"keys,omitempty"`
	// AllowedModels are globs; empty allows every model.
	AllowedModels []string `json:"allowedModels,omitempty"`
	// AllowedTools are globs over prefixed MCP tool names; empty allows no
	// tool (default-deny, unlike AllowedModels).
	AllowedTools []string `json:"allowedTools,omitempty"`
	// Policies are Policy names applied to this consumer.
	Policies []string `json:"policies,omitempty"`
	// Disabled consumers are refused with 401.
	Disabled bool `json:"disabled,omitempty"`
	// Identities are the signed-in identities (verified JWTs of an
	// Auth.Issuers issuer) this consumer stands for, besides its keys.
	Identities []IdentityMatch `json:"identities,omitempty"`
	// BYOK are the consumer's own vendor keys, one per provider: its
	// requests to that provider's backends carry its key, count against
	// its limits and charge $0 against budgets (the vendor bills the key's
	// owner).
	BYOK []BYOKKey `json:"byok,omitempty"`
	// Capture is the consumer's own body capture: when set it decides
	// for its calls (see BodyCapture).
	Capture *BodyCapture `json:"capture,omitempty"`
}

// BYOKHeaderKeys are the providers a request's own key header may be for,
// and the consumers that may send one for each of them (besides those
// with a BYOK key of that provider).
type BYOKHeaderKeys struct {
	Providers []string `json:"providers"`
	Consumers []string `json:"consumers,omitempty"`
}

// BYOKKey is a consumer's own key for one provider.
type BYOKKey struct {
	// Provider is the Provider.Name the key is for.
	Provider string `json:"provider"`
	// APIKey is the vendor credential (secret).
	APIKey string `json:"apiKey"`
}

// IdentityMatch selects identities by exactly one of subject, email or
// group. When several consumers match one identity the most specific
// match wins: subject, then email, then group; ties go to the consumer
// whose name sorts first.
type IdentityMatch struct {
	// Issuer limits the match to one Auth.Issuers issuer; empty matches any.
	Issuer  string `json:"issuer,omitempty"`
	Subject string `json:"subject,omitempty"`
	// Email matches a verified email claim (email_verified not false).
	Email string `json:"email,omitempty"`
	// Group matches one entry of the issuer's groups claim.
	Group string `json:"group,omitempty"`
}

// Key is one hashed consumer key. The proxy never holds key material.
type Key struct {
	// ID is the lookup id derived from the key by apikey.ID (not secret).
	ID string `json:"id"`
	// SHA256 is the lowercase hex SHA-256 of the whole key.
	SHA256 string `json:"sha256"`
	// NotAfter ends a key's validity (the old key during a rotation overlap).
	NotAfter *time.Time `json:"notAfter,omitempty"`
}

// ExceededAction is what happens when a limit is hit.
type ExceededAction string

const (
	// ExceededReject answers 429 with Retry-After.
	ExceededReject ExceededAction = "Reject"
	// ExceededDowngrade reroutes to Policy.DowngradeTo.
	ExceededDowngrade ExceededAction = "Downgrade"
)

// Policy is a TokenPolicy: limits over windows, a cost budget, per-request caps.
type Policy struct {
	Name   string  `json:"name"`
	Limits []Limit `json:"limits,omitempty"`
	// Budget caps spend in USD per calendar window.
	Budget *Budget `json:"budget,omitempty"`
	// MaxTokensPerRequest caps max_tokens (and the estimate) of one request.
	MaxTokensPerRequest int64          `json:"maxTokensPerRequest,omitempty"`
	OnExceeded          ExceededAction `json:"onExceeded,omitempty"`
	// DowngradeTo is the model used when OnExceeded is Downgrade.
	DowngradeTo string `json:"downgradeTo,omitempty"`
	// Pooled makes the policy's limits and budget one set of counters
	// shared by every consumer it applies to (a team's budget), instead of
	// one set per consumer. A consumer's own policies apply besides it.
	Pooled bool `json:"pooled,omitempty"`
}

// Limit counts requests and tokens over a fixed window aligned to the Unix
// epoch (a 1m window resets at every whole minute). Zero fields are unlimited.
type Limit struct {
	Window       Duration `json:"window"`
	Requests     int64    `json:"requests,omitempty"`
	Tokens       int64    `json:"tokens,omitempty"`
	InputTokens  int64    `json:"inputTokens,omitempty"`
	OutputTokens int64    `json:"outputTokens,omitempty"`
	// ToolCalls counts MCP tools/call requests; Models does not scope it.
	ToolCalls int64 `json:"toolCalls,omitempty"`
	// Models scopes the limit to model globs; empty means every model.
	Models []string `json:"models,omitempty"`
}

// BudgetWindow is a calendar window in UTC.
type BudgetWindow string

const (
	BudgetDay   BudgetWindow = "Day"
	BudgetWeek  BudgetWindow = "Week"
	BudgetMonth BudgetWindow = "Month"
)

// Budget caps spend.
type Budget struct {
	AmountUSD float64      `json:"amountUSD"`
	Window    BudgetWindow `json:"window"`
}

// StoreType selects where counters live.
type StoreType string

const (
	StoreLocal StoreType = "Local"
	StoreRedis StoreType = "Redis"
)

// FailureMode decides what happens when the counter store is unreachable.
type FailureMode string

const (
	// FailOpen falls back to local counters, sets a metric and a header.
	FailOpen FailureMode = "Open"
	// FailClosed answers 503.
	FailClosed FailureMode = "Closed"
)

// Enforcement is how a shared (Redis) store checks limits.
type Enforcement string

const (
	// EnforceExact reserves every request in the shared store before it
	// goes upstream: one synchronous round trip per request.
	EnforceExact Enforcement = "Exact"
	// EnforceLease has each replica reserve a share of every checked limit
	// ahead (a lease of LeaseDivisor-th of the limit) and spend it
	// locally; see internal/limits/lease.go for the bound.
	EnforceLease Enforcement = "Lease"
)

// LeaseDivisor sizes a lease: one replica reserves 1/LeaseDivisor of a
// checked limit at a time.
const LeaseDivisor = 100

// LimitsStore selects the counter store.
type LimitsStore struct {
	Type        StoreType   `json:"type,omitempty"`
	FailureMode FailureMode `json:"failureMode,omitempty"`
	// Enforcement is Exact (also when empty) or Lease; Lease applies only
	// to a Redis store.
	Enforcement Enforcement `json:"enforcement,omitempty"`
	Redis       *Redis      `json:"redis,omitempty"`
}

// RedisMode is how the gateway reaches Redis.
type RedisMode string

const (
	// RedisStandalone is one server.
	RedisStandalone RedisMode = "Standalone"
	// RedisSentinel asks Sentinels for the master MasterName.
	RedisSentinel RedisMode = "Sentinel"
	// RedisCluster is a Redis Cluster reached through seed nodes.
	RedisCluster RedisMode = "Cluster"
)

// Redis reaches a standalone, Sentinel or Cluster Redis through one client.
type Redis struct {
	// Mode is the topology, as in the API: Standalone (default), Sentinel
	// or Cluster.
	Mode RedisMode `json:"mode,omitempty"`
	// Addresses: the one server (Standalone), the Sentinels, or seed nodes.
	Addresses []string `json:"addresses"`
	// MasterName is the Sentinel master; only with mode Sentinel.
	MasterName string `json:"masterName,omitempty"`
	Username   string `json:"username,omitempty"`
	// Password is a secret.
	Password string `json:"password,omitempty"`
	DB       int    `json:"db,omitempty"`
	TLS      bool   `json:"tls,omitempty"`
	// CACert is a PEM bundle trusted for TLS.
	CACert string `json:"caCert,omitempty"`
	// Timeout bounds every store call. Default 50ms.
	Timeout Duration `json:"timeout,omitzero"`
	// KeyPrefix namespaces counters; default "tollgate:<namespace>/<gateway>:".
	KeyPrefix string `json:"keyPrefix,omitempty"`
}

// Console configures the web console.
type Console struct {
	Enabled bool `json:"enabled,omitempty"`
	// AdminKeys are hashed admin keys that see every consumer's usage.
	AdminKeys []Key `json:"adminKeys,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("1m30s").
type Duration struct{ time.Duration }

// D makes a Duration.
func D(d time.Duration) Duration { return Duration{d} }

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a duration string (or a number of nanoseconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var n int64
		if err2 := json.Unmarshal(b, &n); err2 != nil {
			return fmt.Errorf("duration must be a string like \"30s\": %w", err)
		}
		d.Duration = time.Duration(n)
		return nil
	}
	if s == "" {
		d.Duration = 0
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: %w", s, err)
	}
	d.Duration = v
	return nil
}

// Or returns d, or def when d is zero.
func (d Duration) Or(def time.Duration) time.Duration {
	if d.Duration <= 0 {
		return def
	}
	return d.Duration
}
