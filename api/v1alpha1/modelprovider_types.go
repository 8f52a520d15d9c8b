/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ProviderType names the API a ModelProvider speaks upstream.
//
// +kubebuilder:validation:Enum=OpenAI;AzureOpenAI;Anthropic;Gemini;Bedrock;OpenAICompatible;Mock
type ProviderType string

// Provider types.
const (
	// ProviderOpenAI is api.openai.com (or a proxy of it).
	ProviderOpenAI ProviderType = "OpenAI"
	// ProviderAzureOpenAI is an Azure OpenAI resource; spec.endpoint is the
	// resource's URL and model names are deployment names.
	ProviderAzureOpenAI ProviderType = "AzureOpenAI"
	// ProviderAnthropic is the Anthropic Messages API.
	ProviderAnthropic ProviderType = "Anthropic"
	// ProviderGemini is the Google Gemini API (generateContent).
	ProviderGemini ProviderType = "Gemini"
	// ProviderBedrock is AWS Bedrock (Converse API).
	ProviderBedrock ProviderType = "Bedrock"
	// ProviderOpenAICompatible is any server speaking OpenAI's chat
	// completions API: DeepSeek, Qwen (DashScope), Kimi (Moonshot), Mistral,
	// Groq, Together, OpenRouter, vLLM, Ollama.
	ProviderOpenAICompatible ProviderType = "OpenAICompatible"
	// ProviderMock is the gateway's built-in deterministic upstream, for
	// demos and tests. It needs no endpoint and no credentials.
	ProviderMock ProviderType = "Mock"
)

// Capability is something a model can do.
//
// +kubebuilder:validation:Enum=Chat;Streaming;Tools;Vision;Embeddings;JSONMode
type Capability string

// Capabilities.
const (
	CapabilityChat       Capability = "Chat"
	CapabilityStreaming  Capability = "Streaming"
	CapabilityTools      Capability = "Tools"
	CapabilityVision     Capability = "Vision"
	CapabilityEmbeddings Capability = "Embeddings"
	CapabilityJSONMode   Capability = "JSONMode"
)

// RequestParameter is a request parameter a model honours, named as
// OpenRouter's supported_parameters.
//
// +kubebuilder:validation:Enum=max_tokens;temperature;top_p;top_k;stop;n;tools;tool_choice;parallel_tool_calls;response_format;structured_outputs;seed;presence_penalty;frequency_penalty;logit_bias;logprobs;top_logprobs;reasoning
type RequestParameter string

// Endpoint is the base URL of a vendor API, such as
// "https://api.openai.com/v1". It must be an absolute https URL with a host
// and without user credentials; plain http and hosts on private, loopback or
// link-local networks need spec.allowPrivateNetwork.
//
// +kubebuilder:validation:MinLength=8
// +kubebuilder:validation:MaxLength=2048
// +kubebuilder:validation:XValidation:rule="isURL(self) && self.matches('^[hH][tT][tT][pP][sS]?://')",message="endpoint must be an absolute http(s) URL such as https://api.example.com/v1"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[^:/?#]+://[^/?#]*@')",message="endpoint must not contain user credentials (user:password@); use spec.credentials.secretRef"
// +kubebuilder:validation:XValidation:rule="!isURL(self) || size(url(self).getHostname()) > 0",message="endpoint must name a host"
// +kubebuilder:validation:XValidation:rule="!self.contains('#')",message="endpoint must not contain a fragment (#)"
type Endpoint string

// ModelProviderSpec describes one upstream vendor account or endpoint and
// the catalogue of models it serves.
//
// The endpoint host rules below read the host with find() and substring()
// instead of url(...).getHostname(): CEL's cost estimator knows the size of
// the former (bounded by the endpoint's maxLength) but not of the latter,
// and refuses rules whose cost it cannot bound. The gateway repeats the
// private-network check on every resolved address at dial time.
//
// +kubebuilder:validation:XValidation:rule="!(self.type in ['OpenAICompatible', 'AzureOpenAI']) || has(self.endpoint)",message="endpoint is required for types OpenAICompatible and AzureOpenAI",fieldPath=".endpoint",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.type != 'Mock' || !has(self.endpoint)",message="endpoint is not used by type Mock",fieldPath=".endpoint",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="self.type in ['Mock', 'Bedrock'] || has(self.credentials)",message="credentials.secretRef is required for this provider type",fieldPath=".credentials",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.type != 'Bedrock' || has(self.bedrock)",message="bedrock.region is required for type Bedrock",fieldPath=".bedrock",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.type != 'Bedrock' || has(self.credentials) || (has(self.bedrock) && has(self.bedrock.secretRef))",message="type Bedrock needs credentials.secretRef (a Bedrock API key) or bedrock.secretRef (AWS access keys)",fieldPath=".credentials",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.azure) || self.type == 'AzureOpenAI'",message="azure may only be set when type is AzureOpenAI",fieldPath=".azure",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.anthropic) || self.type == 'Anthropic'",message="anthropic may only be set when type is Anthropic",fieldPath=".anthropic",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.bedrock) || self.type == 'Bedrock'",message="bedrock may only be set when type is Bedrock",fieldPath=".bedrock",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.mock) || self.type == 'Mock'",message="mock may only be set when type is Mock",fieldPath=".mock",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="!has(self.discovery) || !self.discovery.enabled || self.type in ['OpenAI', 'OpenAICompatible', 'Anthropic', 'Gemini']",message="discovery is supported for types OpenAI, OpenAICompatible, Anthropic and Gemini; list the models of other types in spec.models",fieldPath=".discovery.enabled",reason=FieldValueForbidden
// +kubebuilder:validation:XValidation:rule="self.allowPrivateNetwork || !has(self.endpoint) || !self.endpoint.lowerAscii().startsWith('http://')",message="endpoint must use https; plain http is allowed only with allowPrivateNetwork: true",fieldPath=".endpoint"
// +kubebuilder:validation:XValidation:rule="self.allowPrivateNetwork || !has(self.endpoint) || !self.endpoint.contains('://') || self.endpoint.contains('://[') || !self.endpoint.find('://[^]/?#:@[]*').substring(3).lowerAscii().matches('^(.*[.])?localhost[.]?$')",message="endpoint host is loopback (localhost); set allowPrivateNetwork: true to allow it",fieldPath=".endpoint"
// +kubebuilder:validation:XValidation:rule="!has(self.endpoint) || !self.endpoint.contains('://') || (self.endpoint.contains('://[') ? (size(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]')) > 0 && isIP(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]').substring(4, size(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]')) - 1))) : (isIP(self.endpoint.find('://[^]/?#:@[]*').substring(3)) || !self.endpoint.find('://[^]/?#:@[]*').substring(3).matches('(^|[.])(0[xX][0-9a-fA-F]*|[0-9]+)[.]?$')))",message="endpoint host must be a DNS name or an IP address in canonical form",fieldPath=".endpoint"
// +kubebuilder:validation:XValidation:rule="self.allowPrivateNetwork || !has(self.endpoint) || !self.endpoint.contains('://') || (self.endpoint.contains('://[') ? (size(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]')) == 0 || !isIP(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]').substring(4, size(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]')) - 1)) || (ip(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]').substring(4, size(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]')) - 1)).isGlobalUnicast() && !['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '0.0.0.0/8', 'fc00::/7'].exists(c, cidr(c).containsIP(ip(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]').substring(4, size(self.endpoint.find('://[[][0-9a-fA-F:.]*[]]')) - 1)))))) : (!isIP(self.endpoint.find('://[^]/?#:@[]*').substring(3)) || (ip(self.endpoint.find('://[^]/?#:@[]*').substring(3)).isGlobalUnicast() && !['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '0.0.0.0/8', 'fc00::/7'].exists(c, cidr(c).containsIP(ip(self.endpoint.find('://[^]/?#:@[]*').substring(3)))))))",message="endpoint is a private, loopback or link-local IP address; set allowPrivateNetwork: true to allow it",fieldPath=".endpoint"
// +kubebuilder:validation:XValidation:rule="!has(self.nativeAPIs) || self.type == 'OpenAICompatible'",message="nativeAPIs may only be set when type is OpenAICompatible (the other types speak their vendor's APIs)",fieldPath=".nativeAPIs",reason=FieldValueForbidden
type ModelProviderSpec struct {
	// Type is the vendor API this provider speaks. It decides the wire
	// format, the default endpoint and which of azure, anthropic, bedrock or
	// mock may be set.
	//
	// +required
	Type ProviderType `json:"type"`

	// Endpoint is the base URL of the vendor API. When empty it defaults per
	// type: https://api.openai.com/v1 (OpenAI), https://api.anthropic.com
	// (Anthropic), https://generativelanguage.googleapis.com (Gemini) and
	// the regional endpoint (Bedrock). It is required for OpenAICompatible
	// and AzureOpenAI and not allowed for Mock.
	//
	// +optional
	Endpoint *Endpoint `json:"endpoint,omitempty"`

	// AllowPrivateNetwork lets the gateway reach this provider on private,
	// loopback or link-local addresses (an in-cluster vLLM or Ollama, a test
	// server) and over plain http. Without it such endpoints are rejected
	// here, and the gateway refuses at dial time any connection whose
	// resolved address is not public, which protects the cluster's internal
	// network and cloud metadata endpoints (169.254.169.254).
	//
	// +optional
	// +kubebuilder:default=false
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`

	// Credentials is the vendor credential sent upstream. Required for
	// every type except Mock and Bedrock (which may use bedrock.secretRef).
	//
	// +optional
	Credentials *ProviderCredentials `json:"credentials,omitempty"`

	// Headers are extra HTTP headers sent with every upstream request, such
	// as OpenAI-Organization or OpenAI-Project. Headers that carry the
	// credential or framing (Authorization, x-api-key, api-key, Host,
	// Content-Length, Transfer-Encoding, Connection) are set by the gateway
	// and cannot be given here.
	//
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Headers []HTTPHeader `json:"headers,omitempty"`

	// Azure holds Azure OpenAI settings; only with type AzureOpenAI.
	//
	// +optional
	Azure *AzureSettings `json:"azure,omitempty"`

	// Anthropic holds Anthropic settings; only with type Anthropic.
	//
	// +optional
	Anthropic *AnthropicSettings `json:"anthropic,omitempty"`

	// Bedrock holds AWS Bedrock settings; required with type Bedrock.
	//
	// +optional
	Bedrock *BedrockSettings `json:"bedrock,omitempty"`

	// Mock configures the built-in mock upstream; only with type Mock.
	//
	// +optional
	Mock *MockSettings `json:"mock,omitempty"`

	// Models is the catalogue this provider serves: the names clients send,
	// what they are called upstream, context sizes, prices and
	// capabilities. Gateways list these on GET /v1/models and route to them.
	// With discovery enabled, models the vendor lists are added to these;
	// an entry here always wins over a discovered one of the same name.
	//
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	Models []ProviderModel `json:"models,omitempty"`

	// Timeouts bound each phase of one upstream attempt.
	//
	// +optional
	Timeouts *Timeouts `json:"timeouts,omitempty"`

	// MaxConcurrentRequests caps the requests one gateway replica has in
	// flight to this provider; beyond it a request falls back to the next
	// backend or fails with 503. Unset means no cap.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000000
	MaxConcurrentRequests *int32 `json:"maxConcurrentRequests,omitempty"`

	// NativeAPIs declares client APIs an OpenAICompatible server speaks
	// natively besides chat completions: Responses when it serves
	// /v1/responses (requests in it are then relayed as written, not
	// translated), Completions when it serves the legacy /v1/completions
	// (prompt and fill-in-the-middle, as vLLM does; only such servers can
	// answer it). The other types speak their vendor's: OpenAI and
	// AzureOpenAI the Responses and completions APIs, Anthropic the
	// Messages API.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=2
	NativeAPIs []NativeAPI `json:"nativeAPIs,omitempty"`

	// Discovery lists the vendor's models to fill the catalogue: GET
	// {endpoint}/models for OpenAI and OpenAICompatible, GET /v1/models for
	// Anthropic and GET /v1beta/models for Gemini, with the provider's
	// credential, every 10 minutes. Only these types support it. The names
	// found are shown in status.discoveredModels; discovered models carry
	// no pricing, context size or capabilities unless also listed in
	// models, whose entry wins.
	//
	// +optional
	Discovery *Discovery `json:"discovery,omitempty"`
}

// ProviderCredentials locates the vendor credential.
type ProviderCredentials struct {
	// SecretRef selects the Secret entry holding the API key (for Azure, the
	// resource key; for Bedrock, a Bedrock API key). The gateway sends it in
	// the header the vendor expects and never logs it.
	//
	// +required
	SecretRef SecretKeyReference `json:"secretRef"`
}

// HTTPHeader is one extra header sent upstream.
type HTTPHeader struct {
	// Name is the header name. Names the gateway sets itself are refused.
	//
	// +required
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['authorization', 'x-api-key', 'api-key', 'host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-authorization', 'cookie'])",message="this header is set by the gateway and cannot be configured"
	Name HeaderName `json:"name"`

	// Value is the header value. It must not contain CR, LF or NUL, which
	// would let it inject other headers.
	//
	// +required
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="!self.contains('\\r') && !self.contains('\\n') && !self.contains('\\u0000')",message="header values must not contain CR, LF or NUL characters"
	Value string `json:"value"`
}

// AzureSettings configures an Azure OpenAI resource.
type AzureSettings struct {
	// APIVersion is sent as the api-version query parameter, for example
	// "2024-10-21" or "2025-01-01-preview".
	//
	// +optional
	// +kubebuilder:default="2024-10-21"
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$`
	APIVersion string `json:"apiVersion,omitempty"`
}

// AnthropicSettings configures the Anthropic API.
type AnthropicSettings struct {
	// Version is sent as the anthropic-version header.
	//
	// +optional
	// +kubebuilder:default="2023-06-01"
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`
	Version string `json:"version,omitempty"`
}

// BedrockSettings configures AWS Bedrock.
type BedrockSettings struct {
	// Region is the AWS region, for example "us-east-1".
	//
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:Pattern=`^[a-z]{2}(-[a-z]+)+-[0-9]+$`
	Region string `json:"region"`

	// SecretRef selects a Secret holding AWS access keys, used to sign
	// requests with SigV4. Either this or spec.credentials.secretRef (a
	// Bedrock API key) is required.
	//
	// +optional
	SecretRef *AWSCredentialsSecretReference `json:"secretRef,omitempty"`
}

// AWSCredentialsSecretReference names the entries of a Secret that hold AWS
// access keys.
type AWSCredentialsSecretReference struct {
	// Name is the name of the Secret.
	//
	// +required
	Name ObjectName `json:"name"`

	// AccessKeyIDKey is the entry holding the access key id.
	//
	// +optional
	// +kubebuilder:default=accessKeyID
	AccessKeyIDKey SecretKey `json:"accessKeyIDKey,omitempty"`

	// SecretAccessKeyKey is the entry holding the secret access key.
	//
	// +optional
	// +kubebuilder:default=secretAccessKey
	SecretAccessKeyKey SecretKey `json:"secretAccessKeyKey,omitempty"`

	// SessionTokenKey is the entry holding a session token, for temporary
	// credentials. When unset no session token is sent.
	//
	// +optional
	SessionTokenKey *SecretKey `json:"sessionTokenKey,omitempty"`
}

// MockSettings configures the built-in deterministic upstream.
type MockSettings struct {
	// Latency is the delay before the first byte of each answer.
	//
	// +optional
	Latency *Duration `json:"latency,omitempty"`

	// ChunkDelay is the delay between two stream chunks.
	//
	// +optional
	ChunkDelay *Duration `json:"chunkDelay,omitempty"`

	// Reply is the fixed answer. When empty the mock echoes the last user
	// message.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Reply string `json:"reply,omitempty"`
}

// ProviderModel is one catalogue entry.
type ProviderModel struct {
	// Name is the model name clients send in "model". Several providers may
	// serve the same name; a gateway then balances or falls back between
	// them according to its routes.
	//
	// +required
	Name ModelName `json:"name"`

	// UpstreamModel is the model name sent to the vendor when it differs
	// from name: a dated snapshot, an Azure deployment name, a Bedrock model
	// id. Defaults to name.
	//
	// +optional
	UpstreamModel *ModelName `json:"upstreamModel,omitempty"`

	// ContextWindow is the model's context length in tokens, shown in the
	// catalogue.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	ContextWindow *int64 `json:"contextWindow,omitempty"`

	// MaxOutputTokens is the most tokens the model writes in one answer;
	// used to estimate a request's cost before it runs.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100000000
	MaxOutputTokens *int64 `json:"maxOutputTokens,omitempty"`

	// Pricing is what the vendor charges, used for cost accounting,
	// budgets and the LowestCost strategy. Unset means free (0).
	//
	// +optional
	Pricing *Pricing `json:"pricing,omitempty"`

	// Capabilities the model has; clients see them in the catalogue.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=6
	Capabilities []Capability `json:"capabilities,omitempty"`

	// SupportedParameters are the request parameters the model honours;
	// a request with provider.require_parameters is routed only to
	// backends honouring every parameter it sets. Unset means the
	// defaults of the provider's type (what its adapter carries over).
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=18
	SupportedParameters []RequestParameter `json:"supportedParameters,omitempty"`
}

// Pricing is in US dollars per million tokens, written as decimal strings.
type Pricing struct {
	// InputPerMillion is the price of one million prompt tokens.
	//
	// +optional
	InputPerMillion *Decimal `json:"inputPerMillion,omitempty"`

	// OutputPerMillion is the price of one million completion tokens.
	//
	// +optional
	OutputPerMillion *Decimal `json:"outputPerMillion,omitempty"`

	// CachedInputPerMillion is the price of one million prompt tokens served
	// from the vendor's prompt cache. Defaults to inputPerMillion.
	//
	// +optional
	CachedInputPerMillion *Decimal `json:"cachedInputPerMillion,omitempty"`

	// CacheWritePerMillion is the price of one million prompt tokens
	// written to the vendor's prompt cache (Anthropic's cache writes).
	// Defaults to inputPerMillion.
	//
	// +optional
	CacheWritePerMillion *Decimal `json:"cacheWritePerMillion,omitempty"`
}

// Timeouts bound the phases of one upstream attempt. A timed-out attempt
// counts as a Timeout failure for retries and fallback.
type Timeouts struct {
	// Connect bounds dialing and the TLS handshake.
	//
	// +optional
	// +kubebuilder:default="5s"
	Connect *Duration `json:"connect,omitempty"`

	// FirstToken bounds the wait for the response headers and the first
	// stream event.
	//
	// +optional
	// +kubebuilder:default="60s"
	FirstToken *Duration `json:"firstToken,omitempty"`

	// Idle bounds the gap between two stream chunks; it restarts on every
	// chunk, so a long but active stream is not cut.
	//
	// +optional
	// +kubebuilder:default="60s"
	Idle *Duration `json:"idle,omitempty"`

	// Request bounds one whole attempt, streaming included.
	//
	// +optional
	// +kubebuilder:default="600s"
	Request *Duration `json:"request,omitempty"`
}

// Discovery configures listing the vendor's models.
type Discovery struct {
	// Enabled turns discovery on.
	//
	// +optional
	// +kubebuilder:default=false
	Enabled bool `json:"enabled,omitempty"`

	// Include keeps only discovered models matching one of these globs.
	// Empty keeps every discovered model.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Include []ModelPattern `json:"include,omitempty"`
}

// ModelProviderStatus is the observed state of a ModelProvider.
type ModelProviderStatus struct {
	// Conditions describe the provider's state. Types: Accepted,
	// ResolvedRefs, Ready, and Available (whether its backends answer, from
	// the gateways' last five minutes, with hysteresis; set once a gateway
	// that routes to it reports).
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

	// Models is the number of models in the catalogue, discovered ones
	// included.
	//
	// +optional
	Models int32 `json:"models,omitempty"`

	// DiscoveredModels are the model names the vendor listed at the last
	// successful discovery (spec.discovery), filtered by
	// spec.discovery.include, sorted. Gateways serve them besides
	// spec.models. A failed discovery keeps the last list and sets Ready
	// to False with reason DiscoveryFailed; turning discovery off clears
	// it. Names that are not valid model names are left out.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=1024
	DiscoveredModels []ModelName `json:"discoveredModels,omitempty"`
}

// ModelProvider is one upstream AI vendor account or endpoint (OpenAI,
// Azure OpenAI, Anthropic, Gemini, Bedrock, any OpenAI-compatible server, or
// the built-in mock) and the catalogue of models it serves. AIGateways
// select providers and route client requests to them.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mp,categories=tollgate
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.type`
// +kubebuilder:printcolumn:name="Models",type=integer,JSONPath=`.status.models`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Endpoint",type=string,JSONPath=`.spec.endpoint`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +operator-sdk:csv:customresourcedefinitions:displayName="Model Provider",resources={{Secret,v1,""}}
type ModelProvider struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the ModelProvider.
	//
	// +required
	Spec ModelProviderSpec `json:"spec"`

	// Status is the observed state of the ModelProvider.
	//
	// +optional
	// +kubebuilder:default={conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}, {type: "Ready", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}
	Status ModelProviderStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// ModelProviderList is a list of ModelProviders.
type ModelProviderList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ModelProvider `json:"items"`
}

// NativeAPI is a client API an OpenAICompatible server can speak natively.
//
// +kubebuilder:validation:Enum=Responses;Completions
type NativeAPI string

const (
	// NativeAPIResponses is OpenAI's Responses API (/v1/responses).
	NativeAPIResponses NativeAPI = "Responses"
	// NativeAPICompletions is the legacy completions API (/v1/completions).
	NativeAPICompletions NativeAPI = "Completions"
)
