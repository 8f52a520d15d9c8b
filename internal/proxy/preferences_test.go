package proxy

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// trio is route "m" over a (tier 0, dear), b (tier 1, cheap), and a
// provider c that the route lacks (it serves route "other").
type trio struct {
	g          *gw
	key        string
	ua, ub, uc *mockup.Server
}

func newTrio(t *testing.T, faults map[string]map[string]string) *trio {
	t.Helper()
	return newTrioWith(t, faults, nil)
}

// newTrioWith is newTrio with edit applied to the config before it starts.
func newTrioWith(t *testing.T, faults map[string]map[string]string, edit func(*config.Config)) *trio {
	t.Helper()
	tr := &trio{ua: mockup.New(t), ub: mockup.New(t), uc: mockup.New(t)}
	provs := []config.Provider{upstreamProvider("a", tr.ua), upstreamProvider("b", tr.ub), upstreamProvider("c", tr.uc)}
	for i := range provs {
		provs[i].Headers = faults[provs[i].Name]
	}
	cfg, key := baseConfig(t, provs,
		config.Backend{Provider: "a", UpstreamModel: "m-a", Pricing: config.Pricing{InputPerMillion: 10, OutputPerMillion: 20}},
		config.Backend{Provider: "b", UpstreamModel: "m-b", Priority: 1, Pricing: config.Pricing{InputPerMillion: 1, OutputPerMillion: 2}})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "other", Backends: []config.Backend{{Provider: "c"}}})
	if edit != nil {
		edit(cfg)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	tr.g, tr.key = startGateway(t, cfg), key
	return tr
}

func (tr *trio) chat(t *testing.T, model, extra string) (*http.Response, string) {
	t.Helper()
	body := strings.Replace(chatBody(false, extra), `"model":"m"`, `"model":"`+model+`"`, 1)
	resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, nil)
	return resp, readAll(t, resp)
}

func TestProviderPreferences(t *testing.T) {
	t.Run("only picks a backend of the route, and the field never goes upstream", func(t *testing.T) {
		tr := newTrio(t, nil)
		resp, body := tr.chat(t, "m", `,"provider":{"only":["b"]}`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "b" {
			t.Fatalf("status %d provider %q: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), body)
		}
		last, ok := tr.ub.Last()
		if tr.ua.Count() != 0 || !ok || strings.Contains(string(last.Body), `"provider"`) || !strings.Contains(string(last.Body), `"m-b"`) {
			t.Errorf("a=%d, b got %s", tr.ua.Count(), last.Body)
		}
	})
	t.Run("only can never reach a backend the route lacks", func(t *testing.T) {
		tr := newTrio(t, nil)
		for _, extra := range []string{`,"provider":{"only":["c"]}`, `,"provider":{"order":["c"],"allow_fallbacks":false}`, `,"provider":{"only":["c/other"]}`} {
			resp, body := tr.chat(t, "m", extra)
			if resp.StatusCode != http.StatusNotFound || errorCode(t, body) != "no_provider_matches" {
				t.Errorf("%s: status %d %s", extra, resp.StatusCode, body)
			}
		}
		if n := tr.ua.Count() + tr.ub.Count() + tr.uc.Count(); n != 0 {
			t.Errorf("%d upstream requests", n)
		}
	})
	t.Run("ignore drops a backend", func(t *testing.T) {
		tr := newTrio(t, nil)
		resp, _ := tr.chat(t, "m", `,"provider":{"ignore":["a"]}`)
		if resp.StatusCode != 200 || tr.ua.Count() != 0 || tr.ub.Count() != 1 {
			t.Errorf("status %d a=%d b=%d", resp.StatusCode, tr.ua.Count(), tr.ub.Count())
		}
	})
	t.Run("order first, then the route's fallbacks", func(t *testing.T) {
		tr := newTrio(t, map[string]map[string]string{"b": {"x-mock-status": "503"}})
		resp, body := tr.chat(t, "m", `,"provider":{"order":["b"]}`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "a" || tr.ub.Count() == 0 || tr.ua.Count() != 1 {
			t.Errorf("status %d provider %q a=%d b=%d: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), tr.ua.Count(), tr.ub.Count(), body)
		}
	})
	t.Run("order with allow_fallbacks false tries nothing else", func(t *testing.T) {
		tr := newTrio(t, map[string]map[string]string{"b": {"x-mock-status": "503"}})
		resp, _ := tr.chat(t, "m", `,"provider":{"order":["b"],"allow_fallbacks":false}`)
		if resp.StatusCode != http.StatusServiceUnavailable || tr.ua.Count() != 0 || resp.Header.Get(HeaderProvider) != "" {
			t.Errorf("status %d a=%d provider %q", resp.StatusCode, tr.ua.Count(), resp.Header.Get(HeaderProvider))
		}
	})
	t.Run(":floor and sort price take the cheapest first", func(t *testing.T) {
		tr := newTrio(t, nil)
		for _, c := range []struct{ model, extra string }{{"m:floor", ""}, {"m", `,"provider":{"sort":"price"}`}} {
			resp, body := tr.chat(t, c.model, c.extra)
			if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "b" {
				t.Errorf("%s%s: status %d provider %q %s", c.model, c.extra, resp.StatusCode, resp.Header.Get(HeaderProvider), body)
			}
		}
		if tr.ua.Count() != 0 {
			t.Errorf("a=%d", tr.ua.Count())
		}
		last, _ := tr.ub.Last()
		if strings.Contains(string(last.Body), ":floor") {
			t.Errorf("the variant went upstream: %s", last.Body)
		}
	})
	t.Run("max_price keeps the backends priced within it", func(t *testing.T) {
		tr := newTrio(t, nil)
		// a costs 10/20, b 1/2 per million: a prompt bound of 5 leaves b.
		resp, body := tr.chat(t, "m", `,"provider":{"max_price":{"prompt":5}}`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "b" || tr.ua.Count() != 0 {
			t.Fatalf("status %d provider %q a=%d: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), tr.ua.Count(), body)
		}
		if last, _ := tr.ub.Last(); strings.Contains(string(last.Body), "max_price") {
			t.Errorf("max_price went upstream: %s", last.Body)
		}
		resp, body = tr.chat(t, "m", `,"provider":{"max_price":{"prompt":20,"completion":20}}`)
		if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "a" {
			t.Fatalf("both within the bound: status %d provider %q: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), body)
		}
		n := tr.ua.Count() + tr.ub.Count()
		resp, body = tr.chat(t, "m", `,"provider":{"max_price":{"completion":1.5}}`)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, `"param":"provider.max_price"`) ||
			!strings.Contains(body, "completion $1.5 per million tokens") || tr.ua.Count()+tr.ub.Count() != n {
			t.Fatalf("none within the bound: status %d: %s", resp.StatusCode, body)
		}
		// "other" is served by c, which has no price: not known to be within.
		if resp, body = tr.chat(t, "other", `,"provider":{"max_price":{"prompt":1000}}`); resp.StatusCode != http.StatusNotFound ||
			!strings.Contains(body, `"param":"provider.max_price"`) || tr.uc.Count() != 0 {
			t.Fatalf("an unpriced backend: status %d: %s", resp.StatusCode, body)
		}
	})
	t.Run("bad preferences are refused in the client's shape", func(t *testing.T) {
		tr := newTrio(t, nil)
		for _, extra := range []string{`,"provider":{"sort":"random"}`, `,"provider":"a"`, `,"models":"other"`, `,"models":[""]`, `,"usage":true`, `,"provider":{"only":"a"}`,
			`,"provider":{"max_price":{"request":1}}`, `,"provider":{"max_price":{"prompt":-1}}`, `,"provider":{"max_price":{"prompt":"1"}}`} {
			resp, body := tr.chat(t, "m", extra)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("%s: status %d %s", extra, resp.StatusCode, body)
			}
			errorCode(t, body)
		}
		if tr.ua.Count()+tr.ub.Count() != 0 {
			t.Error("a refused request went upstream")
		}
	})
	t.Run("a duplicate provider member is refused, not judged", func(t *testing.T) {
		tr := newTrio(t, nil)
		resp, body := tr.chat(t, "m", `,"provider":{"only":["b"]},"provider":{"only":["c"]}`)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d %s", resp.StatusCode, body)
		}
	})
}

// openai-go sends the extra fields with option.WithJSONSet.
func TestProviderPreferencesOpenAIGo(t *testing.T) {
	tr := newTrio(t, nil)
	cl := openai.NewClient(option.WithBaseURL(tr.g.url+"/v1"), option.WithAPIKey(tr.key), option.WithMaxRetries(0))
	var raw *http.Response
	out, err := cl.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two three")},
	}, option.WithJSONSet("provider", map[string]any{"only": []string{"b"}}), option.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get(HeaderProvider) != "b" || out.Choices[0].Message.Content == "" || tr.ua.Count() != 0 {
		t.Errorf("provider %q a=%d: %+v", raw.Header.Get(HeaderProvider), tr.ua.Count(), out)
	}
}

// The same preferences on /v1/messages and /v1/responses: read, honoured,
// and never sent upstream.
func TestProviderPreferencesOtherAPIs(t *testing.T) {
	for path, body := range map[string]string{
		messagesPath:  `{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hi"}],"provider":{"only":["b"]}}`,
		responsesPath: `{"model":"m","input":"hi","provider":{"only":["b"]}}`,
	} {
		t.Run(path, func(t *testing.T) {
			tr := newTrio(t, nil)
			resp := tr.g.do(t, http.MethodPost, path, tr.key, body, map[string]string{"anthropic-version": "2023-06-01"})
			out := readAll(t, resp)
			if resp.StatusCode != 200 || resp.Header.Get(HeaderProvider) != "b" || tr.ua.Count() != 0 {
				t.Fatalf("status %d provider %q a=%d: %s", resp.StatusCode, resp.Header.Get(HeaderProvider), tr.ua.Count(), out)
			}
			if last, _ := tr.ub.Last(); strings.Contains(string(last.Body), `"provider"`) {
				t.Errorf("provider went upstream: %s", last.Body)
			}
			resp = tr.g.do(t, http.MethodPost, path, tr.key, strings.Replace(body, `["b"]`, `["c"]`, 1), map[string]string{"anthropic-version": "2023-06-01"})
			if out := readAll(t, resp); resp.StatusCode != http.StatusNotFound || tr.uc.Count() != 0 {
				t.Errorf("only c: status %d c=%d: %s", resp.StatusCode, tr.uc.Count(), out)
			}
		})
	}
}
