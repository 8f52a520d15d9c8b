package compile

import (
	"cmp"
	"sort"
	"strings"

	"github.com/tollgate-dev/tollgate/api/v1alpha1"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	_ "github.com/tollgate-dev/tollgate/internal/providers/vendors" // every vendor's default endpoint
)

// catalogue indexes the compiled providers' models.
type catalogue struct {
	// byProvider maps provider name → model name → model.
	byProvider map[string]map[string]config.Model
	// servers maps a public model name → providers serving it, in order.
	servers map[string][]string
	names   []string // provider names in order
}

// providers selects the gateway's ModelProviders, resolves their
// credentials and builds the catalogue. A provider whose credentials cannot
// be resolved is left out.
func (c *compiler) providers(cfg *config.Config) *catalogue {
	gw := c.in.Gateway
	cat := &catalogue{byProvider: map[string]map[string]config.Model{}, servers: map[string][]string{}}
	list := append([]v1alpha1.ModelProvider(nil), c.in.Providers...)
	sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	for i := range list {
		mp := &list[i]
		if mp.DeletionTimestamp != nil {
			continue
		}
		ok, err := selects(gw.Spec.ProviderSelector, mp.Labels)
		if err != nil {
			c.problem(v1alpha1.KindAIGateway, gw.Name, v1alpha1.ConditionAccepted, v1alpha1.ReasonInvalid,
				"spec.providerSelector is not a valid label selector: %v.", err)
			return cat
		}
		if !ok {
			continue
		}
		p, ok := c.provider(mp)
		if !ok {
			continue
		}
		cfg.Providers = append(cfg.Providers, p)
		cat.names = append(cat.names, p.Name)
		models := map[string]config.Model{}
		for _, m := range mp.Spec.Models {
			cm := config.Model{
				Name:          string(m.Name),
				Provider:      p.Name,
				UpstreamModel: string(m.Name),
			}
			if m.UpstreamModel != nil {
				cm.UpstreamModel = string(*m.UpstreamModel)
			}
			if m.ContextWindow != nil {
				cm.ContextWindow = *m.ContextWindow
			}
			if m.MaxOutputTokens != nil {
				cm.MaxOutputTokens = *m.MaxOutputTokens
			}
			if pr := m.Pricing; pr != nil {
				cm.Pricing = config.Pricing{
					InputPerMillion:       decimal(pr.InputPerMillion),
					OutputPerMillion:      decimal(pr.OutputPerMillion),
					CachedInputPerMillion: decimal(pr.CachedInputPerMillion),
					CacheWritePerMillion:  decimal(pr.CacheWritePerMillion),
				}
			}
			for _, cp := range m.Capabilities {
				cm.Capabilities = append(cm.Capabilities, config.Capability(cp))
			}
			for _, rp := range m.SupportedParameters {
				cm.SupportedParameters = append(cm.SupportedParameters, string(rp))
			}
			models[cm.Name] = cm
			cat.servers[cm.Name] = append(cat.servers[cm.Name], p.Name)
		}
		for _, name := range Discovered(mp) {
			cm := config.Model{Name: name, Provider: p.Name, UpstreamModel: name}
			models[name] = cm
			cat.servers[name] = append(cat.servers[name], p.Name)
		}
		cat.byProvider[p.Name] = models
	}
	return cat
}

// provider compiles one ModelProvider, resolving its Secrets.
func (c *compiler) provider(mp *v1alpha1.ModelProvider) (config.Provider, bool) {
	s := mp.Spec
	p := Provider(mp)
	ok := true
	if s.Credentials != nil {
		key, found := c.secretValue(v1alpha1.KindModelProvider, mp.Name, string(s.Credentials.SecretRef.Name), DataKey(&s.Credentials.SecretRef))
		p.APIKey, ok = key, found
	} else if rules, _ := config.Rules(p.Type); rules.NeedsKey {
		c.problem(v1alpha1.KindModelProvider, mp.Name, v1alpha1.ConditionResolvedRefs, v1alpha1.ReasonSecretNotFound,
			"ModelProvider %q of type %s has no spec.credentials.secretRef; add a Secret with the vendor API key and reference it.", mp.Name, s.Type)
		ok = false
	}
	if b := s.Bedrock; b != nil && b.SecretRef != nil {
		ref := b.SecretRef
		id, ok1 := c.secretValue(v1alpha1.KindModelProvider, mp.Name, string(ref.Name), cmp.Or(string(ref.AccessKeyIDKey), "accessKeyID"))
		secret, ok2 := c.secretValue(v1alpha1.KindModelProvider, mp.Name, string(ref.Name), cmp.Or(string(ref.SecretAccessKeyKey), "secretAccessKey"))
		p.Bedrock.AccessKeyID, p.Bedrock.SecretAccessKey = id, secret
		ok = ok && ok1 && ok2
		if ref.SessionTokenKey != nil {
			tok, ok3 := c.secretValue(v1alpha1.KindModelProvider, mp.Name, string(ref.Name), string(*ref.SessionTokenKey))
			p.Bedrock.SessionToken = tok
			ok = ok && ok3
		}
	}
	return p, ok
}

// Provider is mp compiled without its secrets: name, type, endpoint
// (defaulted), headers, timeouts and settings blocks. Compile adds the
// credentials; the operator's discovery calls the vendor with it.
func Provider(mp *v1alpha1.ModelProvider) config.Provider {
	s := mp.Spec
	p := config.Provider{
		Name:                mp.Name,
		Type:                config.ProviderType(s.Type),
		AllowPrivateNetwork: s.AllowPrivateNetwork,
		Endpoint:            ProviderEndpoint(mp),
	}
	for _, h := range s.Headers {
		if p.Headers == nil {
			p.Headers = map[string]string{}
		}
		p.Headers[string(h.Name)] = h.Value
	}
	if t := s.Timeouts; t != nil {
		p.Timeouts = config.Timeouts{Connect: dur(t.Connect), FirstToken: dur(t.FirstToken), Idle: dur(t.Idle), Request: dur(t.Request)}
	}
	if s.MaxConcurrentRequests != nil {
		p.MaxConcurrentRequests = int(*s.MaxConcurrentRequests)
	}
	for _, api := range s.NativeAPIs {
		// The contract's names are the API paths' ("responses"); an
		// unknown value is copied for config.Validate to refuse.
		p.NativeAPIs = append(p.NativeAPIs, strings.ToLower(string(api)))
	}
	if s.Azure != nil {
		p.Azure = &config.AzureSettings{APIVersion: s.Azure.APIVersion}
	}
	if s.Anthropic != nil {
		p.Anthropic = &config.AnthropicSettings{Version: s.Anthropic.Version}
	}
	if s.Mock != nil {
		p.Mock = &config.MockSettings{Latency: dur(s.Mock.Latency), ChunkDelay: dur(s.Mock.ChunkDelay), Reply: s.Mock.Reply}
	} else if s.Type == v1alpha1.ProviderMock {
		p.Mock = &config.MockSettings{}
	}
	if b := s.Bedrock; b != nil {
		p.Bedrock = &config.BedrockSettings{Region: b.Region}
	}
	return p
}

// ProviderEndpoint is mp's API base: spec.endpoint, else the default its
// vendor package registered (empty for types without one).
func ProviderEndpoint(mp *v1alpha1.ModelProvider) string {
	if e := mp.Spec.Endpoint; e != nil && *e != "" {
		return string(*e)
	}
	return providers.DefaultEndpoint(config.ProviderType(mp.Spec.Type))
}

// Discovered returns the models the operator discovered for mp
// (status.discoveredModels) that spec.models does not list: an entry of
// spec.models always wins, since it carries pricing and capabilities.
// Nothing is returned while discovery is off.
func Discovered(mp *v1alpha1.ModelProvider) []string {
	if d := mp.Spec.Discovery; d == nil || !d.Enabled {
		return nil
	}
	listed := make(map[v1alpha1.ModelName]bool, len(mp.Spec.Models))
	for _, m := range mp.Spec.Models {
		listed[m.Name] = true
	}
	var out []string
	for _, n := range mp.Status.DiscoveredModels {
		if !listed[n] {
			listed[n] = true
			out = append(out, string(n))
		}
	}
	return out
}
