package compile

import (
	"maps"
	"slices"
	"strings"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/mcptools"
)

// MCPServerSelected reports whether gw serves ms: gateways select
// MCPServers with spec.mcpServerSelector; unset selects none.
func MCPServerSelected(gw *v1alpha1.AIGateway, ms *v1alpha1.MCPServer) bool {
	sel := gw.Spec.MCPServerSelector
	if sel == nil || ms.DeletionTimestamp != nil {
		return false
	}
	ok, err := selects(sel, ms.Labels)
	return err == nil && ok
}

// mcpServers compiles the selected MCPServers. An MCPServer whose
// document does not parse or whose Secret is missing is left out and
// reported; the others are served.
func (c *compiler) mcpServers(cfg *config.Config) map[string]int {
	counts := map[string]int{}
	for i := range c.in.MCPServers {
		ms := &c.in.MCPServers[i]
		if !MCPServerSelected(c.in.Gateway, ms) {
			continue
		}
		m, ok := c.mcpServer(ms)
		if !ok {
			continue
		}
		if m.OpenAPI != nil {
			counts[ms.Name] = len(m.OpenAPI.Tools)
		} else {
			counts[ms.Name] = 0
		}
		cfg.MCPServers = append(cfg.MCPServers, m)
	}
	return counts
}

// CompileMCPServer compiles one MCPServer alone (its reconciler reports
// the result in its status): the server, its tool count and the problems.
func CompileMCPServer(in Input, ms *v1alpha1.MCPServer) (config.MCPServer, []Problem, bool) {
	c := &compiler{in: in, secrets: in.Secrets}
	m, ok := c.mcpServer(ms)
	return m, c.problems, ok
}

func (c *compiler) mcpServer(ms *v1alpha1.MCPServer) (config.MCPServer, bool) {
	s := ms.Spec
	m := config.MCPServer{Name: ms.Name, AllowPrivateNetwork: s.AllowPrivateNetwork, Timeout: dur(s.Timeout)}
	if s.MaxResponseBytes != nil {
		m.MaxResponseBytes = *s.MaxResponseBytes
	}
	for _, g := range s.Include {
		m.Include = append(m.Include, string(g))
	}
	for _, g := range s.Exclude {
		m.Exclude = append(m.Exclude, string(g))
	}
	switch {
	case s.OpenAPI != nil && s.Remote != nil:
		c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
			"MCPServer %q sets both spec.openAPI and spec.remote; set exactly one.", ms.Name)
		return m, false
	case s.OpenAPI != nil:
		m.Type = config.MCPOpenAPIServer
		o, ok := c.openAPI(ms, m.Include, m.Exclude)
		if !ok {
			return m, false
		}
		m.OpenAPI = o
		// compile applied include/exclude to the tools already
		m.Include, m.Exclude = nil, nil
	case s.Remote != nil:
		m.Type = config.MCPRemoteServer
		r := &config.MCPRemote{URL: string(s.Remote.URL), Transport: string(s.Remote.Transport)}
		if ref := s.Remote.HeadersSecretRef; ref != nil {
			sec, ok := c.secrets[string(ref.Name)]
			if !ok || sec == nil {
				c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonSecretNotFound,
					"Secret %q named in spec.remote.headersSecretRef does not exist in namespace %q; create it or fix the reference.", ref.Name, ms.Namespace)
				return m, false
			}
			for _, k := range slices.Sorted(maps.Keys(sec.Data)) {
				r.Headers = append(r.Headers, config.Header{Name: k, Value: string(sec.Data[k])})
			}
		}
		m.Remote = r
	default:
		c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
			"MCPServer %q sets neither spec.openAPI nor spec.remote.", ms.Name)
		return m, false
	}
	return m, true
}

func (c *compiler) openAPI(ms *v1alpha1.MCPServer, include, exclude []string) (*config.MCPOpenAPI, bool) {
	s := ms.Spec.OpenAPI
	doc, ok := c.document(ms)
	if !ok {
		return nil, false
	}
	opts := mcptools.Options{Include: include, Exclude: exclude}
	for _, ov := range s.Overrides {
		o := mcptools.Override{Tool: string(ov.Tool)}
		if ov.Name != nil {
			o.Name = string(*ov.Name)
		}
		if ov.Description != nil {
			o.Description = *ov.Description
		}
		opts.Overrides = append(opts.Overrides, o)
	}
	tools, _, err := mcptools.FromOpenAPI(doc, opts)
	if err != nil {
		c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
			"The OpenAPI document of MCPServer %q is invalid at %s; fix the document.", ms.Name, err)
		return nil, false
	}
	out := &config.MCPOpenAPI{BaseURL: strings.TrimRight(string(s.BaseURL), "/"), Tools: tools}
	if out.Tools == nil {
		out.Tools = []config.MCPTool{}
	}
	if cr := s.Credentials; cr != nil {
		secret, ok := c.secretValue(v1alpha1.KindMCPServer, ms.Name, string(cr.SecretRef.Name), DataKey(&cr.SecretRef))
		if !ok {
			return nil, false
		}
		a := &config.MCPAuth{Type: config.MCPAuthType(cr.Type), Secret: secret}
		if cr.Name != nil {
			a.Name = string(*cr.Name)
		}
		if cr.UsernameKey != nil {
			u, ok := c.secretValue(v1alpha1.KindMCPServer, ms.Name, string(cr.SecretRef.Name), string(*cr.UsernameKey))
			if !ok {
				return nil, false
			}
			a.Username = u
		}
		out.Auth = a
	}
	return out, true
}

// document returns the OpenAPI document of ms.
func (c *compiler) document(ms *v1alpha1.MCPServer) ([]byte, bool) {
	d := ms.Spec.OpenAPI.Document
	if n := countSet(d.Inline != nil, d.ConfigMapRef != nil, d.URL != nil); n > 1 {
		c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
			"spec.openAPI.document sets %d of inline, configMapRef and url; set exactly one.", n)
		return nil, false
	}
	switch {
	case d.Inline != nil:
		return []byte(*d.Inline), true
	case d.ConfigMapRef != nil:
		ref := d.ConfigMapRef
		key := string(ref.Key)
		if key == "" {
			key = "openapi.yaml"
		}
		cm, ok := c.in.ConfigMaps[string(ref.Name)]
		if !ok || cm == nil {
			c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonConfigMapNotFound,
				"ConfigMap %q named in spec.openAPI.document.configMapRef does not exist in namespace %q; create it or fix the reference.", ref.Name, ms.Namespace)
			return nil, false
		}
		if v, ok := cm.Data[key]; ok {
			return []byte(v), true
		}
		if v, ok := cm.BinaryData[key]; ok {
			return v, true
		}
		c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonConfigMapNotFound,
			"ConfigMap %q has no key %q; add it or change spec.openAPI.document.configMapRef.key.", ref.Name, key)
		return nil, false
	case d.URL != nil:
		if b, ok := c.in.Documents[ms.Name]; ok {
			return b, true
		}
		c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonDocumentUnavailable,
			"The OpenAPI document at %s has not been fetched (see the MCPServer's status for why).", *d.URL)
		return nil, false
	}
	c.problem(v1alpha1.KindMCPServer, ms.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
		"spec.openAPI.document sets none of inline, configMapRef or url.")
	return nil, false
}

// MCPDocumentURL is the URL to fetch for ms, "" when its document is not
// fetched.
func MCPDocumentURL(ms *v1alpha1.MCPServer) string {
	if o := ms.Spec.OpenAPI; o != nil && o.Document.URL != nil {
		return string(*o.Document.URL)
	}
	return ""
}

// countSet counts the true values.
func countSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}
