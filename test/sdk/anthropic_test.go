package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

func anthropicClient(t *testing.T, g *gateway) anthropic.Client {
	return anthropic.NewClient(option.WithBaseURL(messagesShim(t, g)), option.WithAPIKey(g.key), option.WithMaxRetries(0),
		option.WithRequestTimeout(20*time.Second))
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
				msg, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256,
					System:   []anthropic.TextBlockParam{{Text: "be brief"}},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello gateway"))}})
				if err != nil {
					t.Fatal(err)
				}
				if len(msg.Content) != 1 || msg.Content[0].Text != "hello gateway" || msg.StopReason != anthropic.StopReasonEndTurn || msg.Model != anthropic.Model(model) {
					t.Errorf("message %+v", msg)
				}
				if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens != 2 {
					t.Errorf("usage %+v", msg.Usage)
				}
			})
			t.Run("stream", func(t *testing.T) {
				s := c.Messages.NewStreaming(ctx, anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256,
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("one two three four"))}})
				var msg anthropic.Message
				for s.Next() {
					if err := msg.Accumulate(s.Current()); err != nil {
						t.Fatal(err)
					}
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if len(msg.Content) != 1 || msg.Content[0].Text != "one two three four" || msg.StopReason != anthropic.StopReasonEndTurn {
					t.Errorf("accumulated %+v", msg)
				}
				if msg.Usage.InputTokens == 0 || msg.Usage.OutputTokens != 4 {
					t.Errorf("stream usage %+v", msg.Usage)
				}
			})
			t.Run("tool use", func(t *testing.T) {
				params := anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256,
					Tools:    []anthropic.ToolUnionParam{anthropicWeather},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))}}
				var msg anthropic.Message
				if vendorModels[model] == "azure" {
					// The OpenAI-format mock streams no tool calls: ask whole.
					m, err := c.Messages.New(ctx, params)
					if err != nil {
						t.Fatal(err)
					}
					msg = *m
				} else {
					s := c.Messages.NewStreaming(ctx, params)
					for s.Next() {
						if err := msg.Accumulate(s.Current()); err != nil {
							t.Fatal(err)
						}
					}
					if err := s.Err(); err != nil {
						t.Fatal(err)
					}
				}
				var input struct {
					City string `json:"city"`
				}
				last := msg.Content[len(msg.Content)-1]
				if last.Type != "tool_use" || last.Name != "get_weather" || json.Unmarshal(last.Input, &input) != nil || input.City != "Paris" ||
					msg.StopReason != anthropic.StopReasonToolUse {
					t.Fatalf("tool use %+v (%s)", msg, last.Input)
				}
				followUp, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256,
					Tools: []anthropic.ToolUnionParam{anthropicWeather},
					Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?")), msg.ToParam(),
						anthropic.NewUserMessage(anthropic.NewToolResultBlock(last.ID, "18C and sunny", false))}})
				if err != nil {
					t.Fatal(err)
				}
				if vendorModels[model] != "azure" && followUp.StopReason != anthropic.StopReasonEndTurn {
					t.Errorf("after the tool result: %+v", followUp)
				}
			})
			t.Run("overloaded", func(t *testing.T) {
				_, err := c.Messages.New(ctx, anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 16,
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
