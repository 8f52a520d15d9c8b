package anthropic

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

func TestRequestGolden(t *testing.T) {
	providertest.RequestGolden(t, func(body []byte) (any, error) {
		return ToMessages(body, "claude-sonnet-4-20250514", strings.Contains(string(body), `"stream":true`))
	})
}

func TestResponseGolden(t *testing.T) {
	providertest.ResponseGolden(t, func(body []byte) ([]byte, providers.Usage, error) {
		return FromMessage(body, providertest.Now)
	})
}

func TestStreamGolden(t *testing.T) {
	providertest.SSEGolden(t, func(body io.Reader) providers.Stream {
		return NewStream(body, "fallback-model", providertest.Now)
	})
}

func TestRequestErrors(t *testing.T) {
	cases := map[string]providertest.BadRequestCase{
		"body is not JSON":         {`{"messages":`, "not a valid chat completion request"},
		"unknown role":             {`{"messages":[{"role":"wizard","content":"x"}]}`, `unsupported role "wizard"`},
		"n above one":              {`{"n":2,"messages":[{"role":"user","content":"x"}]}`, "n > 1"},
		"image that is not a URL":  {`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///etc/passwd"}}]}]}`, "http(s) URL or a base64 data: URL"},
		"audio part":               {`{"messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{}}]}]}`, `"input_audio" is not supported`},
		"tool message without id":  {`{"messages":[{"role":"tool","content":"x"}]}`, "needs tool_call_id"},
		"only a system message":    {`{"messages":[{"role":"system","content":"x"}]}`, "at least one user or assistant"},
		"tool call without a name": {`{"messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"arguments":"{}"}}]}]}`, "function.name are required"},
		"non-function tool":        {`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"retrieval","function":{"name":"x"}}]}`, "only function tools"},
		"unknown tool_choice mode": {`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"x"}}],"tool_choice":"sometimes"}`, `tool_choice "sometimes"`},
	}
	providertest.WantBadRequests(t, cases, func(body []byte) error {
		_, err := ToMessages(body, "m", false)
		return err
	})
}

func TestErrorMapping(t *testing.T) {
	cases := map[string]providertest.ErrorCase{
		"overloaded 529":        {529, nil, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, 503, providers.ClassServerError, "upstream_overloaded", 0},
		"rate limit in seconds": {429, http.Header{"Retry-After": {"7"}}, `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`, 429, providers.ClassRateLimited, "rate_limit_exceeded", 7 * time.Second},
		"rate limit as a date":  {429, http.Header{"Retry-After": {providertest.Now.Add(30 * time.Second).UTC().Format(http.TimeFormat)}}, `{"type":"error","error":{"type":"rate_limit_error","message":"x"}}`, 429, providers.ClassRateLimited, "rate_limit_exceeded", 30 * time.Second},
		"context too long":      {400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}`, 400, providers.ClassFatal, "context_length_exceeded", 0},
		"plain bad request":     {400, nil, `{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}`, 400, providers.ClassFatal, "invalid_request", 0},
		"bad key":               {401, nil, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`, 502, providers.ClassServerError, "upstream_credential_rejected", 0},
		"forbidden":             {403, nil, `{"type":"error","error":{"type":"permission_error","message":"no"}}`, 502, providers.ClassServerError, "upstream_credential_rejected", 0},
		"unknown model":         {404, nil, `{"type":"error","error":{"type":"not_found_error","message":"model: x"}}`, 404, providers.ClassFatal, "model_not_found", 0},
		"api error 500":         {500, nil, `{"type":"error","error":{"type":"api_error","message":"Internal"}}`, 502, providers.ClassServerError, "upstream_error", 0},
		"html from a proxy 503": {503, nil, `<html>busy</html>`, 503, providers.ClassServerError, "upstream_error", 0},
		"empty 529":             {529, nil, ``, 503, providers.ClassServerError, "upstream_overloaded", 0},
	}
	providertest.WantErrorMapping(t, cases, func(status int, h http.Header, body []byte) *providers.Error {
		return MapError(status, h, body, providertest.Now)
	})
}

func TestCredentialNeverEchoed(t *testing.T) {
	const key = "sk-ant-canary-0123456789"
	e := MapError(401, http.Header{}, []byte(`{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key `+key+`"}}`), providertest.Now)
	if strings.Contains(e.Message, key) || !strings.Contains(e.Message, "vendor credential was rejected") {
		t.Errorf("message %q", e.Message)
	}
}

func TestNewRequest(t *testing.T) {
	a, err := New(&config.Provider{Name: "a", Type: config.ProviderAnthropic, Endpoint: "https://anthropic.example/v1/", APIKey: "sk-ant-x",
		Headers: map[string]string{"X-Extra": "1", "X-Api-Key": "client-cannot-override"}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.NewRequest(context.Background(), &providers.Request{Body: []byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), Model: "claude-x", Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"url":               req.URL.String(),
		"x-api-key":         req.Header.Get("X-Api-Key"),
		"anthropic-version": req.Header.Get("Anthropic-Version"),
		"content-type":      req.Header.Get("Content-Type"),
		"x-extra":           req.Header.Get("X-Extra"),
	}
	want := map[string]string{"url": "https://anthropic.example/v1/messages", "x-api-key": "sk-ant-x",
		"anthropic-version": DefaultVersion, "content-type": "application/json", "x-extra": "1"}
	for k, v := range want {
		if checks[k] != v {
			t.Errorf("%s = %q, want %q", k, checks[k], v)
		}
	}
	if _, err := a.NewRequest(context.Background(), &providers.Request{Op: providers.OpEmbeddings, Body: []byte(`{}`)}); err == nil {
		t.Error("embeddings must be refused")
	}
}
