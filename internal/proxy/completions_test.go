package proxy

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// TestCompletionsSDK: the official openai-go completions client, plain,
// fill-in-the-middle and streamed, through an OpenAI backend: the body
// goes as written (model replaced), the answer names the public model, a
// stream asks the upstream for usage without relaying it to a client that
// did not, and the usage settles.
func TestCompletionsSDK(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m-up"})
	g := startGateway(t, cfg)
	c := sdkClient(g, key)
	ctx := context.Background()

	got, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "m",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("Say hello")}, MaxTokens: openai.Int(32)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Model != "m" || got.Object != "text_completion" || len(got.Choices) != 1 || got.Choices[0].Text != "Hello from upstream" ||
		got.Usage.CompletionTokens != 3 {
		t.Fatalf("completion %+v", got)
	}
	rec, _ := up.Last()
	if rec.Path != "/v1/completions" || !strings.Contains(string(rec.Body), `"model":"m-up"`) || !strings.Contains(string(rec.Body), `"prompt":"Say hello"`) {
		t.Fatalf("upstream got %s %s", rec.Path, rec.Body)
	}

	fim, err := c.Completions.New(ctx, openai.CompletionNewParams{Model: "m",
		Prompt: openai.CompletionNewParamsPromptUnion{OfString: openai.String("def add(a, b):\n    ")},
		Suffix: openai.String("\n    return c\n")})
	if err != nil {
		t.Fatal(err)
	}
	if fim.Choices[0].Text != "middle part " {
		t.Fatalf("fill-in-the-middle %+v", fim)
	}

	for _, withUsage := range []bool{false, true} {
		p := openai.CompletionNewParams{Model: "m", Prompt: openai.CompletionNewParamsPromptUnion{OfArrayOfStrings: []string{"one", "two"}}}
		if withUsage {
			p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
		}
		st := c.Completions.NewStreaming(ctx, p)
		var text strings.Builder
		var usage int64
		for st.Next() {
			ch := st.Current()
			if ch.Model != "m" {
				t.Fatalf("chunk names %q", ch.Model)
			}
			for _, c := range ch.Choices {
				text.WriteString(c.Text)
			}
			usage += ch.Usage.TotalTokens
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		if text.String() != "Hello from upstream" || (usage > 0) != withUsage {
			t.Fatalf("stream (usage asked %v): %q, usage %d", withUsage, text.String(), usage)
		}
		rec, _ := up.Last()
		if !strings.Contains(string(rec.Body), `"include_usage":true`) {
			t.Fatalf("the stream did not ask the upstream for usage: %s", rec.Body)
		}
	}
	eventually(t, 5*time.Second, "settled usage in the access log", func() bool {
		return strings.Contains(g.logs.String(), `"api":"completions"`) && strings.Contains(g.logs.String(), `"output_tokens":3`)
	})
}

// TestCompletionsOnlyNativeBackends: a backend that cannot serve the API
// is skipped for the route's next one; a route with none answers 400
// unsupported_api in OpenAI's shape; a body without a prompt is refused.
func TestCompletionsOnlyNativeBackends(t *testing.T) {
	up := mockup.New(t)
	an := config.Provider{Name: "an", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant", AllowPrivateNetwork: true}
	cfg, key := baseConfig(t, []config.Provider{an, upstreamProvider("oa", up)}, config.Backend{Provider: "an", UpstreamModel: "claude-up"},
		config.Backend{Provider: "oa", UpstreamModel: "m-up", Priority: 1})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "claude", Backends: []config.Backend{{Provider: "an", UpstreamModel: "claude-up"}}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)

	resp := g.do(t, http.MethodPost, completionsPath, key, `{"model":"m","prompt":"hi"}`, nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, `"text_completion"`) {
		t.Fatalf("fallback to the OpenAI backend: %d %s", resp.StatusCode, b)
	}
	if rec, _ := up.Last(); rec.Path != "/v1/completions" {
		t.Fatalf("upstream got %s", rec.Path)
	}
	before := up.Count()
	resp = g.do(t, http.MethodPost, completionsPath, key, `{"model":"claude","prompt":"hi"}`, nil)
	b := readAll(t, resp)
	var e struct {
		Error struct{ Code, Param, Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(b), &e); err != nil || resp.StatusCode != http.StatusBadRequest || e.Error.Code != "unsupported_api" || !strings.Contains(e.Error.Message, "claude") {
		t.Fatalf("no backend speaks it: %d %s", resp.StatusCode, b)
	}
	if up.Count() != before {
		t.Fatal("a request no backend can read went upstream")
	}
	resp = g.do(t, http.MethodPost, completionsPath, key, `{"model":"m"}`, nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusBadRequest || errorCode(t, b) != "invalid_request" {
		t.Fatalf("no prompt: %d %s", resp.StatusCode, b)
	}
	resp = g.do(t, http.MethodPost, completionsPath, key, `{"model":"m","prompt":"a","prompt":"b"}`, nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("duplicate prompt: %d %s", resp.StatusCode, b)
	}
}

// TestCompletionsAzureAndStreamFault: Azure serves the API on deployment
// URLs; an error frame mid-stream ends the client's stream with OpenAI's
// error object and no [DONE].
func TestCompletionsAzureAndStreamFault(t *testing.T) {
	up := mockup.New(t)
	az := config.Provider{Name: "az", Type: config.ProviderAzureOpenAI, Endpoint: up.URL, APIKey: "az-key", AllowPrivateNetwork: true,
		ForwardHeaders: []string{"X-Mock-*"}}
	cfg, key := baseConfig(t, []config.Provider{az}, config.Backend{Provider: "az", UpstreamModel: "dep-1"})
	g := startGateway(t, cfg)
	resp := g.do(t, http.MethodPost, completionsPath, key, `{"model":"m","prompt":"hi","stream":true}`, nil)
	b := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasSuffix(b, "data: [DONE]\n\n") || strings.Contains(b, `"usage"`) {
		t.Fatalf("azure stream: %d %s", resp.StatusCode, b)
	}
	rec, _ := up.Last()
	if rec.Path != "/openai/deployments/dep-1/completions" || rec.Header.Get("Api-Key") != "az-key" {
		t.Fatalf("upstream got %s", rec.Path)
	}
	resp = g.do(t, http.MethodPost, completionsPath, key, `{"model":"m","prompt":"hi","stream":true}`, map[string]string{"X-Mock-Error-Frame": "1"})
	b = readAll(t, resp)
	if resp.StatusCode != http.StatusOK || strings.Contains(b, "[DONE]") || !strings.Contains(b, `"error"`) {
		t.Fatalf("error frame: %d %s", resp.StatusCode, b)
	}
}
