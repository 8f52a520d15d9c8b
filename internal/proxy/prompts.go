package proxy

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// templateMember is the request member that invokes a prompt template.
const templateMember = "prompt_template"

// templateCall is a request's invocation of a prompt template.
type templateCall struct {
	Name      string            `json:"name"`
	Variables map[string]string `json:"variables"`
}

// takeTemplate reads and removes the request's prompt_template member
// (in any client API): what is parsed and sent upstream is the body
// without it.
func takeTemplate(body []byte) ([]byte, *templateCall, *apiError) {
	if !bytes.Contains(body, []byte(`"`+templateMember+`"`)) {
		return body, nil, nil
	}
	if aerr := checkJSON(body); aerr != nil {
		return nil, nil, aerr
	}
	out, found, err := openai.Strip(body, templateMember)
	if err != nil {
		return nil, nil, invalidBody(err)
	}
	raw, ok := found[templateMember]
	if !ok || string(raw) == "null" {
		return out, nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	var tc templateCall
	if err := d.Decode(&tc); err != nil || tc.Name == "" {
		return nil, nil, badRequest(`"prompt_template" must be {"name": "...", "variables": {"name": "value", ...}} with string values.`, templateMember)
	}
	return out, &tc, nil
}

// render is the template's text for tc's variables; an error names what
// is missing or unknown.
func render(t *config.PromptTemplate, tc *templateCall) (string, *apiError) {
	for _, v := range t.Variables {
		if _, ok := tc.Variables[v]; !ok {
			return "", badRequest("The prompt template '"+t.Name+"' needs the variable '"+v+"'.", templateMember+".variables")
		}
	}
	var unknown []string
	for k := range tc.Variables {
		if !containsString(t.Variables, k) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return "", badRequest("The prompt template '"+t.Name+"' has no variable '"+truncate(unknown[0], 64)+"'.", templateMember+".variables")
	}
	// One pass: a value that itself looks like {{name}} is not expanded.
	return config.TemplateVar.ReplaceAllStringFunc(t.Template, func(m string) string {
		return tc.Variables[m[2:len(m)-2]]
	}), nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// applyPrompts renders the invoked template as the request's last user
// message and adds the decorators of model to its system prompt, in the
// canonical request (so every client API gets them); nil when the
// request may go on.
func (c *call) applyPrompts(model string, tc *templateCall, p *parsed) *apiError {
	pr := &c.sn.cfg.Prompts
	var pre, post []string
	for _, d := range pr.Decorators {
		if matchesAny(d.Models, model) {
			if d.Prepend != "" {
				pre = append(pre, d.Prepend)
			}
			if d.Append != "" {
				post = append(post, d.Append)
			}
		}
	}
	var text string
	if tc != nil {
		i := -1
		for j := range pr.Templates {
			if pr.Templates[j].Name == tc.Name {
				i = j
			}
		}
		if i < 0 {
			return badRequest("There is no prompt template '"+truncate(tc.Name, 64)+"' on this gateway.", templateMember+".name")
		}
		var aerr *apiError
		if text, aerr = render(&pr.Templates[i], tc); aerr != nil {
			return aerr
		}
	}
	if tc == nil && len(pre)+len(post) == 0 {
		return nil
	}
	if p.op != providers.OpChat || p.body == nil {
		return badRequest("Prompt templates and decorators apply to chat requests in a form the gateway can read.", "")
	}
	v, err := decodeJSON(p.body)
	obj, _ := v.(map[string]any)
	msgs, ok := obj["messages"].([]any)
	if err != nil || !ok {
		return badRequest("The request has no messages to add the prompt to.", "messages")
	}
	if len(pre)+len(post) > 0 {
		msgs = decorate(msgs, strings.Join(pre, "\n\n"), strings.Join(post, "\n\n"))
	}
	if tc != nil {
		msgs = append(msgs, map[string]any{"role": "user", "content": text})
	}
	obj["messages"] = msgs
	body, err := encodeJSON(obj)
	if err != nil {
		return badRequest("The request could not be given its prompt.", "")
	}
	f, err := openai.Scan(body)
	if err != nil {
		return badRequest("The request could not be given its prompt.", "")
	}
	p.body, p.fields, p.estimate = body, f, limits.EstimateTokens(body)
	// The decorated canonical body is the one that goes upstream: a
	// native relay would send the client's own.
	p.native = nil
	return nil
}

// decorate puts pre before and post after the system prompt of msgs (the
// first system or developer message; a system message of its own at the
// start when there is none).
func decorate(msgs []any, pre, post string) []any {
	for _, mv := range msgs {
		m, _ := mv.(map[string]any)
		if m == nil || (m["role"] != "system" && m["role"] != "developer") {
			continue
		}
		switch ct := m["content"].(type) {
		case string:
			m["content"] = joinNonEmpty(pre, ct, post)
			return msgs
		case []any:
			var parts []any
			if pre != "" {
				parts = append(parts, map[string]any{"type": "text", "text": pre})
			}
			parts = append(parts, ct...)
			if post != "" {
				parts = append(parts, map[string]any{"type": "text", "text": post})
			}
			m["content"] = parts
			return msgs
		}
	}
	return append([]any{map[string]any{"role": "system", "content": joinNonEmpty(pre, post)}}, msgs...)
}

func joinNonEmpty(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "\n\n")
}
