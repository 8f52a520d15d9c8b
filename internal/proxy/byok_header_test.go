package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// A request's own vendor key in X-Tollgate-Provider-Key, where the
// AIGateway accepts it: the call to that provider carries it (byok,
// $0), it is removed from what goes upstream and scrubbed from the
// answer and every log line; elsewhere the header is refused in the
// client API's shape and nothing goes upstream.
func TestBYOKHeaderKey(t *testing.T) {
	const own = "sk-header-key-of-team-a"
	// The mock echoes the prompt: a prompt holding the key shows it is
	// scrubbed from the answer.
	body := strings.Replace(chatBody(false, `,"provider":{"only":["b"]}`), "one two three", "my key is "+own, 1)
	hdr := map[string]string{HeaderProviderKey: "b=" + own, "x-mock-usage": mockUsage["x-mock-usage"]}
	t.Run("accepted where the gateway opts in for the provider and the consumer", func(t *testing.T) {
		tr := newTrioWith(t, nil, func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}, Consumers: []string{c.Consumers[0].Name}}
		})
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, hdr)
		out := readAll(t, resp)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderBYOK) != "true" || resp.Header.Get(HeaderCost) != "0" || !strings.Contains(out, `"is_byok":true`) {
			t.Fatalf("status %d byok %q cost %q: %s", resp.StatusCode, resp.Header.Get(HeaderBYOK), resp.Header.Get(HeaderCost), out)
		}
		last, _ := tr.ub.Last()
		if got := last.Header.Get("Authorization"); got != "Bearer "+own {
			t.Errorf("b got Authorization %q", got)
		}
		if last.Header.Get(HeaderProviderKey) != "" {
			t.Errorf("the header went upstream")
		}
		if strings.Contains(out, own) || !strings.Contains(out, redactedMark) {
			t.Errorf("the answer shows the key: %s", out)
		}
		// The next request without the header is the provider's own.
		resp = tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, chatBody(false, `,"provider":{"only":["b"]}`), nil)
		if out := readAll(t, resp); resp.StatusCode != 200 || resp.Header.Get(HeaderBYOK) != "" {
			t.Errorf("without the header: status %d byok %q: %s", resp.StatusCode, resp.Header.Get(HeaderBYOK), out)
		}
		if last, _ := tr.ub.Last(); last.Header.Get("Authorization") == "Bearer "+own {
			t.Errorf("the key outlived its request")
		}
		if logs := tr.g.logs.String(); strings.Contains(logs, own) || !strings.Contains(logs, `"byok":true`) {
			t.Errorf("logs hold the key or miss the byok flag:\n%s", logs)
		}
	})
	t.Run("a consumer with a Secret-held key for the provider may send one", func(t *testing.T) {
		tr := newTrioWith(t, nil, func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}}
			c.Consumers[0].BYOK = []config.BYOKKey{{Provider: "b", APIKey: "sk-secret-held"}}
		})
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, hdr)
		if out := readAll(t, resp); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, out)
		}
		if last, _ := tr.ub.Last(); last.Header.Get("Authorization") != "Bearer "+own {
			t.Errorf("b got Authorization %q", last.Header.Get("Authorization"))
		}
	})
	refused := []struct {
		name   string
		edit   func(*config.Config)
		header string
		status int
		code   string
	}{
		{"the gateway does not opt in", nil, "b=" + own, http.StatusForbidden, "provider_key_not_allowed"},
		{"the gateway opts in for another provider", func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"a"}, Consumers: []string{c.Consumers[0].Name}}
		}, "b=" + own, http.StatusForbidden, "provider_key_not_allowed"},
		{"the consumer is not allowed", func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}, Consumers: []string{"someone-else"}}
		}, "b=" + own, http.StatusForbidden, "provider_key_not_allowed"},
		{"a malformed header", func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}, Consumers: []string{c.Consumers[0].Name}}
		}, own, http.StatusBadRequest, "invalid_provider_key"},
		{"a provider named twice", func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}, Consumers: []string{c.Consumers[0].Name}}
		}, "b=" + own + ", b=sk-other", http.StatusBadRequest, "invalid_provider_key"},
		{"an empty key", func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}, Consumers: []string{c.Consumers[0].Name}}
		}, "b=", http.StatusBadRequest, "invalid_provider_key"},
		{"more than 16 entries", func(c *config.Config) {
			c.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"b"}, Consumers: []string{c.Consumers[0].Name}}
		}, "b=" + own + strings.Repeat(",x=y", 5000), http.StatusBadRequest, "invalid_provider_key"},
	}
	for _, rc := range refused {
		t.Run("refused: "+rc.name, func(t *testing.T) {
			tr := newTrioWith(t, nil, rc.edit)
			h := map[string]string{HeaderProviderKey: rc.header}
			resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, h)
			out := readAll(t, resp)
			if resp.StatusCode != rc.status || errorCode(t, out) != rc.code || strings.Contains(out, own) {
				t.Errorf("chat: status %d: %s", resp.StatusCode, out)
			}
			// The README shows this answer (for provider openai).
			const notOptedIn = `{"error":{"message":"This gateway accepts no own key in X-Tollgate-Provider-Key for provider 'b'.",` +
				`"type":"permission_error","param":null,"code":"provider_key_not_allowed"}}`
			if rc.edit == nil && strings.TrimSpace(out) != notOptedIn {
				t.Errorf("chat: got %s, want %s", out, notOptedIn)
			}
			// In the Messages API's shape on /v1/messages.
			h["anthropic-version"] = "2023-06-01"
			resp = tr.g.do(t, http.MethodPost, messagesPath, tr.key, `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`, h)
			out = readAll(t, resp)
			if resp.StatusCode != rc.status || !strings.HasPrefix(out, `{"type":"error","error":{"type":"`) || strings.Contains(out, own) {
				t.Errorf("messages: status %d: %s", resp.StatusCode, out)
			}
			if n := tr.ua.Count() + tr.ub.Count() + tr.uc.Count(); n != 0 {
				t.Errorf("%d upstream requests", n)
			}
			if logs := tr.g.logs.String(); strings.Contains(logs, own) {
				t.Errorf("logs hold the key:\n%s", logs)
			}
		})
	}
}
