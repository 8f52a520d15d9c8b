/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AIGatewaySpec is the desired state of one deployed gateway.
type AIGatewaySpec struct {
	// Replicas is the number of gateway pods. Zero scales the gateway down
	// without deleting it. The scale subresource sets this field, so a
	// HorizontalPodAutoscaler can target the AIGateway.
	//
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	Replicas *int32 `json:"replicas,omitempty"`

	// ProviderSelector selects the ModelProviders in this namespace whose
	// models this gateway serves. Unset or empty selects every
	// ModelProvider in the namespace.
	//
	// +optional
	ProviderSelector *metav1.LabelSelector `json:"providerSelector,omitempty"`

	// MCPServerSelector selects the MCPServers in this namespace whose
	// tools this gateway serves on /mcp. Unset selects none (the gateway
	// serves no MCP endpoint); an empty selector ({}) selects every
	// MCPServer in the namespace.
	//
	// +optional
	MCPServerSelector *metav1.LabelSelector `json:"mcpServerSelector,omitempty"`

	// Routes map public model names to backends. Without routes, every
	// catalogue model of the selected providers is served, balanced across
	// the providers that list it. A request matches the route with the same
	// model name, else the first route whose glob matches, in list order.
	//
	// +optional
	// +listType=map
	// +listMapKey=model
	// +kubebuilder:validation:MaxItems=64
	Routes []Route `json:"routes,omitempty"`

	// Auth selects how clients authenticate.
	//
	// +optional
	// +kubebuilder:default={mode: APIKey}
	Auth *Auth `json:"auth,omitempty"`

	// Listener is where the gateway serves clients and metrics.
	//
	// +optional
	// +kubebuilder:default={port: 8080, metricsPort: 9090}
	Listener *Listener `json:"listener,omitempty"`

	// Service configures the Service in front of the gateway pods.
	//
	// +optional
	Service *ServiceSettings `json:"service,omitempty"`

	// HTTPRoute attaches the gateway to existing Gateway API Gateways by
	// creating an HTTPRoute. Needs the Gateway API CRDs; without them the
	// gateway still runs and RouteAccepted is False with CRDNotInstalled.
	//
	// +optional
	HTTPRoute *HTTPRouteSettings `json:"httpRoute,omitempty"`

	// Monitoring configures scraping of the gateway's metrics.
	//
	// +optional
	Monitoring *Monitoring `json:"monitoring,omitempty"`

	// Limits selects where rate-limit and budget counters live and what
	// happens when that store is unreachable.
	//
	// +optional
	Limits *LimitsSettings `json:"limits,omitempty"`

	// Responses configures the Responses API's stored responses: what
	// previous_response_id continues and GET/DELETE /v1/responses/{id}
	// read, kept in the limits' Redis when the limits use Redis.
	//
	// +optional
	Responses *ResponsesSettings `json:"responses,omitempty"`

	// Guardrails mask, block or log sensitive values in requests and
	// answers, for every consumer and model or the ones each names.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	Guardrails []Guardrail `json:"guardrails,omitempty"`

	// ResponseCache serves an answer again to the same request (off by
	// default).
	//
	// +optional
	ResponseCache *ResponseCache `json:"responseCache,omitempty"`

	// Prompts add system text to requests and define named prompt
	// templates.
	//
	// +optional
	Prompts *Prompts `json:"prompts,omitempty"`

	// Server holds the client-facing HTTP server's safety limits.
	//
	// +optional
	Server *ServerSettings `json:"server,omitempty"`

	// Console configures the built-in web console (model catalogue,
	// playground, usage).
	//
	// +optional
	Console *Console `json:"console,omitempty"`

	// Telemetry exports OpenTelemetry traces of the gateway's requests.
	//
	// +optional
	Telemetry *Telemetry `json:"telemetry,omitempty"`

	// PodTemplate customises the gateway pods.
	//
	// +optional
	PodTemplate *PodTemplate `json:"podTemplate,omitempty"`

	// Activity configures the activity log: the header naming a request's
	// app, and the opt-in capture of bodies (see activity_types.go).
	//
	// +optional
	Activity *ActivitySettings `json:"activity,omitempty"`

	// Image overrides the gateway container image. Defaults to the image
	// the operator itself runs, so operator and gateways upgrade together.
	//
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^[^\s]+$`
	Image *string `json:"image,omitempty"`

	// BYOK says whether a request may bring its consumer's own vendor key
	// in a header (off by default; a Consumer's own Secret-held keys are
	// its spec.byok).
	//
	// +optional
	BYOK *BYOKSettings `json:"byok,omitempty"`
}

// Strategy picks a backend within one priority tier.
//
// +kubebuilder:validation:Enum=Weighted;LeastLatency;LeastBusy;LowestCost
type Strategy string

// Strategies.
const (
	// StrategyWeighted picks at random in proportion to backend weights.
	StrategyWeighted Strategy = "Weighted"
	// StrategyLeastLatency picks the backend with the lowest recent
	// time to first token.
	StrategyLeastLatency Strategy = "LeastLatency"
	// StrategyLeastBusy picks the backend with the fewest requests in flight.
	StrategyLeastBusy Strategy = "LeastBusy"
	// StrategyLowestCost picks the backend with the lowest price.
	StrategyLowestCost Strategy = "LowestCost"
)

// RetryOn names a class of upstream failure that may be retried or fall
// back to another backend.
//
// +kubebuilder:validation:Enum=RateLimited;ServerError;Timeout;ConnectError
type RetryOn string

// Retryable failure classes.
const (
	// RetryOnRateLimited is an upstream 429.
	RetryOnRateLimited RetryOn = "RateLimited"
	// RetryOnServerError is an upstream 5xx, or an error event before the
	// first token of a stream.
	RetryOnServerError RetryOn = "ServerError"
	// RetryOnTimeout is a connect or first-token timeout.
	RetryOnTimeout RetryOn = "Timeout"
	// RetryOnConnectError is a refused or reset connection before any byte.
	RetryOnConnectError RetryOn = "ConnectError"
)

// Route maps a public model name, or a glob of names, to backends.
//
// +kubebuilder:validation:XValidation:rule="self.backends.all(b, self.backends.exists_one(c, c.provider == b.provider && has(c.model) == has(b.model) && (!has(c.model) || c.model == b.model)))",message="each backend (provider, model) pair may appear only once in a route",fieldPath=".backends"
type Route struct {
	// Model is the model name clients send, or a glob ("claude-*").
	//
	// +required
	Model ModelPattern `json:"model"`

	// Strategy picks a backend within one priority tier.
	//
	// +optional
	// +kubebuilder:default=Weighted
	Strategy Strategy `json:"strategy,omitempty"`

	// Backends serve the route. Backends are grouped by priority: tier 0 is
	// tried first and a higher tier only when every backend of the tiers
	// before has failed or is cooling down.
	//
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Backends []Backend `json:"backends"`

	// Retry bounds retries and fallback for this route.
	//
	// +optional
	Retry *Retry `json:"retry,omitempty"`

	// SessionAffinity keeps the requests of one conversation on one
	// backend while it is healthy (on by default: a request that carries
	// a session key sticks). See SessionAffinity.
	//
	// +optional
	SessionAffinity *SessionAffinity `json:"sessionAffinity,omitempty"`
}

// Backend is one (provider, model) pair behind a route.
type Backend struct {
	// Provider is the name of a ModelProvider in this namespace selected by
	// spec.providerSelector.
	//
	// +required
	Provider ObjectName `json:"provider"`

	// Model is the name of a model in the provider's catalogue; its
	// upstreamModel and pricing are used. Defaults to the route's model
	// when that is an exact name, and to the model the client asked for
	// when the route's model is a glob.
	//
	// +optional
	Model *ModelName `json:"model,omitempty"`

	// Weight is this backend's share of traffic within its tier under the
	// Weighted strategy, as in Gateway API's BackendRef. Zero drains the
	// backend without deleting it: no strategy sends it requests. A tier
	// whose backends all have weight 0 is skipped, so its traffic goes to
	// the next tier; a route whose every backend has weight 0 is not
	// served.
	//
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000000
	Weight *int32 `json:"weight,omitempty"`

	// Priority is the backend's fallback tier: 0 is tried first, then 1,
	// and so on.
	//
	// +optional
	// +kubebuilder:default=0
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=9
	Priority int32 `json:"priority,omitempty"`
}

// Retry bounds retries and fallback of one request.
type Retry struct {
	// Attempts is the total number of upstream attempts for one request,
	// across backends (1 means no retry). Nothing is retried once the first
	// byte has been sent to the client.
	//
	// +optional
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	Attempts *int32 `json:"attempts,omitempty"`

	// RetryOn lists the failure classes that are retried or fall back (named
	// retryOn, not "on", which YAML 1.1 reads as the boolean true).
	//
	// +optional
	// +listType=set
	// +kubebuilder:default={RateLimited,ServerError,Timeout,ConnectError}
	// +kubebuilder:validation:MaxItems=4
	RetryOn []RetryOn `json:"retryOn,omitempty"`

	// Backoff is the base of the jittered exponential backoff between
	// attempts on the same backend.
	//
	// +optional
	// +kubebuilder:default="100ms"
	Backoff *Duration `json:"backoff,omitempty"`

	// MaxCooldown caps how long a backend that answered 429 with
	// Retry-After, or failed repeatedly, is skipped.
	//
	// +optional
	// +kubebuilder:default="60s"
	MaxCooldown *Duration `json:"maxCooldown,omitempty"`
}

// AuthMode selects client authentication.
//
// +kubebuilder:validation:Enum=APIKey;None
type AuthMode string

// Auth modes.
const (
	// AuthModeAPIKey requires a Consumer key on every request, sent as
	// "Authorization: Bearer" or "x-api-key".
	AuthModeAPIKey AuthMode = "APIKey"
	// AuthModeNone serves anonymous clients (demos, trusted networks).
	// Token policies do not apply: there is no consumer to charge.
	AuthModeNone AuthMode = "None"
)

// Auth configures client authentication.
type Auth struct {
	// Mode is APIKey (Consumers' keys) or None (anonymous).
	//
	// +optional
	// +kubebuilder:default=APIKey
	Mode AuthMode `json:"mode,omitempty"`

	// Issuers are OIDC/JWT issuers whose signed tokens clients may present
	// instead of a Consumer key; Consumers match them by spec.identities.
	//
	// +optional
	// +listType=map
	// +listMapKey=issuer
	// +kubebuilder:validation:MaxItems=16
	Issuers []OIDCIssuer `json:"issuers,omitempty"`
}

// OIDCIssuer is one trusted token issuer. Its keys are read from jwksURL,
// or from the jwks_uri of its discovery document
// (<issuer>/.well-known/openid-configuration), through the gateway's SSRF
// guard.
//
// +kubebuilder:validation:XValidation:rule="self.issuer.startsWith('https://') || (has(self.allowPrivateNetwork) && self.allowPrivateNetwork && self.issuer.startsWith('http://'))",message="issuer must be an https URL (http only with allowPrivateNetwork)",fieldPath=".issuer"
// +kubebuilder:validation:XValidation:rule="!has(self.jwksURL) || self.jwksURL.startsWith('https://') || (has(self.allowPrivateNetwork) && self.allowPrivateNetwork && self.jwksURL.startsWith('http://'))",message="jwksURL must be an https URL (http only with allowPrivateNetwork)",fieldPath=".jwksURL"
// +kubebuilder:validation:XValidation:rule="!has(self.clockSkew) || (duration(self.clockSkew) >= duration('0s') && duration(self.clockSkew) <= duration('5m'))",message="clockSkew must be between 0s and 5m",fieldPath=".clockSkew"
// +kubebuilder:validation:XValidation:rule="!has(self.jwksRefresh) || duration(self.jwksRefresh) >= duration('1m')",message="jwksRefresh must be at least 1m",fieldPath=".jwksRefresh"
type OIDCIssuer struct {
	// Issuer is the exact iss claim of its tokens, and the discovery base.
	//
	// +required
	// +kubebuilder:validation:MinLength=8
	// +kubebuilder:validation:MaxLength=512
	Issuer string `json:"issuer"`

	// JWKSURL, when set, is read instead of discovery.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	JWKSURL string `json:"jwksURL,omitempty"`

	// Audiences: a token's aud must name one of them.
	//
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=256
	Audiences []string `json:"audiences"`

	// ClockSkew tolerated on exp and iat.
	//
	// +optional
	// +kubebuilder:default="30s"
	ClockSkew *Duration `json:"clockSkew,omitempty"`

	// JWKSRefresh is how often the key set is re-read (sooner when a token
	// names an unknown key, at most every 10s).
	//
	// +optional
	// +kubebuilder:default="1h"
	JWKSRefresh *Duration `json:"jwksRefresh,omitempty"`

	// GroupsClaim names the claim holding the token's groups or roles.
	//
	// +optional
	// +kubebuilder:default=groups
	// +kubebuilder:validation:MaxLength=128
	GroupsClaim string `json:"groupsClaim,omitempty"`

	// AllowPrivateNetwork permits discovery and key-set URLs on private,
	// loopback or link-local addresses (an in-cluster Dex or Keycloak).
	//
	// +optional
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
}

// Listener is where the gateway serves clients and metrics.
//
// +kubebuilder:validation:XValidation:rule="self.port != self.metricsPort",message="port and metricsPort must differ",fieldPath=".metricsPort"
type Listener struct {
	// Port serves clients, on the pods and on the Service.
	//
	// +optional
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`

	// MetricsPort serves /metrics, /healthz and /readyz.
	//
	// +optional
	// +kubebuilder:default=9090
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	MetricsPort int32 `json:"metricsPort,omitempty"`

	// TLS serves clients over HTTPS. Without it the gateway speaks plain
	// HTTP, which suits a Gateway API Gateway or mesh terminating TLS.
	//
	// +optional
	TLS *ListenerTLS `json:"tls,omitempty"`
}

// ListenerTLS configures the serving certificate. Either an issuerRef, and
// the operator creates a cert-manager Certificate for dnsNames into
// secretName, or only a secretName naming an existing kubernetes.io/tls
// Secret.
//
// +kubebuilder:validation:XValidation:rule="!has(self.issuerRef) || (has(self.dnsNames) && size(self.dnsNames) > 0)",message="dnsNames is required with issuerRef",fieldPath=".dnsNames",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="has(self.issuerRef) || has(self.secretName)",message="set issuerRef (cert-manager issues the certificate) or secretName (an existing TLS Secret)"
type ListenerTLS struct {
	// IssuerRef names the cert-manager Issuer or ClusterIssuer that signs
	// the certificate. Needs cert-manager; without it the gateway keeps
	// serving plain HTTP and CertificateReady is False with CRDNotInstalled.
	//
	// +optional
	IssuerRef *IssuerReference `json:"issuerRef,omitempty"`

	// DNSNames are the names the certificate is issued for.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	DNSNames []PreciseHostname `json:"dnsNames,omitempty"`

	// SecretName is the kubernetes.io/tls Secret holding the certificate:
	// written by cert-manager with issuerRef, else brought by the user.
	// Defaults to "<gateway name>-tls" with issuerRef.
	//
	// +optional
	SecretName *ObjectName `json:"secretName,omitempty"`
}

// IssuerReference names a cert-manager issuer.
type IssuerReference struct {
	// Name is the issuer's name.
	//
	// +required
	Name ObjectName `json:"name"`

	// Kind is Issuer (same namespace), ClusterIssuer, or an external
	// issuer's kind.
	//
	// +optional
	// +kubebuilder:default=Issuer
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`
	Kind string `json:"kind,omitempty"`

	// Group is the issuer's API group.
	//
	// +optional
	// +kubebuilder:default=cert-manager.io
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Group string `json:"group,omitempty"`
}

// ServiceType is the type of the gateway's Service.
//
// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
type ServiceType string

// ServiceSettings configures the gateway's Service.
type ServiceSettings struct {
	// Type is the Service type.
	//
	// +optional
	// +kubebuilder:default=ClusterIP
	Type ServiceType `json:"type,omitempty"`

	// Annotations are added to the Service, for example a cloud load
	// balancer's settings.
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Annotations map[string]string `json:"annotations,omitempty"`
}

// HTTPRouteSettings describes the Gateway API HTTPRoute the operator
// creates for the gateway.
type HTTPRouteSettings struct {
	// ParentRefs are the Gateways the route attaches to.
	//
	// +required
	// +listType=atomic
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=8
	ParentRefs []ParentReference `json:"parentRefs"`

	// Hostnames the route answers for. Empty answers for every hostname of
	// the parent listeners.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	Hostnames []Hostname `json:"hostnames,omitempty"`
}

// ParentReference names a Gateway API Gateway (and optionally one of its
// listeners), as in Gateway API's ParentReference.
type ParentReference struct {
	// Name is the Gateway's name.
	//
	// +required
	Name ObjectName `json:"name"`

	// Namespace is the Gateway's namespace; defaults to the AIGateway's.
	// A Gateway in another namespace must allow routes from this one
	// (allowedRoutes). The HTTPRoute itself always lives in the AIGateway's
	// namespace and attaches across namespaces through this reference, so
	// its owner reference cleans it up with the AIGateway; no finalizer is
	// involved.
	//
	// +optional
	Namespace *Namespace `json:"namespace,omitempty"`

	// SectionName is the name of one listener of the Gateway; empty
	// attaches to every listener that allows it.
	//
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	SectionName *string `json:"sectionName,omitempty"`
}

// Monitoring configures metrics scraping.
type Monitoring struct {
	// ServiceMonitor creates a prometheus-operator ServiceMonitor for the
	// gateway's metrics port. Needs the ServiceMonitor CRD; without it
	// MonitoringReady is False with CRDNotInstalled.
	//
	// +optional
	ServiceMonitor *ServiceMonitorSettings `json:"serviceMonitor,omitempty"`
}

// ServiceMonitorSettings configures the ServiceMonitor.
type ServiceMonitorSettings struct {
	// Enabled creates the ServiceMonitor.
	//
	// +optional
	// +kubebuilder:default=false
	Enabled bool `json:"enabled,omitempty"`

	// Interval is the scrape interval.
	//
	// +optional
	// +kubebuilder:default="30s"
	Interval *Duration `json:"interval,omitempty"`

	// Labels are added to the ServiceMonitor, for a Prometheus whose
	// serviceMonitorSelector wants them (for example release: prometheus).
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	Labels map[string]string `json:"labels,omitempty"`
}

// StoreType selects where limit counters live.
//
// +kubebuilder:validation:Enum=Local;Redis
type StoreType string

// Store types.
const (
	// StoreLocal keeps counters in each replica's memory: exact for one
	// replica, per-replica with several.
	StoreLocal StoreType = "Local"
	// StoreRedis shares counters between replicas in Redis.
	StoreRedis StoreType = "Redis"
)

// FailureMode decides what happens while the counter store is unreachable.
//
// +kubebuilder:validation:Enum=Open;Closed
type FailureMode string

// Failure modes.
const (
	// FailureModeOpen falls back to local counters and marks responses
	// and a metric, so an outage of Redis does not stop traffic.
	FailureModeOpen FailureMode = "Open"
	// FailureModeClosed answers 503 while limits cannot be checked.
	FailureModeClosed FailureMode = "Closed"
)

// LimitsSettings selects the counter store.
type LimitsSettings struct {
	// Store is where counters live.
	//
	// +optional
	// +kubebuilder:default={type: Local}
	Store *LimitsStore `json:"store,omitempty"`

	// FailureMode decides what happens while the store is unreachable.
	//
	// +optional
	// +kubebuilder:default=Open
	FailureMode FailureMode `json:"failureMode,omitempty"`

	// Enforcement is how a Redis store checks limits. Exact (the default)
	// reserves every request in Redis before it goes upstream: one
	// synchronous round trip per request, and a concurrent burst across
	// replicas cannot admit more than a limit. Lease has each replica
	// reserve 1/100 of every checked limit ahead (a lease, with the first
	// request that needs it) and spend it locally, so most requests make
	// no round trip before going upstream. Admissions still never exceed a
	// limit (a lease is granted only when it fits), but up to 1/100 of a
	// limit per replica can sit unspent in another replica's lease: a
	// request may be refused up to replicas × limit/100 early, and a
	// replica that dies holding a lease keeps it counted until the window
	// ends. Unused leases are given back after 2 s. Ignored with a Local
	// store.
	//
	// +optional
	Enforcement Enforcement `json:"enforcement,omitempty"`
}

// Enforcement is how a shared counter store checks limits.
//
// +kubebuilder:validation:Enum=Exact;Lease
type Enforcement string

// Enforcement modes.
const (
	// EnforcementExact reserves each request in the store before it goes
	// upstream.
	EnforcementExact Enforcement = "Exact"
	// EnforcementLease spends quota leased ahead by each replica.
	EnforcementLease Enforcement = "Lease"
)

// LimitsStore selects the counter store.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'Redis' || has(self.redis)",message="redis is required when type is Redis",fieldPath=".redis",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.type == 'Redis' || !has(self.redis)",message="redis may only be set when type is Redis",fieldPath=".redis",reason=FieldValueForbidden
type LimitsStore struct {
	// Type is Local or Redis.
	//
	// +optional
	// +kubebuilder:default=Local
	Type StoreType `json:"type,omitempty"`

	// Redis reaches the Redis server, Sentinel group or Cluster.
	//
	// +optional
	Redis *RedisSettings `json:"redis,omitempty"`
}

// RedisMode is how the gateway reaches Redis.
//
// +kubebuilder:validation:Enum=Standalone;Sentinel;Cluster
type RedisMode string

// Redis modes.
const (
	// RedisStandalone is one Redis server.
	RedisStandalone RedisMode = "Standalone"
	// RedisSentinel asks Sentinels for the current master of masterName.
	RedisSentinel RedisMode = "Sentinel"
	// RedisCluster is a Redis Cluster reached through seed nodes.
	RedisCluster RedisMode = "Cluster"
)

// RedisSettings reaches a standalone, Sentinel or Cluster Redis. The mode
// is the discriminator: it decides how addresses are read and which of
// masterName and db may be set.
//
// +kubebuilder:validation:XValidation:rule="self.mode != 'Sentinel' || has(self.masterName)",message="masterName is required when mode is Sentinel",fieldPath=".masterName",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.mode == 'Sentinel' || !has(self.masterName)",message="masterName may only be set when mode is Sentinel",fieldPath=".masterName",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="self.mode != 'Standalone' || size(self.addresses) == 1",message="mode Standalone takes exactly one address; use mode Sentinel or Cluster for several",fieldPath=".addresses"
// +kubebuilder:validation:XValidation:rule="self.mode != 'Cluster' || !has(self.db) || self.db == 0",message="Redis Cluster supports only db 0",fieldPath=".db"
type RedisSettings struct {
	// Mode is Standalone (one server), Sentinel (Sentinels and a
	// masterName) or Cluster (seed nodes of a Redis Cluster).
	//
	// +optional
	// +kubebuilder:default=Standalone
	Mode RedisMode `json:"mode,omitempty"`

	// Addresses are host:port pairs: the one server with Standalone, the
	// Sentinels with Sentinel, seed nodes with Cluster.
	//
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	Addresses []HostPort `json:"addresses"`

	// MasterName is the Sentinel master name; required with mode Sentinel
	// and not allowed otherwise.
	//
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	MasterName *string `json:"masterName,omitempty"`

	// DB is the database number (Standalone and Sentinel; Cluster has only
	// db 0).
	//
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=255
	DB *int32 `json:"db,omitempty"`

	// TLS connects over TLS.
	//
	// +optional
	// +kubebuilder:default=false
	TLS bool `json:"tls,omitempty"`

	// SecretRef selects a Secret with the password, username and CA bundle.
	//
	// +optional
	SecretRef *RedisSecretReference `json:"secretRef,omitempty"`

	// Timeout bounds every store call; beyond it the failure mode applies.
	//
	// +optional
	// +kubebuilder:default="50ms"
	Timeout *Duration `json:"timeout,omitempty"`

	// KeyPrefix namespaces counter keys, so several gateways can share one
	// Redis. Defaults to "tollgate:<namespace>/<gateway>:".
	//
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[^\s]+$`
	KeyPrefix *string `json:"keyPrefix,omitempty"`
}

// RedisSecretReference names the entries of a Secret holding Redis
// credentials. An entry that is missing from the Secret is not used.
type RedisSecretReference struct {
	// Name is the name of the Secret.
	//
	// +required
	Name ObjectName `json:"name"`

	// PasswordKey is the entry holding the password.
	//
	// +optional
	// +kubebuilder:default=password
	PasswordKey SecretKey `json:"passwordKey,omitempty"`

	// UsernameKey is the entry holding the ACL username.
	//
	// +optional
	// +kubebuilder:default=username
	UsernameKey SecretKey `json:"usernameKey,omitempty"`

	// CACertKey is the entry holding a PEM CA bundle trusted for TLS.
	//
	// +optional
	// +kubebuilder:default=ca.crt
	CACertKey SecretKey `json:"caCertKey,omitempty"`
}

// ResponsesSettings configures the Responses API's stored responses.
type ResponsesSettings struct {
	// DisableStore keeps no response: a request's store:true is served as
	// store:false (said in the X-Tollgate-Response-Store header), and a
	// request relayed natively asks its upstream to keep none either.
	//
	// +optional
	DisableStore bool `json:"disableStore,omitempty"`

	// StoreTTL is how long a stored response can be continued, read and
	// deleted (24h when unset).
	//
	// +optional
	StoreTTL *Duration `json:"storeTTL,omitempty"`
}

// ServerSettings holds the client-facing HTTP server's safety limits.
type ServerSettings struct {
	// MaxRequestBodyBytes answers 413 to larger request bodies, before
	// reading them whole (32 MiB by default).
	//
	// +optional
	// +kubebuilder:default=33554432
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=1073741824
	MaxRequestBodyBytes *int64 `json:"maxRequestBodyBytes,omitempty"`

	// MaxInFlight answers a fast 503 with Retry-After beyond this many
	// concurrent requests per replica.
	//
	// +optional
	// +kubebuilder:default=4096
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MaxInFlight *int32 `json:"maxInFlight,omitempty"`

	// ReadHeaderTimeout cuts clients that trickle headers.
	//
	// +optional
	// +kubebuilder:default="10s"
	ReadHeaderTimeout *Duration `json:"readHeaderTimeout,omitempty"`

	// ReadTimeout bounds reading a whole request body.
	//
	// +optional
	// +kubebuilder:default="60s"
	ReadTimeout *Duration `json:"readTimeout,omitempty"`

	// WriteTimeout bounds each write to the client; it restarts per stream
	// chunk, so long streams are not cut.
	//
	// +optional
	// +kubebuilder:default="30s"
	WriteTimeout *Duration `json:"writeTimeout,omitempty"`

	// IdleTimeout closes idle keep-alive connections.
	//
	// +optional
	// +kubebuilder:default="120s"
	IdleTimeout *Duration `json:"idleTimeout,omitempty"`

	// DrainTimeout is how long in-flight requests may finish after the pod
	// is asked to stop; the pod's termination grace period is set a little
	// longer.
	//
	// +optional
	// +kubebuilder:default="25s"
	DrainTimeout *Duration `json:"drainTimeout,omitempty"`
}

// Console configures the built-in web console.
type Console struct {
	// Enabled serves the console at /console on the client port.
	//
	// +optional
	// +kubebuilder:default=false
	Enabled bool `json:"enabled,omitempty"`

	// AdminKeySecretRef selects a Secret entry holding an admin key, which
	// may see every consumer's usage in the console. Consumers signing in
	// with their own key see only their own usage.
	//
	// +optional
	AdminKeySecretRef *SecretKeyReference `json:"adminKeySecretRef,omitempty"`
}

// PodTemplate customises the gateway pods. The operator owns the rest of
// the pod (container, probes, security context, volumes).
type PodTemplate struct {
	// Labels are added to the pods.
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Labels map[string]string `json:"labels,omitempty"`

	// Annotations are added to the pods.
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Annotations map[string]string `json:"annotations,omitempty"`

	// Resources of the gateway container.
	//
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// NodeSelector constrains the nodes the pods run on.
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=16
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the pods.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the pods.
	//
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the pods.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// ImagePullSecrets for the gateway image.
	//
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// PriorityClassName of the pods.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=253
	PriorityClassName *string `json:"priorityClassName,omitempty"`
}

// AIGatewayStatus is the observed state of an AIGateway.
type AIGatewayStatus struct {
	// Conditions describe the gateway's state. Types: Accepted,
	// ResolvedRefs, Programmed, Ready, and when the matching feature is
	// configured CertificateReady, RouteAccepted, MonitoringReady.
	//
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the metadata.generation last acted on.
	//
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// URL is the in-cluster address of the gateway's Service,
	// "<scheme>://<name>.<namespace>.svc:<port>", with https when the
	// gateway serves TLS itself. Clients outside the cluster use the
	// hostnames of spec.httpRoute instead.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"url,omitempty"`

	// Replicas is the number of gateway pods (for the scale subresource).
	//
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ReadyReplicas is the number of ready gateway pods.
	//
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// Selector is the label selector of the gateway pods, as a string (for
	// the scale subresource).
	//
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Selector string `json:"selector,omitempty"`

	// Providers is the number of ModelProviders in the compiled config.
	//
	// +optional
	Providers int32 `json:"providers,omitempty"`

	// Consumers is the number of Consumers in the compiled config.
	//
	// +optional
	Consumers int32 `json:"consumers,omitempty"`

	// Models is the number of models in the gateway's catalogue.
	//
	// +optional
	Models int32 `json:"models,omitempty"`

	// ConfigHash identifies the compiled config the gateway serves.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ConfigHash string `json:"configHash,omitempty"`
}

// AIGateway is one deployed AI gateway: pods that speak the OpenAI and
// Anthropic APIs to clients and route to the models of the selected
// ModelProviders, enforcing Consumers' keys and TokenPolicies. The operator
// compiles it with its providers, consumers and policies into one config and
// runs it as a Deployment and a Service, plus a cert-manager Certificate,
// a Gateway API HTTPRoute and a ServiceMonitor when asked.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=aigw,categories=tollgate
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Models",type=integer,JSONPath=`.status.models`
// +kubebuilder:printcolumn:name="Consumers",type=integer,JSONPath=`.status.consumers`
// +kubebuilder:printcolumn:name="Replicas",type=integer,JSONPath=`.status.readyReplicas`,priority=1
// +kubebuilder:printcolumn:name="Config",type=string,JSONPath=`.status.configHash`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +operator-sdk:csv:customresourcedefinitions:displayName="AI Gateway",resources={{Deployment,v1,""},{Service,v1,""},{Secret,v1,""},{Certificate,v1,""},{HTTPRoute,v1,""},{ServiceMonitor,v1,""}}
type AIGateway struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the AIGateway.
	//
	// +required
	Spec AIGatewaySpec `json:"spec"`

	// Status is the observed state of the AIGateway.
	//
	// +optional
	// +kubebuilder:default={conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}, {type: "Programmed", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}, {type: "Ready", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}
	Status AIGatewayStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// AIGatewayList is a list of AIGateways.
type AIGatewayList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AIGateway `json:"items"`
}
