package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
	"github.com/anthropics/anthropic-sdk-go/packages/ssestream"
)

func anthropicClient(t *testing.T, g *gateway) anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(g.url), option.WithAPIKey(g.key), option.WithMaxRetries(0),
		option.WithRequestTimeout(20*time.Second))
}

// accumulate reads a Messages stream to its end into the message it
// carries; a stream or accumulation error fails t.
func accumulate(t *testing.T, s *ssestream.Stream[anthropic.MessageStreamEventUnion]) anthropic.Message {
	t.Helper()
	defer s.Close()
	var msg anthropic.Message
	for s.Next() {
		if err := msg.Accumulate(s.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return msg
}

var anthropicWeather = anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: "get_weather",
	InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{"city": map[string]any{"type": "string"}}}}}

// TestAnthropicSDKThroughEveryVendor: anthropic-sdk-go speaks the Messages
// API to the gateway, whatever vendor serves the model.
func TestAnthropicSDKThroughEveryVendor(t *testing.T) {
	g := startGateway(t)
	c := anthropicClient(t, g)
	ctx := context.Background()
	for model := range vendorModels {
		t.Run(model, func(t *testing.T) {
			t.Run("message", func(t *testing.T) {
				msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 256,
					System:   []anthropic.TextBlockParam{{Text: "be brief"}},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello gateway"))}})
				if err != nil {
					t.Fatal(err)
				}
				if len(msg.Content) != 1 || msg.Content[0].Text != "hello gateway" || msg.StopReason != anthropic.StopReasonEndTurn || msg.Model != model {
					t.Errorf("message %+v", msg)
				}
				if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens != 2 {
					t.Errorf("usage %+v", msg.Usage)
				}
			})
			t.Run("stream", func(t *testing.T) {
				msg := accumulate(t, c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 256,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("one two three four"))}}))
				if len(msg.Content) != 1 || msg.Content[0].Text != "one two three four" || msg.StopReason != anthropic.StopReasonEndTurn {
					t.Errorf("accumulated %+v", msg)
				}
				if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens != 4 {
					t.Errorf("stream usage %+v", msg.Usage)
				}
			})
			t.Run("tool use", func(t *testing.T) {
				params := anthropic.MessageNewParams{Model: model, MaxTokens: 256,
					Tools:    []anthropic.ToolUnionParam{anthropicWeather},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))}}
				var msg anthropic.Message
				if openaiFormat(model) {
					// The OpenAI-format mock streams no tool calls: ask whole.
					m, err := c.Messages.New(ctx, params)
					if err != nil {
						t.Fatal(err)
					}
					msg = *m
				} else {
					msg = accumulate(t, c.Messages.NewStreaming(ctx, params))
				}
				var input struct {
					City string `json:"city"`
				}
				last := msg.Content[len(msg.Content)-1]
				if last.Type != "tool_use" || last.Name != "get_weather" || json.Unmarshal(last.Input, &input) != nil || input.City != "Paris" ||
					msg.StopReason != anthropic.StopReasonToolUse {
					t.Fatalf("tool use %+v (%s)", msg, last.Input)
				}
				followUp, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 256,
					Tools: []anthropic.ToolUnionParam{anthropicWeather},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?")), msg.ToParam(),
						anthropic.NewUserMessage(anthropic.NewToolResultBlock(last.ID, "18C and sunny", false))}})
				if err != nil {
					t.Fatal(err)
				}
				if !openaiFormat(model) && followUp.StopReason != anthropic.StopReasonEndTurn {
					t.Errorf("after the tool result: %+v", followUp)
				}
			})
			t.Run("overloaded", func(t *testing.T) {
				_, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: model, MaxTokens: 16,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}},
					option.WithHeader("x-mock-status", "503"))
				var apiErr *anthropic.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Type() != "overloaded_error" {
					t.Fatalf("want a 503 overloaded_error, got %v", err)
				}
			})
		})
	}
}

// A 1×1 PNG.
const pixelPNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="

// TestAnthropicSDKImages: an image block reaches each vendor in its own
// form, and anthropic-* client headers reach none but Anthropic.
func TestAnthropicSDKImages(t *testing.T) {
	g := startGateway(t)
	c := anthropicClient(t, g)
	// How each vendor's request carries the image.
	want := map[string]string{"gpt": `"image_url"`, "gemini": `"inlineData"`, "claude": `"type":"image"`}
	for model, marker := range want {
		t.Run(model, func(t *testing.T) {
			msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{Model: model, MaxTokens: 64,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(
					anthropic.NewImageBlockBase64("image/png", pixelPNG), anthropic.NewTextBlock("what is this"))}},
				option.WithHeader("anthropic-beta", "tools-2024-04-04"))
			if err != nil {
				t.Fatal(err)
			}
			// The OpenAI-format mock echoes string content only.
			if len(msg.Content) != 1 || (!openaiFormat(model) && msg.Content[0].Text != "what is this") || msg.Content[0].Text == "" {
				t.Errorf("answer %+v", msg.Content)
			}
			rec, ok := g.up.Last()
			if !ok {
				t.Fatal("the upstream received nothing")
			}
			if !strings.Contains(string(rec.Body), marker) || !strings.Contains(string(rec.Body), pixelPNG) {
				t.Errorf("%s upstream body lacks the image (%s): %s", model, marker, rec.Body)
			}
			for k := range rec.Header {
				if !strings.HasPrefix(strings.ToLower(k), "anthropic-") {
					continue
				}
				vendorOwn := vendorModels[model] == "anthropic" && (k == "Anthropic-Version" || k == "Anthropic-Beta")
				if !vendorOwn {
					t.Errorf("client header %s reached the %s upstream", k, vendorModels[model])
				}
			}
			if vendorModels[model] == "anthropic" && rec.Header.Get("Anthropic-Version") == "" {
				t.Error("the Anthropic adapter's own anthropic-version is missing")
			}
			if got := rec.Header.Get("X-Api-Key"); got == g.key {
				t.Error("the client's key reached the upstream")
			}
		})
	}
}

// TestAnthropicSDKFallbackFromOverloadedAnthropic: the Anthropic backend
// answers 529; the OpenAI backend behind it serves the Anthropic SDK
// client, whole and streamed.
func TestAnthropicSDKFallbackFromOverloadedAnthropic(t *testing.T) {
	g := startGateway(t)
	c := anthropicClient(t, g)
	ctx := context.Background()
	before := g.up.Count()
	msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: fallbackModel, MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("served anyway"))}})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != "served anyway" || msg.Model != fallbackModel || msg.StopReason != anthropic.StopReasonEndTurn {
		t.Errorf("message %+v", msg)
	}
	reqs := g.up.Requests()[before:]
	if len(reqs) != 2 || reqs[0].Path != "/v1/messages" || reqs[1].Path != "/v1/chat/completions" {
		paths := []string{}
		for _, r := range reqs {
			paths = append(paths, r.Path)
		}
		t.Fatalf("upstream calls %v, want Anthropic (529) then OpenAI", paths)
	}
	acc := accumulate(t, c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: fallbackModel, MaxTokens: 64,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("streamed anyway"))}}))
	if len(acc.Content) != 1 || acc.Content[0].Text != "streamed anyway" || acc.Usage.OutputTokens != 2 {
		t.Errorf("streamed %+v", acc)
	}
}

// TestAnthropicSDKErrors: errors before the first byte come in Anthropic's
// shape with the gateway's status.
func TestAnthropicSDKErrors(t *testing.T) {
	g := startGateway(t)
	ctx := context.Background()
	bad := anthropic.NewClient(option.WithBaseURL(g.url), option.WithAPIKey("tg-not-a-key"), option.WithMaxRetries(0))
	_, err := bad.Messages.New(ctx, anthropic.MessageNewParams{Model: "claude", MaxTokens: 16,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Type() != "authentication_error" {
		t.Fatalf("bad key: want 401 authentication_error, got %v", err)
	}
	c := anthropicClient(t, g)
	_, err = c.Messages.New(ctx, anthropic.MessageNewParams{Model: "no-such-model", MaxTokens: 16,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Type() != "not_found_error" {
		t.Fatalf("unknown model: want 404 not_found_error, got %v", err)
	}
	_, err = c.Messages.New(ctx, anthropic.MessageNewParams{Model: "gpt", MaxTokens: 16,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}},
		option.WithHeader("x-mock-status", "429"), option.WithHeader("x-mock-retry-after", "3"))
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Type() != "rate_limit_error" ||
		apiErr.Response.Header.Get("Retry-After") != "3" {
		t.Fatalf("rate limited: want 429 rate_limit_error with Retry-After 3, got %v", err)
	}
}
