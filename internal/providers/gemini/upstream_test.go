package gemini_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/gemini"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

const (
	textBody = `{"model":"pub","messages":[{"role":"system","content":"s"},{"role":"user","content":"hello big world"}]}`
	toolBody = `{"model":"pub","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`
)

// TestAgainstMockUpstream drives the adapter over real HTTP on 127.0.0.1.
func TestAgainstMockUpstream(t *testing.T) {
	srv := upstream.New(t)
	a, err := gemini.New(&config.Provider{Name: "g", Type: config.ProviderGemini, Endpoint: srv.URL, APIKey: "AIza-test"})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		body    string
		stream  bool
		headers map[string]string
		check   func(t *testing.T, r *upstream.Result)
	}{
		"text": {body: textBody, check: func(t *testing.T, r *upstream.Result) {
			wantMessage(t, r.Body, "hello big world", "stop")
			wantUsage(t, r.Usage, providers.Usage{InputTokens: 10, OutputTokens: 3, Reported: true})
		}},
		"tool call": {body: toolBody, check: func(t *testing.T, r *upstream.Result) {
			wantMessage(t, r.Body, "", "tool_calls")
		}},
		"no usage": {body: textBody, headers: map[string]string{"x-mock-no-usage": "1"}, check: func(t *testing.T, r *upstream.Result) {
			wantUsage(t, r.Usage, providers.Usage{})
		}},
		"stream text": {body: textBody, stream: true, check: func(t *testing.T, r *upstream.Result) {
			wantStream(t, r, "hello big world", "", io.EOF)
			wantUsage(t, *r.Chunks[len(r.Chunks)-1].Usage, providers.Usage{InputTokens: 10, OutputTokens: 3, Reported: true})
		}},
		"stream tool call": {body: toolBody, stream: true, check: func(t *testing.T, r *upstream.Result) {
			wantStream(t, r, "", `{"city":"Paris"}`, io.EOF)
		}},
		"stream without usage": {body: textBody, stream: true, headers: map[string]string{"x-mock-no-usage": "1"}, check: func(t *testing.T, r *upstream.Result) {
			for _, c := range r.Chunks {
				if c.Usage != nil {
					t.Errorf("usage chunk %s", c.Data)
				}
			}
		}},
		"rate limited": {body: textBody, headers: map[string]string{"x-mock-status": "429", "x-mock-retry-after": "3"}, check: func(t *testing.T, r *upstream.Result) {
			wantError(t, r.Err, 429, providers.ClassRateLimited)
			if r.Err.RetryAfter != 3*time.Second {
				t.Errorf("retry after %v", r.Err.RetryAfter)
			}
		}},
		"overloaded": {body: textBody, headers: map[string]string{"x-mock-status": "503"}, check: func(t *testing.T, r *upstream.Result) {
			wantError(t, r.Err, 503, providers.ClassServerError)
		}},
		"credential rejected": {body: textBody, headers: map[string]string{"x-mock-status": "401"}, check: func(t *testing.T, r *upstream.Result) {
			wantError(t, r.Err, 502, providers.ClassServerError)
		}},
		"error frame": {body: textBody, stream: true, headers: map[string]string{"x-mock-error-frame": "1"}, check: func(t *testing.T, r *upstream.Result) {
			var pe *providers.Error
			if !errors.As(r.End, &pe) || pe.Status != 503 {
				t.Errorf("end %v", r.End)
			}
		}},
		"dropped connection": {body: textBody, stream: true, headers: map[string]string{"x-mock-drop-after": "1"}, check: func(t *testing.T, r *upstream.Result) {
			var pe *providers.Error
			if r.End == nil || errors.Is(r.End, io.EOF) || errors.As(r.End, &pe) {
				t.Errorf("a dropped stream must end with a broken-stream error, got %v", r.End)
			}
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := upstream.Call(context.Background(), upstream.Client(), a,
				&providers.Request{Body: []byte(c.body), Model: "gemini-2.0-flash", Stream: c.stream}, c.headers)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, r)
		})
	}
	seen := false
	for _, r := range srv.Requests() {
		seen = seen || r.Path == "/v1beta/models/gemini-2.0-flash:streamGenerateContent"
		if r.Header.Get("x-goog-api-key") != "AIza-test" || strings.Contains(r.Query, "key=") {
			t.Errorf("upstream saw %s?%s %v", r.Path, r.Query, r.Header)
		}
	}
	if !seen {
		t.Errorf("no request reached %s", "/v1beta/models/gemini-2.0-flash:streamGenerateContent")
	}
}

func wantMessage(t *testing.T, body []byte, text, finish string) {
	t.Helper()
	got, gotFinish, err := upstream.Answer(body)
	if err != nil {
		t.Fatal(err)
	}
	if got != text || gotFinish != finish {
		t.Errorf("got %q/%s, want %q/%s", got, gotFinish, text, finish)
	}
}

func wantUsage(t *testing.T, got, want providers.Usage) {
	t.Helper()
	if got != want {
		t.Errorf("usage %+v, want %+v", got, want)
	}
}

func wantError(t *testing.T, e *providers.Error, status int, class providers.ErrorClass) {
	t.Helper()
	if e == nil || e.Status != status || e.Class != class {
		t.Fatalf("error %+v, want status %d class %d", e, status, class)
	}
	if strings.Contains(e.Message, "AIza-test") {
		t.Errorf("the key leaked: %q", e.Message)
	}
}

func wantStream(t *testing.T, r *upstream.Result, text, args string, end error) {
	t.Helper()
	if !errors.Is(r.End, end) {
		t.Fatalf("stream ended with %v, want %v", r.End, end)
	}
	gotText, gotArgs, _, err := upstream.Joined(r.Chunks)
	if err != nil {
		t.Fatal(err)
	}
	if gotText != text || gotArgs != args {
		t.Errorf("stream text %q args %q, want %q %q", gotText, gotArgs, text, args)
	}
}

func TestEmbeddingsAgainstMockUpstream(t *testing.T) {
	srv := upstream.New(t)
	a, err := gemini.New(&config.Provider{Name: "e", Endpoint: srv.URL, APIKey: "AIza-test"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := upstream.Call(context.Background(), upstream.Client(), a,
		&providers.Request{Op: providers.OpEmbeddings, Body: []byte(`{"model":"pub","input":["a","b"]}`), Model: "text-embedding-004"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Object string `json:"object"`
		Data   []struct {
			Index     int       `json:"index"`
			Embedding []float64 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.Body, &list); err != nil || list.Object != "list" || len(list.Data) != 2 || list.Data[1].Index != 1 || len(list.Data[1].Embedding) == 0 {
		t.Fatalf("embeddings %s (%v)", r.Body, err)
	}
}
