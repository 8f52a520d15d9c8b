package proxy

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"path"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/guardrail"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// guard is one compiled guardrail of a snapshot.
type guard struct {
	name      string
	models    []string
	consumers map[string]bool
	req, ans  *guardrail.Set
	external  *config.ExternalCheck
}

func buildGuards(cfg *config.Config) ([]*guard, error) {
	var out []*guard
	for _, g := range cfg.Guardrails {
		rules := config.GuardrailRules(g.Rules)
		answers := config.GuardrailRules(g.Answers)
		for i := range rules {
			rules[i].Group = g.Name
		}
		for i := range answers {
			answers[i].Group = g.Name
		}
		req, err := guardrail.Compile(rules)
		if err != nil {
			return nil, fmt.Errorf("guardrail %s: %w", g.Name, err)
		}
		ans, err := guardrail.Compile(answers)
		if err != nil {
			return nil, fmt.Errorf("guardrail %s answers: %w", g.Name, err)
		}
		gd := &guard{name: g.Name, models: g.Models, req: req, ans: ans, external: g.External}
		if len(g.Consumers) > 0 {
			gd.consumers = map[string]bool{}
			for _, c := range g.Consumers {
				gd.consumers[c] = true
			}
		}
		out = append(out, gd)
	}
	return out, nil
}

func (g *guard) applies(consumer, model string) bool {
	if g.consumers != nil && !g.consumers[consumer] {
		return false
	}
	return matchesAny(g.models, model)
}

// matchesAny reports whether model matches one of globs (every model when
// there is none).
func matchesAny(globs []string, model string) bool {
	if len(globs) == 0 {
		return true
	}
	for _, p := range globs {
		if ok, _ := path.Match(p, model); ok || p == model {
			return true
		}
	}
	return false
}

// callGuard is the guardrails of one call: the request's masker, what
// restores its placeholders in the answer, and the answer's rules.
type callGuard struct {
	names         []string
	masker        *guardrail.Masker
	restorer      *guardrail.Restorer
	answers       *guardrail.Set
	external      []*config.ExternalCheck
	externalNames []string
	// hits are every finding, by phase, for metrics and the access log.
	hits []guardHit
	// streamRed is the redactor of a streamed answer, its hits noted with
	// the call's when it is logged.
	streamRed *guardrail.Masker
}

type guardHit struct {
	guardrail.Hit
	phase string
}

// placeholderKey is the key of a consumer's placeholders: the hash of its
// first key (secret to the gateway, stable across replicas and reloads,
// so a conversation's placeholders stay the same turn after turn), or the
// process's own random key when clients are anonymous.
func (s *Server) placeholderKey(cons *consumer) []byte {
	if cons != nil && len(cons.cfg.Keys) > 0 {
		return []byte("tollgate-placeholder\x00" + cons.cfg.Keys[0].SHA256)
	}
	return s.anonKey
}

func newAnonKey() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}

// guardRequest applies the guardrails of (consumer, model) to the
// request: masks its text in place, or refuses it; nil when it may go on.
func (c *call) guardRequest(cons *consumer, model string, p *parsed) *apiError {
	var reqs, ans []*guardrail.Set
	g := &callGuard{}
	for _, gd := range c.sn.guards {
		if !gd.applies(c.consumer, model) {
			continue
		}
		g.names = append(g.names, gd.name)
		reqs, ans = append(reqs, gd.req), append(ans, gd.ans)
		if gd.external != nil {
			g.external = append(g.external, gd.external)
			g.externalNames = append(g.externalNames, gd.name)
		}
	}
	if len(g.names) == 0 {
		return nil
	}
	c.guard = g
	if a := guardrail.Join(ans...); !a.Empty() {
		g.answers = a
	}
	set := guardrail.Join(reqs...)
	if set.Empty() && g.answers == nil {
		return nil
	}
	if p.body == nil {
		// Only a native backend reads this body: the gateway cannot
		// inspect it, so it is not sent.
		return badRequest("This request cannot be checked by the gateway's guardrails; send it in the chat completions form.", "")
	}
	// The answer is checked in the canonical form: a native relay would
	// send the vendor's own.
	p.native = nil
	if set.Empty() {
		return nil
	}
	g.masker = guardrail.NewMasker(set, c.s.placeholderKey(cons))
	body, err := maskRequest(p.body, g.masker)
	g.note(g.masker, "request")
	if err != nil {
		return badRequest("The request body could not be checked by the guardrails.", "")
	}
	if grp, label := g.masker.BlockedBy(); label != "" {
		return guardrailBlocked(grp, label)
	}
	if !bytes.Equal(body, p.body) {
		f, err := openai.Scan(body)
		if err != nil {
			return badRequest("The request body could not be checked by the guardrails.", "")
		}
		p.body, p.fields = body, f
	}
	g.restorer = g.masker.Restorer()
	return nil
}

func guardrailBlocked(group, label string) *apiError {
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "guardrail_blocked",
		Message: "The request was blocked by guardrail '" + group + "' (rule '" + label + "')."}
}

// note counts m's hits under phase.
func (g *callGuard) note(m *guardrail.Masker, phase string) {
	for _, h := range m.Hits() {
		g.hits = append(g.hits, guardHit{Hit: h, phase: phase})
	}
}

// record counts the call's hits in the metrics, and returns them for the
// access log as guardrail/rule:action:phase=count (never a value).
func (g *callGuard) record(s *Server) string {
	if g != nil && g.streamRed != nil {
		g.note(g.streamRed, "answer")
		g.streamRed = nil
	}
	if g == nil || len(g.hits) == 0 {
		return ""
	}
	var b strings.Builder
	for i, h := range g.hits {
		s.m.GuardrailHits.WithLabelValues(h.Group, h.Label, string(h.Action), h.phase).Add(float64(h.Count))
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s/%s:%s:%s=%d", h.Group, h.Label, strings.ToLower(string(h.Action)), h.phase, h.Count)
	}
	return b.String()
}

// decodeJSON decodes b keeping numbers as they were written.
func decodeJSON(b []byte) (any, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeJSON encodes v without HTML escaping (what was sent stays spelt
// as it was).
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// maskRequest masks the text of a canonical request: each message's
// content (a string or text parts), each tool call's arguments, and an
// embeddings input. Reasoning (reasoning_content, signed by
// reasoning_encrypted_content) is never touched: a changed thinking
// block would fail its signature.
func maskRequest(body []byte, m *guardrail.Masker) ([]byte, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, err
	}
	obj, _ := v.(map[string]any)
	if obj == nil {
		return body, nil
	}
	changed := false
	text := func(s string) string {
		out := m.Text(s)
		if out != s {
			changed = true
		}
		return out
	}
	msgs, _ := obj["messages"].([]any)
	for _, mv := range msgs {
		msg, _ := mv.(map[string]any)
		if msg == nil {
			continue
		}
		switch ct := msg["content"].(type) {
		case string:
			msg["content"] = text(ct)
		case []any:
			for _, pv := range ct {
				if part, _ := pv.(map[string]any); part != nil {
					if t, ok := part["text"].(string); ok {
						part["text"] = text(t)
					}
				}
			}
		}
		calls, _ := msg["tool_calls"].([]any)
		for _, tv := range calls {
			if fn := toolFunction(tv); fn != nil {
				if a, ok := fn["arguments"].(string); ok {
					fn["arguments"] = text(a)
				}
			}
		}
	}
	switch in := obj["input"].(type) {
	case string:
		obj["input"] = text(in)
	case []any:
		for i, x := range in {
			if s, ok := x.(string); ok {
				in[i] = text(s)
			}
		}
	}
	if !changed {
		return body, nil
	}
	return encodeJSON(obj)
}

func toolFunction(tv any) map[string]any {
	tc, _ := tv.(map[string]any)
	if tc == nil {
		return nil
	}
	fn, _ := tc["function"].(map[string]any)
	return fn
}

// jsonInString spells a value for inside a JSON string (tool-call
// arguments are JSON text: a restored value there is escaped once more).
func jsonInString(v string) string {
	b, err := json.Marshal(v)
	if err != nil || len(b) < 2 {
		return v
	}
	return string(b[1 : len(b)-1])
}

// guardAnswer restores the request's placeholders in a canonical
// non-streamed chat answer and applies the answer rules; a non-nil error
// refuses the answer. Only the texts that change are rewritten: the rest
// of the answer keeps the upstream's bytes.
func (c *call) guardAnswer(answer []byte) ([]byte, *providers.Error) {
	g := c.guard
	if g == nil || (g.restorer == nil && g.answers == nil) {
		return answer, nil
	}
	v, err := decodeJSON(answer)
	if err != nil {
		return answer, nil //nolint:nilerr // not JSON: the translation after this says so
	}
	obj, _ := v.(map[string]any)
	choices, _ := obj["choices"].([]any)
	var red *guardrail.Masker
	if g.answers != nil {
		red = guardrail.NewRedactor(g.answers)
	}
	var ed jsonEdits
	fix := func(path, s string, esc func(string) string) string {
		out := g.restorer.String(s, esc)
		if red != nil {
			out = red.Text(out)
		}
		if out != s {
			ed.setString(path, out)
		}
		return out
	}
	for i, cv := range choices {
		ch, _ := cv.(map[string]any)
		msg, _ := ch["message"].(map[string]any)
		if msg == nil {
			continue
		}
		if s, ok := msg["content"].(string); ok {
			msg["content"] = fix(jsonPath("choices", i, "message", "content"), s, nil)
		}
		calls, _ := msg["tool_calls"].([]any)
		for j, tv := range calls {
			if fn := toolFunction(tv); fn != nil {
				if a, ok := fn["arguments"].(string); ok {
					fn["arguments"] = fix(jsonPath("choices", i, "message", "tool_calls", j, "function", "arguments"), a, jsonInString)
				}
			}
		}
	}
	if red != nil {
		g.note(red, "answer")
		if grp, label := red.BlockedBy(); label != "" {
			return nil, answerBlocked(grp, label)
		}
	}
	return ed.rewrite(answer, obj), nil
}

// answerBlocked is the error of an answer an answer rule blocked.
func answerBlocked(group, label string) *providers.Error {
	return &providers.Error{Status: http.StatusBadGateway, Type: "server_error", Code: "guardrail_blocked",
		Message: "The answer was blocked by guardrail '" + group + "' (rule '" + label + "').", Class: providers.ClassFatal}
}
