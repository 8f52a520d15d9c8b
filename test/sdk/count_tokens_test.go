package sdk_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"
)

// TestAnthropicSDKCountTokens: anthropic-sdk-go's messages.countTokens is
// relayed to an Anthropic backend (the mock's count: 10 per message, 100
// per tool) and counted by the gateway for the others, with the estimate
// header naming the tokenizer.
func TestAnthropicSDKCountTokens(t *testing.T) {
	g := startGateway(t)
	c := anthropicClient(t, g)
	params := func(model string) anthropic.MessageCountTokensParams {
		return anthropic.MessageCountTokensParams{Model: model,
			System:   anthropic.MessageCountTokensParamsSystemUnion{OfTextBlockArray: []anthropic.TextBlockParam{{Text: "be brief"}}},
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello gateway, how many tokens is this?"))},
			Tools:    []anthropic.MessageCountTokensToolUnionParam{{OfTool: anthropicWeather.OfTool}}}
	}
	cases := map[string]struct {
		native    bool
		tokenizer string
	}{
		"claude": {native: true},
		"gpt":    {tokenizer: "o200k_base"},
		"gemini": {tokenizer: "o200k_base"},
		// Its Anthropic backend answers 529: the gateway counts itself,
		// with the vocabulary closest to Claude's.
		fallbackModel: {tokenizer: "cl100k_base"},
	}
	for model, want := range cases {
		t.Run(model, func(t *testing.T) {
			var resp *http.Response
			n, err := c.Messages.CountTokens(context.Background(), params(model), option.WithResponseInto(&resp))
			if err != nil {
				t.Fatal(err)
			}
			if want.native {
				if n.InputTokens != 110 || resp.Header.Get("X-Tollgate-Token-Count") != "" {
					t.Errorf("relayed count %d (header %q), want the upstream's 110", n.InputTokens, resp.Header.Get("X-Tollgate-Token-Count"))
				}
				last, _ := g.up.Last()
				if last.Path != "/v1/messages/count_tokens" || !strings.Contains(string(last.Body), `"model":"claude-sonnet-4"`) {
					t.Errorf("upstream got %s %s", last.Path, last.Body)
				}
				return
			}
			// system, message and tool text, the tool-use prompt and overheads.
			if n.InputTokens < 350 || n.InputTokens > 450 || resp.Header.Get("X-Tollgate-Token-Count") != "estimate" ||
				resp.Header.Get("X-Tollgate-Tokenizer") != want.tokenizer {
				t.Errorf("estimate %d, headers %v", n.InputTokens, resp.Header)
			}
		})
	}
	t.Run("refused model in Anthropic's shape", func(t *testing.T) {
		_, err := c.Messages.CountTokens(context.Background(), params("no-such-model"))
		var ae *anthropic.Error
		if !errors.As(err, &ae) || ae.StatusCode != http.StatusNotFound || !strings.Contains(ae.RawJSON(), `"not_found_error"`) {
			t.Errorf("err %v", err)
		}
	})
}

// TestAnthropicPathsAnswerInAnthropicShape: an unknown path or a wrong
// method under /v1/messages gets Anthropic's error body.
func TestAnthropicPathsAnswerInAnthropicShape(t *testing.T) {
	g := startGateway(t)
	for _, tc := range []struct{ method, path string }{
		{http.MethodPost, "/v1/messages/batches"},
		{http.MethodGet, "/v1/messages/count_tokens"},
		{http.MethodGet, "/v1/messages"},
	} {
		req, err := http.NewRequest(tc.method, g.url+tc.path, strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("x-api-key", g.key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		var e struct {
			Type  string `json:"type"`
			Error struct {
				Type string `json:"type"`
			} `json:"error"`
		}
		if resp.StatusCode < 400 || json.Unmarshal(body, &e) != nil || e.Type != "error" || e.Error.Type == "" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, resp.StatusCode, body)
		}
	}
}
