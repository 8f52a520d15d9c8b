package gemini

import (
	"context"
	"encoding/json"
	"errors"
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
	providertest.RequestGolden(t, func(body []byte) (any, error) { return toGenerate(body) })
}

func TestResponseGolden(t *testing.T) {
	providertest.ResponseGolden(t, func(body []byte) ([]byte, providers.Usage, error) {
		return FromGenerate(body, "fallback-model", providertest.Now)
	})
}

func TestStreamGolden(t *testing.T) {
	providertest.SSEGolden(t, func(body io.Reader) providers.Stream {
		return NewStream(body, "fallback-model", providertest.Now)
	})
}

func TestBlockedPrompt(t *testing.T) {
	_, _, err := FromGenerate([]byte(`{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}}`), "m", providertest.Now)
	var pe *providers.Error
	if !errors.As(err, &pe) || pe.Status != 400 || pe.Code != "content_filter" || !strings.Contains(pe.Message, "PROHIBITED_CONTENT") {
		t.Fatalf("got %#v", err)
	}
}

func TestRequestErrors(t *testing.T) {
	cases := map[string]providertest.BadRequestCase{
		"not JSON":           {`[`, "not a valid chat completion request"},
		"http image":         {`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "base64 data: URLs only"},
		"orphan tool result": {`{"messages":[{"role":"user","content":"x"},{"role":"tool","tool_call_id":"nope","content":"r"}]}`, `"nope" matches no earlier tool call`},
		"unknown role":       {`{"messages":[{"role":"critic","content":"x"}]}`, `unsupported role "critic"`},
		"no turns":           {`{"messages":[{"role":"system","content":"x"}]}`, "at least one user or assistant"},
		"bad tool":           {`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, "only function tools"},
	}
	providertest.WantBadRequests(t, cases, func(body []byte) error {
		_, err := toGenerate(body)
		return err
	})
}

func TestErrorMapping(t *testing.T) {
	cases := map[string]providertest.ErrorCase{
		"quota with RetryInfo": {429, nil, `{"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"31s"}]}}`, 429, providers.ClassRateLimited, "rate_limit_exceeded", 31 * time.Second},
		"quota with header":    {429, http.Header{"Retry-After": {"3"}}, `{"error":{"code":429,"message":"x","status":"RESOURCE_EXHAUSTED"}}`, 429, providers.ClassRateLimited, "rate_limit_exceeded", 3 * time.Second},
		"unavailable":          {503, nil, `{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`, 503, providers.ClassServerError, "upstream_unavailable", 0},
		"invalid argument":     {400, nil, `{"error":{"code":400,"message":"bad temperature","status":"INVALID_ARGUMENT"}}`, 400, providers.ClassFatal, "invalid_request", 0},
		"context too long":     {400, nil, `{"error":{"code":400,"message":"The input token count (2000000) exceeds the maximum number of tokens allowed (1048576).","status":"INVALID_ARGUMENT"}}`, 400, providers.ClassFatal, "context_length_exceeded", 0},
		"invalid api key":      {400, nil, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, 502, providers.ClassServerError, "upstream_credential_rejected", 0},
		"permission denied":    {403, nil, `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`, 502, providers.ClassServerError, "upstream_credential_rejected", 0},
		"model not found":      {404, nil, `{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`, 404, providers.ClassFatal, "model_not_found", 0},
		"internal":             {500, nil, `{"error":{"code":500,"message":"internal","status":"INTERNAL"}}`, 502, providers.ClassServerError, "upstream_error", 0},
		"deadline":             {504, nil, `{"error":{"code":504,"message":"deadline","status":"DEADLINE_EXCEEDED"}}`, 504, providers.ClassTimeout, "upstream_timeout", 0},
		"html 503":             {503, nil, `<html></html>`, 503, providers.ClassServerError, "upstream_unavailable", 0},
	}
	providertest.WantErrorMapping(t, cases, MapError)
}

func TestNewRequest(t *testing.T) {
	const key = "AIza-canary-key"
	a, err := New(&config.Provider{Name: "g", Type: config.ProviderGemini, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		r       providers.Request
		wantURL string
	}{
		"chat":       {providers.Request{Body: []byte(`{"messages":[{"role":"user","content":"hi"}]}`), Model: "gemini-2.0-flash"}, DefaultEndpoint + "/v1beta/models/gemini-2.0-flash:generateContent"},
		"stream":     {providers.Request{Body: []byte(`{"messages":[{"role":"user","content":"hi"}]}`), Model: "models/gemini-2.0-flash", Stream: true}, DefaultEndpoint + "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"},
		"embeddings": {providers.Request{Op: providers.OpEmbeddings, Body: []byte(`{"input":["a","b"],"dimensions":8}`), Model: "text-embedding-004"}, DefaultEndpoint + "/v1beta/models/text-embedding-004:batchEmbedContents"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, err := a.NewRequest(context.Background(), &c.r)
			if err != nil {
				t.Fatal(err)
			}
			if req.URL.String() != c.wantURL {
				t.Errorf("url %s, want %s", req.URL, c.wantURL)
			}
			if strings.Contains(req.URL.String(), key) || req.Header.Get("X-Goog-Api-Key") != key {
				t.Errorf("the key must be in x-goog-api-key and nowhere in the URL")
			}
			body, _ := io.ReadAll(req.Body)
			if !json.Valid(body) {
				t.Errorf("body is not JSON: %s", body)
			}
			if c.r.Op == providers.OpEmbeddings && !strings.Contains(string(body), `"model":"models/text-embedding-004"`) {
				t.Errorf("embeddings body %s", body)
			}
		})
	}
}

func TestEmbeddingsResponse(t *testing.T) {
	out, usage, err := fromBatchEmbed([]byte(`{"embeddings":[{"values":[0.1,0.2]},{"values":[0.3]}]}`), "text-embedding-004", []byte(`{"input":["a","b"]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]},{"object":"embedding","index":1,"embedding":[0.3]}],"model":"text-embedding-004","usage":{"prompt_tokens":0,"total_tokens":0}}`
	if string(out) != want || usage.Reported {
		t.Errorf("got %s %+v", out, usage)
	}
	// encoding_format base64 (the official SDKs' default) and dimensions:
	// little-endian float32 bytes of the vector cut to 1 value and scaled
	// to unit length (1.0 = 00 00 80 3f).
	out, _, err = fromBatchEmbed([]byte(`{"embeddings":[{"values":[0.1,0.2]}]}`), "m", []byte(`{"input":"a","encoding_format":"base64","dimensions":1}`))
	if err != nil || !strings.Contains(string(out), `"embedding":"AACAPw=="`) {
		t.Errorf("base64: %s %v", out, err)
	}
	if _, err := toBatchEmbed([]byte(`{"input":"a","encoding_format":"hex"}`), "m"); err == nil || !strings.Contains(err.Error(), "encoding_format") {
		t.Errorf("a bad encoding_format is refused by name: %v", err)
	}
}
