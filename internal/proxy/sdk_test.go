package proxy

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// sdkGateways serves the same public models through the built-in Mock
// provider and through test/upstream as an OpenAI provider.
func sdkGateways(t *testing.T) map[string]struct {
	g   *gw
	key string
} {
	up := mockup.New(t)
	out := map[string]struct {
		g   *gw
		key string
	}{}
	for name, p := range map[string]config.Provider{
		"mock":     {Name: "vendor", Type: config.ProviderMock},
		"upstream": upstreamProvider("vendor", up),
	} {
		cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "vendor", UpstreamModel: "m-up"})
		cfg.Models = []config.Model{
			{Name: "m", Provider: "vendor", UpstreamModel: "m-up", ContextWindow: 8192, Pricing: config.Pricing{InputPerMillion: 1, OutputPerMillion: 2},
				Capabilities: []config.Capability{config.CapChat, config.CapStreaming, config.CapTools, config.CapJSONMode}},
			{Name: "e", Provider: "vendor", UpstreamModel: "e-up", Capabilities: []config.Capability{config.CapEmbeddings}},
		}
		cfg.Default()
		out[name] = struct {
			g   *gw
			key string
		}{startGateway(t, cfg), key}
	}
	return out
}

func sdkClient(g *gw, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.url+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0),
		option.WithRequestTimeout(10*time.Second))
}

func TestOpenAISDK(t *testing.T) {
	for name, tc := range sdkGateways(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			c := sdkClient(tc.g, tc.key)

			t.Run("chat", func(t *testing.T) {
				resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "m",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello gateway")}})
				if err != nil {
					t.Fatal(err)
				}
				if got := resp.Choices[0].Message.Content; got != "hello gateway" {
					t.Errorf("content = %q, want the echo", got)
				}
				if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
					t.Errorf("usage not reported: %+v", resp.Usage)
				}
			})

			t.Run("stream", func(t *testing.T) {
				s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "m",
					Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two three four")},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}})
				acc := openai.ChatCompletionAccumulator{}
				n := 0
				for s.Next() {
					acc.AddChunk(s.Current())
					n++
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if got := acc.Choices[0].Message.Content; got != "one two three four" {
					t.Errorf("streamed content = %q", got)
				}
				if n < 4 || acc.Usage.TotalTokens == 0 {
					t.Errorf("chunks = %d, usage = %+v; want several chunks and usage (asked for)", n, acc.Usage)
				}
			})

			t.Run("tools", func(t *testing.T) {
				params := openai.ChatCompletionNewParams{Model: "m",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
					Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
						Name: "get_weather", Parameters: shared.FunctionParameters{"type": "object",
							"properties": map[string]any{"city": map[string]any{"type": "string"}}}})},
					ResponseFormat: openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &shared.ResponseFormatJSONObjectParam{}},
				}
				resp, err := c.Chat.Completions.New(ctx, params)
				if err != nil {
					t.Fatal(err)
				}
				if name == "upstream" {
					calls := resp.Choices[0].Message.ToolCalls
					if len(calls) != 1 || calls[0].Function.Name != "get_weather" {
						t.Fatalf("tool calls = %+v", calls)
					}
				}
			})

			t.Run("embeddings", func(t *testing.T) {
				resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "e",
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
				if err != nil {
					t.Fatal(err)
				}
				if len(resp.Data) != 2 || len(resp.Data[0].Embedding) == 0 {
					t.Errorf("embeddings = %+v", resp.Data)
				}
			})

			// encoding_format base64 (the default of the official Node SDK
			// and LangChain) and dimensions: openai-go decodes the base64
			// float32 bytes into the same vector as the float answer.
			t.Run("embeddings base64 and dimensions", func(t *testing.T) {
				floats, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "e", Dimensions: openai.Int(2),
					Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
				if err != nil {
					t.Fatal(err)
				}
				b64, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "e", Dimensions: openai.Int(2),
					EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
					Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
				if err != nil {
					t.Fatal(err)
				}
				if raw := b64.Data[0].JSON.Embedding.Raw(); !strings.HasPrefix(raw, `"`) {
					t.Errorf("base64 was asked, the answer holds %s", raw)
				}
				for i := range floats.Data {
					f, g := floats.Data[i].Embedding, b64.Data[i].Embedding
					if len(f) != 2 || len(g) != 2 || float32(f[0]) != float32(g[0]) || float32(f[1]) != float32(g[1]) {
						t.Errorf("vector %d: float %v, base64 %v", i, f, g)
					}
				}
			})

			t.Run("models", func(t *testing.T) {
				page, err := c.Models.List(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, m := range page.Data {
					ids = append(ids, m.ID+"/"+m.OwnedBy)
				}
				if strings.Join(ids, ",") != "e/vendor,m/vendor" {
					t.Errorf("models = %v", ids)
				}
				m, err := c.Models.Get(ctx, "m")
				if err != nil || m.ID != "m" {
					t.Fatalf("get m = %+v, %v", m, err)
				}
				_, err = c.Models.Get(ctx, "nope")
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
					t.Errorf("get unknown model: %v", err)
				}
			})

			t.Run("bad key", func(t *testing.T) {
				bad := sdkClient(tc.g, "tg-wrong_key")
				_, err := bad.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "m",
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("x")}})
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Code != "invalid_api_key" {
					t.Errorf("err = %v", err)
				}
			})
		})
	}
}

func TestUpstreamRequestShape(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("p", up)}, config.Backend{Provider: "p", UpstreamModel: "vendor-model"})
	g := startGateway(t, cfg)
	content := `[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]`
	body := `{"model":"m","messages":[{"role":"user","content":` + content + `}],"stream":true,"temperature":0.25}`
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil)
	if got := readAll(t, resp); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, got)
	}
	rec, _ := up.Last()
	sent := string(rec.Body)
	for _, want := range []string{`"model":"vendor-model"`, content, `"temperature":0.25`, `"stream_options":{"include_usage":true}`} {
		if !strings.Contains(sent, want) {
			t.Errorf("upstream body %s lacks %s", sent, want)
		}
	}
	if got := rec.Header.Get("Authorization"); got != "Bearer sk-vendor-p" {
		t.Errorf("upstream Authorization = %q, want the vendor key", got)
	}
}
