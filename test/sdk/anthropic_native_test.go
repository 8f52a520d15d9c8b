package sdk_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/tollgate-dev/tollgate/test/upstream"
)

// bodyRecorder keeps the last request body the SDK sent.
type bodyRecorder struct{ last []byte }

func (b *bodyRecorder) option() option.RequestOption {
	return option.WithMiddleware(func(r *http.Request, next option.MiddlewareNext) (*http.Response, error) {
		if r.Body != nil {
			raw, err := io.ReadAll(r.Body)
			if err != nil {
				return nil, err
			}
			b.last = raw
			r.Body = io.NopCloser(bytes.NewReader(raw))
		}
		return next(r)
	})
}

// nativeParams is a conversation only the Messages API holds whole: a
// cached system prompt, an earlier turn's thinking (with its signature)
// and redacted thinking, metadata and extended thinking.
func nativeParams() anthropic.MessageNewParams {
	return anthropic.MessageNewParams{Model: "claude", MaxTokens: 2048,
		Thinking: anthropic.ThinkingConfigParamOfEnabled(1024),
		System:   []anthropic.TextBlockParam{{Text: "You are terse.", CacheControl: anthropic.NewCacheControlEphemeralParam()}},
		Metadata: anthropic.MetadataParam{UserID: anthropic.String("user-7")},
		Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("first question")),
			anthropic.NewAssistantMessage(anthropic.NewThinkingBlock("EqQBCkgIARABGAIiQEarlierSignature==", "I considered it."),
				anthropic.NewRedactedThinkingBlock("cmVkYWN0ZWQgdGhpbmtpbmc="), anthropic.NewTextBlock("first answer")),
			anthropic.NewUserMessage(anthropic.NewTextBlock("second question")),
		}}
}

// TestAnthropicSDKNativePassThrough: to an Anthropic backend the Messages
// body goes byte for byte as the SDK wrote it (only the model replaced by
// the upstream's), with the client's anthropic-version and anthropic-beta;
// the answer keeps thinking signatures and prompt-cache usage, names the
// public model, and Anthropic's own refusals come back in its words.
func TestAnthropicSDKNativePassThrough(t *testing.T) {
	g := startGateway(t)
	c := anthropicClient(t, g)
	ctx := context.Background()
	rec := &bodyRecorder{}
	headers := []option.RequestOption{rec.option(), option.WithHeader("anthropic-beta", "interleaved-thinking-2025-05-14"),
		option.WithHeader("anthropic-version", "2023-06-01")}
	upstreamSaw := func(t *testing.T) upstream.Recorded {
		t.Helper()
		got, ok := g.up.Last()
		if !ok || got.Path != "/v1/messages" {
			t.Fatalf("the upstream's last request %+v, want POST /v1/messages", got)
		}
		want := bytes.Replace(rec.last, []byte(`"model":"claude"`), []byte(`"model":"claude-sonnet-4"`), 1)
		if !bytes.Equal(got.Body, want) {
			t.Errorf("the upstream read\n%s\nwant the client's body\n%s", got.Body, want)
		}
		if got.Header.Get("Anthropic-Beta") != "interleaved-thinking-2025-05-14" || got.Header.Get("Anthropic-Version") != "2023-06-01" {
			t.Errorf("anthropic headers %v", got.Header)
		}
		return got
	}

	t.Run("message", func(t *testing.T) {
		msg, err := c.Messages.New(ctx, nativeParams(), headers...)
		if err != nil {
			t.Fatal(err)
		}
		upstreamSaw(t)
		if msg.Model != "claude" || len(msg.Content) != 2 || msg.Content[0].Type != "thinking" ||
			msg.Content[0].Signature != upstream.MockSignature || msg.Content[1].Text != "second question" {
			t.Fatalf("message %+v", msg)
		}
		if msg.Usage.CacheCreationInputTokens != upstream.MockCacheWriteTokens || msg.Usage.CacheReadInputTokens != upstream.MockCacheReadTokens {
			t.Errorf("usage %+v", msg.Usage)
		}
		// The next turn carries the answer's thinking, signature and all.
		next := nativeParams()
		next.Messages = append(next.Messages, msg.ToParam(), anthropic.NewUserMessage(anthropic.NewTextBlock("third question")))
		if _, err := c.Messages.New(ctx, next, headers...); err != nil {
			t.Fatal(err)
		}
		if got := upstreamSaw(t); !bytes.Contains(got.Body, []byte(upstream.MockSignature)) {
			t.Errorf("the signature did not reach the upstream: %s", got.Body)
		}
	})

	t.Run("stream", func(t *testing.T) {
		msg := accumulate(t, c.Messages.NewStreaming(ctx, nativeParams(), headers...))
		upstreamSaw(t)
		if msg.Model != "claude" || len(msg.Content) != 1 || msg.Content[0].Text != "second question" ||
			msg.Usage.CacheCreationInputTokens != upstream.MockCacheWriteTokens || msg.Usage.OutputTokens != 2 {
			t.Errorf("accumulated %+v", msg)
		}
	})

	t.Run("Anthropic's refusal", func(t *testing.T) {
		// Two user turns in a row: the translated path would merge them;
		// Anthropic refuses them, and the client reads its words.
		params := anthropic.MessageNewParams{Model: "claude", MaxTokens: 64, Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("one")), anthropic.NewUserMessage(anthropic.NewTextBlock("two"))}}
		_, err := c.Messages.New(ctx, params)
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Type() != "invalid_request_error" ||
			!strings.Contains(apiErr.RawJSON(), `roles must alternate between \"user\" and \"assistant\" (messages.1)`) {
			t.Fatalf("want Anthropic's own 400, got %v", err)
		}
	})

	t.Run("members only Anthropic reads", func(t *testing.T) {
		// mcp_servers has no canonical form: an Anthropic backend reads
		// it natively; any other vendor's model refuses it by name.
		params := anthropic.MessageNewParams{Model: "claude", MaxTokens: 64, Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("use the tools"))}}
		servers := option.WithJSONSet("mcp_servers", []map[string]any{{"type": "url", "url": "https://mcp.example.com/sse", "name": "example"}})
		if _, err := c.Messages.New(ctx, params, servers, rec.option()); err != nil {
			t.Fatalf("native: %v", err)
		}
		if got, _ := g.up.Last(); !bytes.Contains(got.Body, []byte(`"mcp_servers"`)) {
			t.Errorf("mcp_servers did not reach Anthropic: %s", got.Body)
		}
		params.Model = "gpt"
		_, err := c.Messages.New(ctx, params, servers)
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.RawJSON(), "mcp_servers") {
			t.Fatalf("translated: want a 400 naming mcp_servers, got %v", err)
		}
	})
}
