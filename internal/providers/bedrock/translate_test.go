package bedrock

import (
	"bytes"
	"context"
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
	providertest.RequestGolden(t, func(body []byte) (any, error) { return toConverse(body) })
}

func TestResponseGolden(t *testing.T) {
	providertest.ResponseGolden(t, func(body []byte) ([]byte, providers.Usage, error) {
		return FromConverse(body, "anthropic.claude-3-5-sonnet-20240620-v1:0", providertest.Now)
	})
}

func TestStreamGolden(t *testing.T) {
	providertest.StreamGolden(t, ".json", func(t *testing.T, in string) providers.Stream {
		return NewStream(bytes.NewReader(encodeFrames(t, in)), "anthropic.claude-3-5-sonnet-20240620-v1:0", providertest.Now)
	})
}

func TestStreamCorruptFrame(t *testing.T) {
	b := encodeFrames(t, "testdata/stream/text.json")
	b[len(b)/2] ^= 0xff
	s := NewStream(bytes.NewReader(b), "m", providertest.Now)
	var err error
	for range 100 {
		if _, err = s.Next(); err != nil {
			break
		}
	}
	var pe *providers.Error
	if err == nil || errors.Is(err, io.EOF) || errors.As(err, &pe) {
		t.Fatalf("a corrupt frame must break the stream, got %v", err)
	}
}

func TestRequestErrors(t *testing.T) {
	cases := map[string]providertest.BadRequestCase{
		"not JSON":        {`{`, "not a valid chat completion request"},
		"http image":      {`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/a.png"}}]}]}`, "data: URLs only"},
		"tiff image":      {`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/tiff;base64,AAAA"}}]}]}`, `"image/tiff" is not supported`},
		"n above one":     {`{"n":3,"messages":[{"role":"user","content":"x"}]}`, "n > 1"},
		"tool no id":      {`{"messages":[{"role":"tool","content":"x"}]}`, "needs tool_call_id"},
		"only system":     {`{"messages":[{"role":"system","content":"x"}]}`, "at least one user or assistant"},
		"odd tool":        {`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"code_interpreter"}]}`, "only function tools"},
		"bad choice":      {`{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"a"}}],"tool_choice":"often"}`, `tool_choice "often"`},
		"call with no id": {`{"messages":[{"role":"assistant","tool_calls":[{"type":"function","function":{"name":"a"}}]}]}`, "id and function.name"},
	}
	providertest.WantBadRequests(t, cases, func(body []byte) error {
		_, err := toConverse(body)
		return err
	})
}

func TestErrorMapping(t *testing.T) {
	cases := map[string]struct {
		status     int
		errType    string
		body       string
		retry      string
		wantStatus int
		wantClass  providers.ErrorClass
		wantCode   string
	}{
		"throttled":          {429, "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/", `{"message":"Too many requests"}`, "2", 429, providers.ClassRateLimited, "rate_limit_exceeded"},
		"unavailable":        {503, "ServiceUnavailableException", `{"message":"busy"}`, "", 503, providers.ClassServerError, "upstream_unavailable"},
		"validation":         {400, "ValidationException", `{"message":"temperature out of range"}`, "", 400, providers.ClassFatal, "invalid_request"},
		"context too long":   {400, "ValidationException", `{"message":"Input is too long for requested model."}`, "", 400, providers.ClassFatal, "context_length_exceeded"},
		"access denied":      {403, "AccessDeniedException", `{"Message":"You don't have access to the model"}`, "", 502, providers.ClassServerError, "upstream_credential_rejected"},
		"bad signature":      {403, "InvalidSignatureException", `{"message":"The request signature we calculated does not match"}`, "", 502, providers.ClassServerError, "upstream_credential_rejected"},
		"unknown model":      {404, "ResourceNotFoundException", `{"message":"Could not resolve the foundation model"}`, "", 404, providers.ClassFatal, "model_not_found"},
		"model timeout":      {408, "ModelTimeoutException", `{"message":"timeout"}`, "", 504, providers.ClassTimeout, "upstream_timeout"},
		"internal":           {500, "InternalServerException", `{"message":"oops"}`, "", 502, providers.ClassServerError, "upstream_error"},
		"no type header 429": {429, "", `not json`, "", 429, providers.ClassRateLimited, "rate_limit_exceeded"},
		"no type header 401": {401, "", ``, "", 502, providers.ClassServerError, "upstream_credential_rejected"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			h := http.Header{}
			if c.errType != "" {
				h.Set("x-amzn-ErrorType", c.errType)
			}
			if c.retry != "" {
				h.Set("Retry-After", c.retry)
			}
			e := MapError(c.status, h, []byte(c.body), providertest.Now)
			if e.Status != c.wantStatus || e.Class != c.wantClass || e.Code != c.wantCode {
				t.Errorf("got status=%d class=%d code=%s, want %d %d %s", e.Status, e.Class, e.Code, c.wantStatus, c.wantClass, c.wantCode)
			}
			if c.retry == "2" && e.RetryAfter != 2*time.Second {
				t.Errorf("retry after %v", e.RetryAfter)
			}
		})
	}
}

func TestNewRequestSigned(t *testing.T) {
	p := &config.Provider{Name: "b", Type: config.ProviderBedrock, Bedrock: &config.BedrockSettings{
		Region: "eu-west-3", AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "secret-canary", SessionToken: "token-1"}}
	a, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	a.(*Adapter).now = func() time.Time { return providertest.Now }
	req, err := a.NewRequest(context.Background(), &providers.Request{Body: []byte(`{"messages":[{"role":"user","content":"hi"}]}`),
		Model: "arn:aws:bedrock:eu-west-3::foundation-model/anthropic.claude-v2:1", Stream: true})
	if err != nil {
		t.Fatal(err)
	}
	wantURL := "https://bedrock-runtime.eu-west-3.amazonaws.com/model/arn%3Aaws%3Abedrock%3Aeu-west-3%3A%3Afoundation-model%2Fanthropic.claude-v2%3A1/converse-stream"
	if req.URL.String() != wantURL {
		t.Errorf("url\n got %s\nwant %s", req.URL, wantURL)
	}
	auth := req.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/eu-west-3/bedrock/aws4_request") ||
		!strings.Contains(auth, "SignedHeaders=") || strings.Contains(auth, "secret-canary") {
		t.Errorf("authorization %q", auth)
	}
	if req.Header.Get("X-Amz-Date") != "20260101T000000Z" || req.Header.Get("X-Amz-Security-Token") != "token-1" {
		t.Errorf("amz headers %v", req.Header)
	}
}

func TestNewRequestAPIKeyAndConfigErrors(t *testing.T) {
	a, err := New(&config.Provider{Name: "b", Type: config.ProviderBedrock, APIKey: "bedrock-api-key", Endpoint: "http://127.0.0.1:9/base/",
		Bedrock: &config.BedrockSettings{Region: "us-east-1"}})
	if err != nil {
		t.Fatal(err)
	}
	req, err := a.NewRequest(context.Background(), &providers.Request{Body: []byte(`{"messages":[{"role":"user","content":"hi"}]}`), Model: "amazon.nova-lite-v1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if req.URL.String() != "http://127.0.0.1:9/base/model/amazon.nova-lite-v1%3A0/converse" || req.Header.Get("Authorization") != "Bearer bedrock-api-key" {
		t.Errorf("got %s %q", req.URL, req.Header.Get("Authorization"))
	}
	for name, p := range map[string]*config.Provider{
		"no region":      {Bedrock: &config.BedrockSettings{AccessKeyID: "a", SecretAccessKey: "b"}},
		"no settings":    {APIKey: "k"},
		"no credentials": {Bedrock: &config.BedrockSettings{Region: "us-east-1"}},
	} {
		if _, err := New(p); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestStreamRefusesOversizedFrames(t *testing.T) {
	for name, prelude := range map[string][]byte{
		"over the limit":     {0x7f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
		"headers past total": {0, 0, 0, 20, 0, 0, 0, 10, 0, 0, 0, 0},
	} {
		_, err := NewStream(bytes.NewReader(prelude), "m", providertest.Now).Next()
		if err == nil || !strings.Contains(err.Error(), "malformed or over") {
			t.Errorf("%s: got %v", name, err)
		}
	}
}
