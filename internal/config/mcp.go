package config

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"time"
)

// MCP defaults.
const (
	// DefaultMCPTimeout bounds one tool call to a backend.
	DefaultMCPTimeout = 30 * time.Second
	// DefaultMCPMaxResponseBytes caps one backend answer.
	DefaultMCPMaxResponseBytes = 1 << 20
	// MCPToolSeparator joins a server's name and a tool's name on the
	// aggregate /mcp endpoint. Server names are DNS names, which have no
	// '_', so the first '_' always splits a prefixed name unambiguously.
	MCPToolSeparator = "_"
)

// MCPServerType is the kind of tool source.
type MCPServerType string

// MCP server types.
const (
	MCPOpenAPIServer MCPServerType = "OpenAPI"
	MCPRemoteServer  MCPServerType = "Remote"
)

// MCPServer is one MCPServer: a source of tools served on /mcp and
// /mcp/<name>.
type MCPServer struct {
	// Name is the MCPServer's name; it prefixes its tools on /mcp.
	Name string        `json:"name"`
	Type MCPServerType `json:"type"`
	// AllowPrivateNetwork permits backends on loopback, private or
	// link-local addresses.
	AllowPrivateNetwork bool `json:"allowPrivateNetwork,omitempty"`
	// Timeout bounds one tool call. Default DefaultMCPTimeout.
	Timeout Duration `json:"timeout,omitzero"`
	// MaxResponseBytes caps one backend answer. Default
	// DefaultMCPMaxResponseBytes.
	MaxResponseBytes int64 `json:"maxResponseBytes,omitempty"`
	// Include and Exclude are globs over unprefixed tool names (remote
	// servers; OpenAPI tools are filtered by compile).
	Include []string    `json:"include,omitempty"`
	Exclude []string    `json:"exclude,omitempty"`
	OpenAPI *MCPOpenAPI `json:"openAPI,omitempty"`
	Remote  *MCPRemote  `json:"remote,omitempty"`
}

// MCPOpenAPI is an API whose operations compile turned into tools.
type MCPOpenAPI struct {
	// BaseURL is prefixed to every operation's path.
	BaseURL string `json:"baseURL"`
	// Auth is the credential sent with every call (secret fields).
	Auth *MCPAuth `json:"auth,omitempty"`
	// Tools are the compiled operations.
	Tools []MCPTool `json:"tools"`
}

// MCPAuthType is how the gateway authenticates to an API.
type MCPAuthType string

// MCP backend credential types.
const (
	MCPAuthBearer       MCPAuthType = "Bearer"
	MCPAuthAPIKeyHeader MCPAuthType = "APIKeyHeader"
	MCPAuthAPIKeyQuery  MCPAuthType = "APIKeyQuery"
	MCPAuthBasic        MCPAuthType = "Basic"
)

// MCPAuth is a backend credential.
type MCPAuth struct {
	Type MCPAuthType `json:"type"`
	// Name is the header or query parameter of an API key.
	Name string `json:"name,omitempty"`
	// Username is the Basic user name.
	Username string `json:"username,omitempty"`
	// Secret is the token, key or Basic password (secret).
	Secret string `json:"secret,omitempty"`
}

// MCPTool is one OpenAPI operation as a tool.
type MCPTool struct {
	// Name is the tool's (unprefixed) name.
	Name        string `json:"name"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// InputSchema is the JSON Schema of the arguments (an object).
	InputSchema json.RawMessage `json:"inputSchema"`
	// Method and Path are the HTTP request; Path has {param} templates.
	Method string `json:"method"`
	Path   string `json:"path"`
	// Params are the operation's path, query and header parameters.
	Params []MCPParam `json:"params,omitempty"`
	// Body names the argument holding the JSON request body ("" = none).
	Body string `json:"body,omitempty"`
	// ReadOnly marks GET/HEAD operations (the readOnlyHint annotation).
	ReadOnly bool `json:"readOnly,omitempty"`
}

// MCPParamIn is where an OpenAPI parameter goes.
type MCPParamIn string

// Parameter locations.
const (
	MCPInPath   MCPParamIn = "path"
	MCPInQuery  MCPParamIn = "query"
	MCPInHeader MCPParamIn = "header"
)

// MCPParam is one parameter of an operation.
type MCPParam struct {
	// Name is the parameter's name in the request; Arg its argument name.
	Name     string     `json:"name"`
	Arg      string     `json:"arg"`
	In       MCPParamIn `json:"in"`
	Required bool       `json:"required,omitempty"`
}

// MCPRemote is an upstream MCP server.
type MCPRemote struct {
	URL string `json:"url"`
	// Transport is "StreamableHTTP" (default) or "SSE".
	Transport string `json:"transport,omitempty"`
	// Headers are sent with every request (secret values).
	Headers []Header `json:"headers,omitempty"`
}

// Remote MCP transports.
const (
	MCPTransportStreamable = "StreamableHTTP"
	MCPTransportSSE        = "SSE"
)

// Secrets returns a pointer to every secret field of the server.
func (m *MCPServer) Secrets() []*string {
	var out []*string
	if o := m.OpenAPI; o != nil && o.Auth != nil {
		out = append(out, &o.Auth.Secret)
	}
	if r := m.Remote; r != nil {
		for i := range r.Headers {
			out = append(out, &r.Headers[i].Value)
		}
	}
	return out
}

// redactedCopy copies the structs of m holding secrets.
func (m MCPServer) redactedCopy() MCPServer {
	if o := m.OpenAPI; o != nil {
		cp := *o
		if o.Auth != nil {
			a := *o.Auth
			cp.Auth = &a
		}
		m.OpenAPI = &cp
	}
	if r := m.Remote; r != nil {
		cp := *r
		cp.Headers = append([]Header(nil), r.Headers...)
		m.Remote = &cp
	}
	return m
}

// MatchTool reports whether name matches one of the globs.
func MatchTool(globs []string, name string) bool {
	for _, g := range globs {
		if ok, _ := path.Match(g, name); ok {
			return true
		}
	}
	return false
}

// ToolSelected applies include (empty keeps all) then exclude.
func ToolSelected(include, exclude []string, name string) bool {
	return (len(include) == 0 || MatchTool(include, name)) && !MatchTool(exclude, name)
}

var toolNameRE = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,128}$`)

func (c *Config) validateMCP(v *validator) {
	seen := map[string]bool{}
	for i := range c.MCPServers {
		m := &c.MCPServers[i]
		f := fmt.Sprintf("mcpServers[%d]", i)
		v.pattern(f+".name", m.Name, objectNamePattern, 253, "a DNS name")
		if seen[m.Name] {
			v.bad(f+".name", "duplicate MCP server %q", m.Name)
		}
		seen[m.Name] = true
		if m.MaxResponseBytes < 0 {
			v.bad(f+".maxResponseBytes", "must not be negative")
		}
		if m.Timeout.Duration < 0 {
			v.bad(f+".timeout", "must not be negative")
		}
		validateGlobs(v, f+".include", m.Include, 64)
		validateGlobs(v, f+".exclude", m.Exclude, 64)
		switch m.Type {
		case MCPOpenAPIServer:
			if m.OpenAPI == nil || m.Remote != nil {
				v.bad(f, "type OpenAPI needs openAPI and no remote")
				continue
			}
			validateEndpoint(v, f+".openAPI.baseURL", m.OpenAPI.BaseURL, m.AllowPrivateNetwork)
			names := map[string]bool{}
			for j, t := range m.OpenAPI.Tools {
				tf := fmt.Sprintf("%s.openAPI.tools[%d]", f, j)
				v.pattern(tf+".name", t.Name, toolNameRE, 128, "a tool name ([A-Za-z0-9_.-])")
				if names[t.Name] {
					v.bad(tf+".name", "duplicate tool %q", t.Name)
				}
				names[t.Name] = true
				if !json.Valid(t.InputSchema) {
					v.bad(tf+".inputSchema", "not valid JSON")
				}
			}
			if a := m.OpenAPI.Auth; a != nil && (a.Type == MCPAuthAPIKeyHeader || a.Type == MCPAuthAPIKeyQuery) && a.Name == "" {
				v.bad(f+".openAPI.auth.name", "required for %s", a.Type)
			}
		case MCPRemoteServer:
			if m.Remote == nil || m.OpenAPI != nil {
				v.bad(f, "type Remote needs remote and no openAPI")
				continue
			}
			validateEndpoint(v, f+".remote.url", m.Remote.URL, m.AllowPrivateNetwork)
			if t := m.Remote.Transport; t != MCPTransportStreamable && t != MCPTransportSSE {
				v.bad(f+".remote.transport", "unsupported value %q: want StreamableHTTP or SSE", t)
			}
		default:
			v.bad(f+".type", "unsupported value %q: want OpenAPI or Remote", m.Type)
		}
	}
}

// defaultMCP fills the MCP servers' defaults.
func (c *Config) defaultMCP() {
	for i := range c.MCPServers {
		m := &c.MCPServers[i]
		if m.Timeout.Duration == 0 {
			m.Timeout = D(DefaultMCPTimeout)
		}
		if m.MaxResponseBytes == 0 {
			m.MaxResponseBytes = DefaultMCPMaxResponseBytes
		}
		if m.Remote != nil && m.Remote.Transport == "" {
			m.Remote.Transport = MCPTransportStreamable
		}
	}
}
