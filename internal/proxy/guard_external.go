package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/guardrail"
)

// maxModerationAnswer bounds a moderation answer read.
const maxModerationAnswer = 1 << 20

// checkExternal runs the call's external checks on the (masked) request
// text: OpenAI's /moderations through one of the gateway's own providers.
// A flagged text is refused; a check that fails or runs out of time
// refuses the request too unless the check fails open.
func (c *call) checkExternal(p *parsed) *apiError {
	g := c.guard
	if g == nil || len(g.external) == 0 || p.body == nil {
		return nil
	}
	text := requestText(p.body)
	if text == "" {
		return nil
	}
	for i, ex := range g.external {
		name := g.externalNames[i]
		flagged, err := c.moderate(ex, text)
		switch {
		case err != nil:
			action, outcome := guardrail.Block, "error"
			if ex.FailOpen {
				action = guardrail.Log
			}
			if errors.Is(err, context.DeadlineExceeded) {
				outcome = "timeout"
			}
			g.hits = append(g.hits, guardHit{Hit: guardrail.Hit{Group: name, Label: "external_" + outcome, Action: action, Count: 1}, phase: "external"})
			c.errDetail = "guardrail " + name + ": " + redact(err.Error(), c.sn.upstreams[ex.Provider].redacted)
			if !ex.FailOpen {
				return &apiError{Status: http.StatusServiceUnavailable, Type: "server_error", Code: "guardrail_unavailable",
					Message: "The guardrail '" + name + "' could not check the request (" + outcome + "); retry later."}
			}
		case flagged != "":
			g.hits = append(g.hits, guardHit{Hit: guardrail.Hit{Group: name, Label: "external", Action: guardrail.Block, Count: 1}, phase: "external"})
			return guardrailBlocked(name, "external: "+flagged)
		}
	}
	return nil
}

// moderate asks ex's provider whether text is flagged: "" when not, else
// the flagged categories.
func (c *call) moderate(ex *config.ExternalCheck, text string) (string, error) {
	up := c.sn.upstreams[ex.Provider]
	var prov *config.Provider
	for i := range c.sn.cfg.Providers {
		if c.sn.cfg.Providers[i].Name == ex.Provider {
			prov = &c.sn.cfg.Providers[i]
		}
	}
	if up == nil || prov == nil {
		return "", fmt.Errorf("provider %q is not in the config", ex.Provider)
	}
	if prov.Type != config.ProviderOpenAI && prov.Type != config.ProviderOpenAICompatible {
		return "", fmt.Errorf("provider %q is not OpenAI or OpenAICompatible: it has no /moderations", ex.Provider)
	}
	timeout := ex.Timeout.Duration
	if timeout <= 0 {
		timeout = config.DefaultExternalTimeout
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), timeout)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"model": ex.Model, "input": text}) // plain values: cannot fail
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(prov.Endpoint, "/")+"/moderations", bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("moderation request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if prov.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+prov.APIKey)
	}
	resp, err := up.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", fmt.Errorf("moderation: %w", ctx.Err())
		}
		return "", fmt.Errorf("moderation: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxModerationAnswer))
	if err != nil {
		return "", fmt.Errorf("moderation answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("moderation answered %d", resp.StatusCode)
	}
	var v struct {
		Results []struct {
			Flagged    bool            `json:"flagged"`
			Categories map[string]bool `json:"categories"`
		} `json:"results"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || len(v.Results) == 0 {
		return "", errors.New("moderation answer is not a moderation object")
	}
	var flagged []string
	for _, r := range v.Results {
		if !r.Flagged {
			continue
		}
		for k, on := range r.Categories {
			if on {
				flagged = append(flagged, k)
			}
		}
		if len(flagged) == 0 {
			flagged = append(flagged, "flagged")
		}
	}
	return strings.Join(flagged, ","), nil
}

// requestText is the text of a canonical request's messages and input,
// one per line.
func requestText(body []byte) string {
	var b strings.Builder
	m := guardrail.NewMasker(nil, nil)
	_, _ = maskRequest(body, m) // no rule: only visits
	for _, t := range m.Seen() {
		b.WriteString(t)
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
