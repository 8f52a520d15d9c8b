package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func openaiClient(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(qs.URL), option.WithAPIKey(key),
		option.WithMaxRetries(0), option.WithRequestTimeout(30*time.Second))
}

// TestOpenAISDKWithGeneratedKey: the key the operator generated works with
// the official SDK for chat, streaming and the model list.
func TestOpenAISDKWithGeneratedKey(t *testing.T) {
	c := openaiClient(qs.Key)
	ctx := context.Background()
	resp, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:    "chat",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello, Tollgate!")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; got != "Hello, Tollgate!" {
		t.Errorf("the mock echoes the prompt; got %q", got)
	}
	if resp.Usage.TotalTokens == 0 {
		t.Errorf("no usage reported: %+v", resp.Usage)
	}

	s := c.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
		Model:    "mock-small",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("one two three")},
	})
	var b strings.Builder
	chunks := 0
	for s.Next() {
		chunks++
		if ch := s.Current(); len(ch.Choices) > 0 {
			b.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if b.String() != "one two three" || chunks < 3 {
		t.Errorf("streamed %q in %d chunks", b.String(), chunks)
	}

	page, err := c.Models.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	if got := strings.Join(ids, ","); !strings.Contains(got, "chat") || !strings.Contains(got, "mock-small") {
		t.Errorf("models %q lack the samples' catalogue", got)
	}
}

// TestAnthropicSDKWithGeneratedKey: an Anthropic-SDK client (x-api-key)
// reaches the same catalogue through /v1/messages.
func TestAnthropicSDKWithGeneratedKey(t *testing.T) {
	c := anthropic.NewClient(aoption.WithBaseURL(strings.TrimSuffix(qs.URL, "/v1")), aoption.WithAPIKey(qs.Key), aoption.WithMaxRetries(0))
	msg, err := c.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model:     "chat",
		MaxTokens: 256,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi from claude code"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Content) == 0 || msg.Content[0].Text != "hi from claude code" {
		t.Errorf("content %+v", msg.Content)
	}
	if msg.Usage.OutputTokens == 0 {
		t.Errorf("usage %+v", msg.Usage)
	}
}

// TestWrongKeyIsRefused: a made-up key gets the OpenAI-shaped 401.
func TestWrongKeyIsRefused(t *testing.T) {
	c := openaiClient("tg-nope0000_notakey")
	_, err := c.Models.List(context.Background())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("err = %v, want a 401", err)
	}
}
