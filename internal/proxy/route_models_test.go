package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// OpenRouter's "models": the fallback list, tried in order after the
// model asked for, each through the route's own attempts, never beyond
// the consumer's allowedModels.
func TestModelsFallbacks(t *testing.T) {
	down := map[string]map[string]string{"a": {"x-mock-status": "503"}, "b": {"x-mock-status": "503"}}
	t.Run("the next model serves when every backend of the first fails, and the answer names it", func(t *testing.T) {
		tr := newTrio(t, down)
		resp, body := tr.chat(t, "m", `,"models":["other"]`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "c" || resp.Header.Get(HeaderModel) != "other" {
			t.Fatalf("status %d provider %q model %q: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), resp.Header.Get(HeaderModel), body)
		}
		var v struct {
			Model    string `json:"model"`
			Provider string `json:"provider"`
		}
		if err := json.Unmarshal([]byte(body), &v); err != nil || v.Model != "other" {
			t.Errorf("answer model %q (%v): %s", v.Model, err, body)
		}
		// Route m's three attempts went to a and b first; c got the
		// public name and never the models list.
		if tr.ua.Count()+tr.ub.Count() != 3 || tr.uc.Count() != 1 {
			t.Errorf("a=%d b=%d c=%d", tr.ua.Count(), tr.ub.Count(), tr.uc.Count())
		}
		if last, _ := tr.uc.Last(); strings.Contains(string(last.Body), `"models"`) || !strings.Contains(string(last.Body), `"model":"other"`) {
			t.Errorf("c got %s", last.Body)
		}
	})
	t.Run("models without model asks for the list's first entry", func(t *testing.T) {
		tr := newTrio(t, down)
		body := strings.Replace(chatBody(false, `,"models":["m","other"]`), `"model":"m",`, "", 1)
		if strings.Contains(body, `"model"`) {
			t.Fatalf("the body still names a model: %s", body)
		}
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, nil)
		out := readAll(t, resp)
		// m is asked for (its three attempts fail), other serves.
		if resp.StatusCode != 200 || resp.Header.Get(HeaderModel) != "other" || tr.ua.Count()+tr.ub.Count() != 3 || tr.uc.Count() != 1 {
			t.Fatalf("status %d model %q a=%d b=%d c=%d: %s", resp.StatusCode, resp.Header.Get(HeaderModel), tr.ua.Count(), tr.ub.Count(), tr.uc.Count(), out)
		}
		if last, _ := tr.ua.Last(); !strings.Contains(string(last.Body), `"model":"m-a"`) || strings.Contains(string(last.Body), `"models"`) {
			t.Errorf("a got %s", last.Body)
		}
		// A null model is no model either; a list the key may not use
		// first is refused as the model asked for.
		lim := newTrioWith(t, nil, func(c *config.Config) { c.Consumers[0].AllowedModels = []string{"other"} })
		body = strings.Replace(chatBody(false, `,"models":["m","other"]`), `"model":"m"`, `"model":null`, 1)
		resp = lim.g.do(t, http.MethodPost, "/v1/chat/completions", lim.key, body, nil)
		if out := readAll(t, resp); resp.StatusCode != http.StatusForbidden || errorCode(t, out) != "model_not_allowed" || lim.ua.Count() != 0 {
			t.Errorf("not allowed: status %d a=%d: %s", resp.StatusCode, lim.ua.Count(), out)
		}
	})
	t.Run("a model that answers is the only one tried", func(t *testing.T) {
		tr := newTrio(t, nil)
		resp, body := tr.chat(t, "m", `,"models":["other"]`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderModel) != "m" || tr.uc.Count() != 0 {
			t.Errorf("status %d model %q c=%d: %s", resp.StatusCode, resp.Header.Get(HeaderModel), tr.uc.Count(), body)
		}
	})
	t.Run("models never escapes allowedModels, and nothing goes upstream", func(t *testing.T) {
		tr := newTrioWith(t, down, func(c *config.Config) { c.Consumers[0].AllowedModels = []string{"m"} })
		resp, body := tr.chat(t, "m", `,"models":["other"]`)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, `"models[0]"`) {
			t.Errorf("status %d: %s", resp.StatusCode, body)
		}
		if n := tr.ua.Count() + tr.ub.Count() + tr.uc.Count(); n != 0 {
			t.Errorf("%d upstream requests", n)
		}
		open := newTrio(t, down)
		resp, body = open.chat(t, "m", `,"models":["nope"]`)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"models[0]"`) || open.ua.Count() != 0 {
			t.Errorf("unknown fallback: status %d a=%d: %s", resp.StatusCode, open.ua.Count(), body)
		}
	})
	t.Run("every model failing answers the last failure", func(t *testing.T) {
		tr := newTrio(t, map[string]map[string]string{"a": {"x-mock-status": "503"}, "b": {"x-mock-status": "503"}, "c": {"x-mock-status": "429"}})
		resp, body := tr.chat(t, "m", `,"models":["m","other"]`)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get(HeaderProvider) != "" || tr.uc.Count() == 0 {
			t.Errorf("status %d provider %q c=%d: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), tr.uc.Count(), body)
		}
	})
	t.Run("provider preferences apply to every model of the list", func(t *testing.T) {
		tr := newTrio(t, down)
		resp, body := tr.chat(t, "m", `,"models":["other"],"provider":{"ignore":["c"]}`)
		if resp.StatusCode != http.StatusServiceUnavailable || tr.uc.Count() != 0 {
			t.Errorf("status %d c=%d: %s", resp.StatusCode, tr.uc.Count(), body)
		}
	})
	t.Run("a stream falls back before its first byte", func(t *testing.T) {
		tr := newTrio(t, down)
		body := chatBody(true, `,"models":["other"]`)
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, nil)
		out := readAll(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "c" || !strings.Contains(out, "[DONE]") {
			t.Errorf("status %d provider %q: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), out)
		}
	})
	t.Run("a fallback is admitted against its own model's limits", func(t *testing.T) {
		tr := newTrioWith(t, down, func(c *config.Config) {
			c.Policies = []config.Policy{{Name: "one-other", Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 1, Models: []string{"other"}}}}}
			c.Consumers[0].Policies = []string{"one-other"}
		})
		if resp, body := tr.chat(t, "m", `,"models":["other"]`); resp.StatusCode != 200 || tr.uc.Count() != 1 {
			t.Fatalf("first: status %d c=%d: %s", resp.StatusCode, tr.uc.Count(), body)
		}
		// other's one request is spent: the second call answers m's own
		// failure and never reaches c.
		resp, body := tr.chat(t, "m", `,"models":["other"]`)
		if resp.StatusCode != http.StatusServiceUnavailable || tr.uc.Count() != 1 {
			t.Errorf("second: status %d c=%d: %s", resp.StatusCode, tr.uc.Count(), body)
		}
	})
}
