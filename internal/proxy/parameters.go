package proxy

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// backendParams is the request parameters a backend honours: its own
// list, else its catalogue model's, else its provider type's defaults.
func backendParams(cfg *config.Config, b config.Backend, vendor config.ProviderType, public string) []string {
	if len(b.SupportedParameters) > 0 {
		return b.SupportedParameters
	}
	for _, m := range cfg.Models {
		if m.Provider == b.Provider && (m.UpstreamModel == b.UpstreamModel || (b.UpstreamModel == "" && m.Name == public)) &&
			len(m.SupportedParameters) > 0 {
			return m.SupportedParameters
		}
	}
	return config.DefaultParameters(vendor)
}

// paramAliases maps request members to the parameter they set, in each
// API's own words; a member not listed (messages, stream, metadata...) is
// no parameter.
var paramAliases = map[string]string{
	"max_tokens": config.ParamMaxTokens, "max_completion_tokens": config.ParamMaxTokens, "max_output_tokens": config.ParamMaxTokens,
	"reasoning_effort": config.ParamReasoning, "reasoning": config.ParamReasoning, "thinking": config.ParamReasoning,
	"stop_sequences": config.ParamStop,
}

// requestParameters lists the parameters a request sets (null members
// set none), sorted: from its canonical body, else its native one.
func requestParameters(p *parsed) []string {
	body := p.body
	if body == nil {
		body = p.native
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return nil
	}
	set := map[string]bool{}
	for k, v := range top {
		if string(v) == "null" {
			continue
		}
		name, ok := paramAliases[k]
		if !ok && slices.Contains(config.RequestParameters, k) {
			name, ok = k, true
		}
		if !ok {
			continue
		}
		set[name] = true
		if k == "response_format" {
			var rf struct {
				Type string `json:"type"`
			}
			if json.Unmarshal(v, &rf) == nil && rf.Type == "json_schema" {
				set[config.ParamStructuredOutputs] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// supports reports whether b honours every parameter in sent.
func (b *backend) supports(sent []string) bool {
	for _, s := range sent {
		if !slices.Contains(b.params, s) {
			return false
		}
	}
	return true
}

// noBackendError answers preferences that left none of rt's backends: a
// 400 naming the parameters when require_parameters is why, else 404.
func (p *providerPrefs) noBackendError(rt *route, s *Server, sortBy, model string) *apiError {
	if p != nil && p.RequireParameters && rt != nil {
		loose := *p
		loose.RequireParameters = false
		if loose.apply(rt, s, sortBy) != nil {
			return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "unsupported_parameters", Param: "provider.require_parameters",
				Message: "No backend of the model '" + truncate(model, 128) + "' supports every parameter this request sets (" +
					strings.Join(p.sent, ", ") + "); drop one or route without provider.require_parameters."}
		}
	}
	if p != nil && p.maxPrice != nil && rt != nil {
		loose := *p
		loose.maxPrice = nil
		if loose.apply(rt, s, sortBy) != nil {
			return &apiError{Status: http.StatusNotFound, Type: "invalid_request_error", Code: "no_provider_matches", Param: "provider.max_price",
				Message: "No backend of the model '" + truncate(model, 128) + "' has a known price within provider.max_price (" + p.maxPrice.String() + ")."}
		}
	}
	return errNoPreferredBackend(model)
}
