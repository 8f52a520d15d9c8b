/*
Copyright The Tollgate Authors.

SPDX-License-Identifier: Apache-2.0
*/

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KindMCPServer is the kind of an MCPServer.
const KindMCPServer = "MCPServer"

// ToolPattern is a tool name or a glob over tool names ("get*",
// "petstore_*"), matched with Go's path.Match.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=128
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.*?-]+$`
type ToolPattern string

// ToolName is the name of an MCP tool: letters, digits, '_', '-' and '.'.
//
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=128
// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_.-]+$`
type ToolName string

// MCPURL is an absolute http(s) URL without user credentials or fragment.
// Plain http and private addresses need allowPrivateNetwork; the gateway
// checks every resolved address at dial time as well.
//
// +kubebuilder:validation:MinLength=8
// +kubebuilder:validation:MaxLength=2048
// +kubebuilder:validation:XValidation:rule="isURL(self) && self.matches('^[hH][tT][tT][pP][sS]?://')",message="must be an absolute http(s) URL such as https://api.example.com/v1"
// +kubebuilder:validation:XValidation:rule="!self.matches('^[^:/?#]+://[^/?#]*@')",message="must not contain user credentials (user:password@); use a credentials Secret"
// +kubebuilder:validation:XValidation:rule="!self.contains('#')",message="must not contain a fragment (#)"
type MCPURL string

// MCPServerSpec declares one source of MCP tools served by the gateways
// that select it: an OpenAPI document whose operations become tools, or a
// remote MCP server the gateway proxies. Exactly one of openAPI or remote
// is set.
//
// +kubebuilder:validation:XValidation:rule="has(self.openAPI) != has(self.remote)",message="exactly one of openAPI or remote must be set"
// +kubebuilder:validation:XValidation:rule="self.allowPrivateNetwork || !has(self.openAPI) || !self.openAPI.baseURL.lowerAscii().startsWith('http://')",message="baseURL must use https; plain http is allowed only with allowPrivateNetwork: true",fieldPath=".openAPI.baseURL"
// +kubebuilder:validation:XValidation:rule="self.allowPrivateNetwork || !has(self.remote) || !self.remote.url.lowerAscii().startsWith('http://')",message="url must use https; plain http is allowed only with allowPrivateNetwork: true",fieldPath=".remote.url"
// +kubebuilder:validation:XValidation:rule="self.allowPrivateNetwork || !has(self.openAPI) || !has(self.openAPI.document.url) || !self.openAPI.document.url.lowerAscii().startsWith('http://')",message="document.url must use https",fieldPath=".openAPI.document.url"
type MCPServerSpec struct {
	// OpenAPI turns the operations of an OpenAPI 3.0/3.1 document into
	// tools: a tool call becomes an HTTP request to baseURL.
	//
	// +optional
	OpenAPI *OpenAPISource `json:"openAPI,omitempty"`

	// Remote proxies an upstream MCP server: the gateway is its client.
	//
	// +optional
	Remote *RemoteMCPSource `json:"remote,omitempty"`

	// Include keeps only the tools whose (unprefixed) names match one of
	// these globs; empty keeps every tool.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Include []ToolPattern `json:"include,omitempty"`

	// Exclude drops the tools whose names match one of these globs, after
	// include.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	Exclude []ToolPattern `json:"exclude,omitempty"`

	// AllowPrivateNetwork lets the gateway reach this server's backend on
	// private, loopback or link-local addresses and over plain http (an
	// in-cluster API, a test server). Without it the gateway refuses such
	// connections at dial time.
	//
	// +optional
	// +kubebuilder:default=false
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`

	// Timeout bounds one tool call to the backend. Default 30s.
	//
	// +optional
	Timeout *Duration `json:"timeout,omitempty"`

	// MaxResponseBytes caps the backend's answer to one tool call; a larger
	// answer is an error result. Default 1 MiB.
	//
	// +optional
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=67108864
	MaxResponseBytes *int64 `json:"maxResponseBytes,omitempty"`
}

// OpenAPISource is an OpenAPI document and the API it describes.
type OpenAPISource struct {
	// Document is where the OpenAPI 3.0 or 3.1 document comes from (JSON
	// or YAML).
	//
	// +required
	Document OpenAPIDocument `json:"document"`

	// BaseURL is the API's base URL; an operation's path is appended to it.
	//
	// +required
	BaseURL MCPURL `json:"baseURL"`

	// Credentials is how the gateway authenticates to the API. Clients
	// never see it and no tool argument can override it.
	//
	// +optional
	Credentials *OpenAPICredentials `json:"credentials,omitempty"`

	// Overrides rename tools or replace their descriptions.
	//
	// +optional
	// +listType=map
	// +listMapKey=tool
	// +kubebuilder:validation:MaxItems=256
	Overrides []ToolOverride `json:"overrides,omitempty"`
}

// OpenAPIDocument locates an OpenAPI document: exactly one of inline,
// configMapRef or url.
//
// +kubebuilder:validation:XValidation:rule="[has(self.inline), has(self.configMapRef), has(self.url)].filter(x, x).size() == 1",message="exactly one of inline, configMapRef or url must be set"
type OpenAPIDocument struct {
	// Inline is the document itself.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=1048576
	Inline *string `json:"inline,omitempty"`

	// ConfigMapRef selects a ConfigMap entry of this namespace holding the
	// document.
	//
	// +optional
	ConfigMapRef *ConfigMapKeyReference `json:"configMapRef,omitempty"`

	// URL is fetched by the operator through the SSRF guard (no private
	// addresses unless allowPrivateNetwork, no redirects, 5 MiB at most).
	//
	// +optional
	URL *MCPURL `json:"url,omitempty"`
}

// ConfigMapKeyReference selects one entry of a ConfigMap in the same
// namespace.
type ConfigMapKeyReference struct {
	// Name is the ConfigMap's name.
	//
	// +required
	Name ObjectName `json:"name"`
	// Key is the entry holding the value.
	//
	// +optional
	// +kubebuilder:default=openapi.yaml
	Key SecretKey `json:"key,omitempty"`
}

// OpenAPIAuthType is how the gateway authenticates to an OpenAPI backend.
//
// +kubebuilder:validation:Enum=Bearer;APIKeyHeader;APIKeyQuery;Basic
type OpenAPIAuthType string

// OpenAPI credential types.
const (
	OpenAPIAuthBearer       OpenAPIAuthType = "Bearer"
	OpenAPIAuthAPIKeyHeader OpenAPIAuthType = "APIKeyHeader"
	OpenAPIAuthAPIKeyQuery  OpenAPIAuthType = "APIKeyQuery"
	OpenAPIAuthBasic        OpenAPIAuthType = "Basic"
)

// OpenAPICredentials is the credential the gateway sends to the API.
//
// +kubebuilder:validation:XValidation:rule="!(self.type in ['APIKeyHeader', 'APIKeyQuery']) || has(self.name)",message="name (the header or query parameter) is required for APIKeyHeader and APIKeyQuery",fieldPath=".name",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="self.type != 'Basic' || has(self.usernameKey)",message="usernameKey is required for Basic",fieldPath=".usernameKey",reason=FieldValueRequired
// +kubebuilder:validation:XValidation:rule="!has(self.name) || self.type in ['APIKeyHeader', 'APIKeyQuery']",message="name is only used by APIKeyHeader and APIKeyQuery",fieldPath=".name",reason=FieldValueForbidden
type OpenAPICredentials struct {
	// Type is the scheme: Bearer (Authorization: Bearer <token>),
	// APIKeyHeader (the key in header name), APIKeyQuery (the key in query
	// parameter name) or Basic (usernameKey and key of the Secret).
	//
	// +required
	Type OpenAPIAuthType `json:"type"`

	// Name is the header or query parameter carrying the key.
	//
	// +optional
	// +kubebuilder:validation:XValidation:rule="!(self.lowerAscii() in ['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'cookie'])",message="this header is set by the gateway and cannot carry a credential"
	Name *HeaderName `json:"name,omitempty"`

	// SecretRef selects the Secret entry holding the token, key or (Basic)
	// password.
	//
	// +required
	SecretRef SecretKeyReference `json:"secretRef"`

	// UsernameKey is the entry of the same Secret holding the Basic
	// username.
	//
	// +optional
	UsernameKey *SecretKey `json:"usernameKey,omitempty"`
}

// ToolOverride renames a tool or replaces its description.
//
// +kubebuilder:validation:XValidation:rule="has(self.name) || has(self.description)",message="an override sets name, description or both"
type ToolOverride struct {
	// Tool is the generated name (operationId, or method_path).
	//
	// +required
	Tool ToolName `json:"tool"`
	// Name replaces the tool's name.
	//
	// +optional
	Name *ToolName `json:"name,omitempty"`
	// Description replaces the tool's description.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description *string `json:"description,omitempty"`
}

// MCPTransport is how the gateway talks to a remote MCP server.
//
// +kubebuilder:validation:Enum=StreamableHTTP;SSE
type MCPTransport string

// MCP transports.
const (
	MCPTransportStreamableHTTP MCPTransport = "StreamableHTTP"
	MCPTransportSSE            MCPTransport = "SSE"
)

// RemoteMCPSource is an upstream MCP server.
type RemoteMCPSource struct {
	// URL is the server's MCP endpoint.
	//
	// +required
	URL MCPURL `json:"url"`

	// Transport is Streamable HTTP (default) or the older HTTP+SSE.
	//
	// +optional
	// +kubebuilder:default=StreamableHTTP
	Transport MCPTransport `json:"transport,omitempty"`

	// HeadersSecretRef names a Secret whose every entry is sent as a header
	// (entry name = header name) on each request to the server, such as
	// Authorization. Clients never see them.
	//
	// +optional
	HeadersSecretRef *LocalObjectReference `json:"headersSecretRef,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// Name is the object's name.
	//
	// +required
	Name ObjectName `json:"name"`
}

// MCPServerStatus is the observed state of an MCPServer.
type MCPServerStatus struct {
	// Conditions describe the server's state. Types: Accepted (the
	// document parses; the message names the error's line and column when
	// not), ResolvedRefs (Secrets and ConfigMap exist), Ready.
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

	// Tools is the number of tools served after include/exclude. For a
	// remote server it is counted by the gateway at call time and left 0
	// here.
	//
	// +optional
	Tools int32 `json:"tools,omitempty"`
}

// MCPServer is a source of Model Context Protocol tools (an OpenAPI
// document or a remote MCP server) that AIGateways serve on /mcp.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=mcps,categories=tollgate
// +kubebuilder:storageversion
// +kubebuilder:printcolumn:name="Tools",type=integer,JSONPath=`.status.tools`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +operator-sdk:csv:customresourcedefinitions:displayName="MCP Server",resources={{Secret,v1,""},{ConfigMap,v1,""}}
type MCPServer struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +required
	Spec MCPServerSpec `json:"spec"`

	// +optional
	// +kubebuilder:default={conditions: {{type: "Accepted", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}, {type: "Ready", status: "Unknown", reason: "Pending", message: "Waiting for controller", lastTransitionTime: "1970-01-01T00:00:00Z"}}}
	Status MCPServerStatus `json:"status,omitempty,omitzero"`
}

// +kubebuilder:object:root=true

// MCPServerList is a list of MCPServers.
type MCPServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []MCPServer `json:"items"`
}
