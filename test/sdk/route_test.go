package sdk_test

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/respjson"
	"github.com/openai/openai-go/v3/responses"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// priced gives "gpt" a price (2 and 8 USD per million) and adds "down", a
// model whose only backend answers 529 (overloaded).
func priced(cfg *config.Config) {
	for i := range cfg.Routes {
		if cfg.Routes[i].Model == "gpt" {
			cfg.Routes[i].Backends[0].Pricing = config.Pricing{InputPerMillion: 2, OutputPerMillion: 8}
		}
	}
	cfg.Routes = append(cfg.Routes, config.Route{Model: "down", Retry: config.Retry{Attempts: 1},
		Backends: []config.Backend{{Provider: "anthropic-overloaded", UpstreamModel: "claude-sonnet-4"}}})
}

func extraFloat(t *testing.T, f map[string]respjson.Field, name string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(f[name].Raw(), 64)
	if err != nil {
		t.Fatalf("%s: %q: %v", name, f[name].Raw(), err)
	}
	return v
}

// openai-go sends OpenRouter's fields with option.WithJSONSet and reads
// usage.cost and provider from the answer's extra fields.
func TestOpenAISDKRoutePerRequest(t *testing.T) {
	g := startReplicas(t, 1, priced)[0]
	c := openaiClient(g)
	ctx := context.Background()
	msgs := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hello gateway")}

	t.Run("models falls back and usage.cost is read", func(t *testing.T) {
		var raw *http.Response
		resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "down", Messages: msgs},
			option.WithJSONSet("models", []string{"gpt"}), option.WithJSONSet("usage", map[string]any{"include": true}),
			option.WithResponseInto(&raw))
		if err != nil {
			t.Fatal(err)
		}
		want := (float64(resp.Usage.PromptTokens)*2 + float64(resp.Usage.CompletionTokens)*8) / 1e6
		if got := extraFloat(t, resp.Usage.JSON.ExtraFields, "cost"); math.Abs(got-want) > 1e-12 || want == 0 {
			t.Errorf("cost %v, want %v", got, want)
		}
		if p := resp.JSON.ExtraFields["provider"].Raw(); p != `"openai"` || raw.Header.Get("X-Tollgate-Model") != "gpt" {
			t.Errorf("provider %s model %q", p, raw.Header.Get("X-Tollgate-Model"))
		}
	})
	t.Run("a stream's last chunk carries the cost", func(t *testing.T) {
		st := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: "gpt", Messages: msgs},
			option.WithJSONSet("usage", map[string]any{"include": true}))
		var last openai.ChatCompletionChunk
		for st.Next() {
			if ch := st.Current(); ch.Usage.TotalTokens > 0 {
				last = ch
			}
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		want := (float64(last.Usage.PromptTokens)*2 + float64(last.Usage.CompletionTokens)*8) / 1e6
		if got := extraFloat(t, last.Usage.JSON.ExtraFields, "cost"); math.Abs(got-want) > 1e-12 || want == 0 {
			t.Errorf("cost %v, want %v", got, want)
		}
	})
}

// pricedAll prices every route's first backend (2 and 8 USD per million).
func pricedAll(cfg *config.Config) {
	for i := range cfg.Routes {
		cfg.Routes[i].Backends[0].Pricing = config.Pricing{InputPerMillion: 2, OutputPerMillion: 8}
	}
}

// anthropic-sdk-go and openai-go read usage.cost from the final
// usage-bearing event of a Messages stream (message_delta) and of a
// Responses stream (response.completed), native and translated alike; it
// is what the X-Tollgate-Cost trailer says.
func TestSDKStreamsCarryTheCost(t *testing.T) {
	g := startReplicas(t, 1, pricedAll)[0]
	ctx := context.Background()
	for _, model := range []string{"claude", "gpt"} { // Anthropic native, OpenAI translated
		t.Run("messages "+model, func(t *testing.T) {
			var raw *http.Response
			ac := anthropicClient(t, g)
			s := ac.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 64,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello gateway"))}},
				aoption.WithResponseInto(&raw))
			cost := -1.0
			for s.Next() {
				if ev := s.Current(); ev.Type == "message_delta" {
					c, err := strconv.ParseFloat(ev.AsMessageDelta().Usage.JSON.ExtraFields["cost"].Raw(), 64)
					if err != nil {
						t.Fatalf("message_delta cost: %v", err)
					}
					cost = c
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if trailer := raw.Trailer.Get("X-Tollgate-Cost"); cost <= 0 || strconv.FormatFloat(cost, 'f', -1, 64) != trailer {
				t.Errorf("message_delta cost %v, trailer %q", cost, trailer)
			}
		})
		t.Run("responses "+model, func(t *testing.T) {
			var raw *http.Response
			oc := openaiClient(g)
			s := oc.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: model, Input: responsesText("one two three")},
				option.WithResponseInto(&raw))
			cost := -1.0
			for s.Next() {
				if ev := s.Current(); ev.Type == "response.completed" {
					cost = extraFloat(t, ev.Response.Usage.JSON.ExtraFields, "cost")
					want := (float64(ev.Response.Usage.InputTokens)*2 + float64(ev.Response.Usage.OutputTokens)*8) / 1e6
					if ev.Response.Usage.InputTokensDetails.CachedTokens == 0 && math.Abs(cost-want) > 1e-12 {
						t.Errorf("cost %v, want %v for %+v", cost, want, ev.Response.Usage)
					}
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			if trailer := raw.Trailer.Get("X-Tollgate-Cost"); cost <= 0 || strconv.FormatFloat(cost, 'f', -1, 64) != trailer {
				t.Errorf("response.completed cost %v, trailer %q", cost, trailer)
			}
		})
	}
}
