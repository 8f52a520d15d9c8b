package sdk_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func openaiClient(g *gateway) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.url+"/v1"), option.WithAPIKey(g.key), option.WithMaxRetries(0),
		option.WithRequestTimeout(20*time.Second))
}

var weatherTool = openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_weather",
	Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}})

// TestOpenAISDKThroughEveryVendor: openai-go → proxy → vendor adapter →
// mock vendor, for chat, streaming with usage, tool calls and errors.
func TestOpenAISDKThroughEveryVendor(t *testing.T) {
	g := startGateway(t)
	c := openaiClient(g)
	ctx := context.Background()
	for model := range vendorModels {
		t.Run(model, func(t *testing.T) {
			t.Run("chat", func(t *testing.T) {
				resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("be brief"), openai.UserMessage("hello gateway")}})
				if err != nil {
					t.Fatal(err)
				}
				if got := resp.Choices[0].Message.Content; got != "hello gateway" || resp.Choices[0].FinishReason != "stop" {
					t.Errorf("content %q finish %q", got, resp.Choices[0].FinishReason)
				}
				if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens != 2 {
					t.Errorf("usage %+v", resp.Usage)
				}
			})
			t.Run("stream", func(t *testing.T) {
				s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two three four")},
					StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}})
				acc := openai.ChatCompletionAccumulator{}
				for s.Next() {
					acc.AddChunk(s.Current())
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if got := acc.Choices[0].Message.Content; got != "one two three four" {
					t.Errorf("streamed %q", got)
				}
				if acc.Usage.PromptTokens == 0 || acc.Usage.CompletionTokens != 4 {
					t.Errorf("stream usage %+v", acc.Usage)
				}
			})
			t.Run("tool call", func(t *testing.T) {
				resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
					Tools:    []openai.ChatCompletionToolUnionParam{weatherTool}})
				if err != nil {
					t.Fatal(err)
				}
				calls := resp.Choices[0].Message.ToolCalls
				if len(calls) != 1 || calls[0].Function.Name != "get_weather" || calls[0].ID == "" || resp.Choices[0].FinishReason != "tool_calls" {
					t.Fatalf("tool calls %+v finish %q", calls, resp.Choices[0].FinishReason)
				}
				// Send the result back: the vendor sees a well-formed tool turn.
				resp, err = c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?"),
						resp.Choices[0].Message.ToParam(), openai.ToolMessage("18C and sunny", calls[0].ID)},
					Tools: []openai.ChatCompletionToolUnionParam{weatherTool}})
				if err != nil {
					t.Fatal(err)
				}
				// The OpenAI-format mock (behind Azure) calls the tool on every
				// turn; the other vendor mocks answer a tool result in text.
				if !openaiFormat(model) && resp.Choices[0].FinishReason != "stop" {
					t.Errorf("after the tool result: finish %q", resp.Choices[0].FinishReason)
				}
			})
			t.Run("rate limited", func(t *testing.T) {
				_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: model,
					Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}},
					option.WithHeader("x-mock-status", "429"), option.WithHeader("x-mock-retry-after", "1"))
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 {
					t.Fatalf("want a 429, got %v", err)
				}
			})
		})
	}
}
