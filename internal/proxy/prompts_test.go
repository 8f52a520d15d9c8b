package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// TestPromptsEveryAPI: a decorator's text is put around the system prompt
// (a system message of its own when there is none) and an invoked
// template is rendered as the last user message, in each client API; the
// upstream's recording shows what it was sent. Unknown templates and
// missing variables are refused in the API's error shape.
func TestPromptsEveryAPI(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up)}, config.Backend{Provider: "p", UpstreamModel: "u"})
	cfg.Prompts = config.Prompts{
		Decorators: []config.PromptDecorator{{Name: "house", Models: []string{"m"}, Prepend: "Be brief.", Append: "Answer in French."},
			{Name: "other", Models: []string{"x-*"}, Prepend: "never"}},
		Templates: []config.PromptTemplate{{Name: "summary", Template: "Summarise {{text}} for {{who}}.", Variables: []string{"text", "who"}}},
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)
	tmpl := `"prompt_template":{"name":"summary","variables":{"text":"the memo","who":"{{text}}"}}`
	cases := []struct{ path, body, system string }{
		{"/v1/chat/completions", `{"model":"m",` + tmpl + `,"messages":[{"role":"system","content":"You are a clerk."},{"role":"user","content":"hi"}]}`, "You are a clerk."},
		{"/v1/messages", `{"model":"m","max_tokens":20,"system":"You are a clerk.",` + tmpl + `,"messages":[{"role":"user","content":"hi"}]}`, "You are a clerk."},
		{"/v1/responses", `{"model":"m","instructions":"You are a clerk.","input":"hi",` + tmpl + `}`, "You are a clerk."},
		{"/v1/chat/completions", `{"model":"m",` + tmpl + `,"messages":[{"role":"user","content":"hi"}]}`, ""},
	}
	for _, c := range cases {
		resp := g.do(t, "POST", c.path, key, c.body, nil)
		if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
		last, _ := up.Last()
		var sent struct {
			Messages []struct {
				Role    string          `json:"role"`
				Content json.RawMessage `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(last.Body, &sent); err != nil || len(sent.Messages) < 2 {
			t.Fatalf("%s: upstream got %s", c.path, last.Body)
		}
		want := "Be brief.\n\nYou are a clerk.\n\nAnswer in French."
		if c.system == "" {
			want = "Be brief.\n\nAnswer in French."
		}
		first, final := sent.Messages[0], sent.Messages[len(sent.Messages)-1]
		if first.Role != "system" || !strings.Contains(string(first.Content), jsonText(want)) {
			t.Fatalf("%s: system prompt sent %s", c.path, last.Body)
		}
		if final.Role != "user" || !strings.Contains(string(final.Content), "Summarise the memo for {{text}}.") {
			t.Fatalf("%s: template sent %s", c.path, last.Body)
		}
		if strings.Contains(string(last.Body), "never") || strings.Contains(string(last.Body), "prompt_template") {
			t.Fatalf("%s: upstream got %s", c.path, last.Body)
		}
	}
	n := up.Count()
	for _, c := range []struct{ path, body, want string }{
		{"/v1/chat/completions", `{"model":"m","prompt_template":{"name":"nope"},"messages":[{"role":"user","content":"hi"}]}`, "no prompt template 'nope'"},
		{"/v1/messages", `{"model":"m","max_tokens":20,"prompt_template":{"name":"summary","variables":{"text":"x"}},"messages":[{"role":"user","content":"hi"}]}`, "needs the variable 'who'"},
		{"/v1/responses", `{"model":"m","input":"hi","prompt_template":{"name":"summary","variables":{"text":"x","who":"y","z":"1"}}}`, "has no variable 'z'"},
		{"/v1/chat/completions", `{"model":"m","prompt_template":{"name":"summary","variables":{"text":1}},"messages":[]}`, "string values"},
	} {
		resp := g.do(t, "POST", c.path, key, c.body, nil)
		body := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, c.want) {
			t.Fatalf("%s: %d %s", c.path, resp.StatusCode, body)
		}
		if c.path == "/v1/messages" && !strings.Contains(body, `"type":"error"`) {
			t.Fatalf("not an Anthropic error: %s", body)
		}
	}
	if up.Count() != n {
		t.Fatal("a refused request reached the upstream")
	}
}

func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
