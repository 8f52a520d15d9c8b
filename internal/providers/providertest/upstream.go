package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/test/upstream"
)

// Bodies the upstream suite sends: a text turn behind a system prompt, and
// a question with one tool offered.
const (
	TextBody = `{"model":"pub","messages":[{"role":"system","content":"s"},{"role":"user","content":"hello big world"}]}`
	ToolBody = `{"model":"pub","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`
)

// UpstreamSuite describes one vendor adapter for RunUpstream: how to build
// it against the mock upstream and what the mock answers it.
type UpstreamSuite struct {
	// New builds the adapter for the mock's base URL.
	New func(endpoint string) (providers.Adapter, error)
	// Model is the upstream model of every call.
	Model string
	// Path is where the calls must arrive.
	Path string
	// AuthOK reports whether a received request carried the credential as
	// the vendor wants it.
	AuthOK func(r upstream.Recorded) bool
	// Key is the secret that must never appear in an error message.
	Key string
	// InputTokens is what the mock reports for TextBody.
	InputTokens int64
	// OverloadStatus is the x-mock-status of an overloaded vendor.
	OverloadStatus string
	// StreamToolText and StreamToolArgs are the joined content and tool
	// arguments of a streamed ToolBody answer.
	StreamToolText, StreamToolArgs string
	// ErrorFrameOK checks the error that ends a stream with an error
	// event; nil checks for status 503.
	ErrorFrameOK func(e *providers.Error) bool
	// Embeddings, when set, is the upstream model of an embeddings call
	// (two inputs) the suite makes as well.
	Embeddings string
}

type upstreamCase struct {
	body    string
	stream  bool
	headers map[string]string
	check   func(t *testing.T, r *upstream.Result)
}

// RunUpstream drives the adapter over real HTTP on 127.0.0.1 through
// answers, streams and the mock's faults, then checks what the mock saw.
func RunUpstream(t *testing.T, s UpstreamSuite) {
	srv := upstream.New(t)
	a, err := s.New(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	usage := providers.Usage{InputTokens: s.InputTokens, OutputTokens: 3, Reported: true}
	errorFrameOK := s.ErrorFrameOK
	if errorFrameOK == nil {
		errorFrameOK = func(e *providers.Error) bool { return e.Status == 503 }
	}
	cases := map[string]upstreamCase{
		"text": {body: TextBody, check: func(t *testing.T, r *upstream.Result) {
			WantMessage(t, r.Body, "hello big world", "stop")
			WantUsage(t, r.Usage, usage)
		}},
		"tool call": {body: ToolBody, check: func(t *testing.T, r *upstream.Result) {
			WantMessage(t, r.Body, "", "tool_calls")
		}},
		"no usage": {body: TextBody, headers: map[string]string{"x-mock-no-usage": "1"}, check: func(t *testing.T, r *upstream.Result) {
			WantUsage(t, r.Usage, providers.Usage{})
		}},
		"stream text": {body: TextBody, stream: true, check: func(t *testing.T, r *upstream.Result) {
			WantStream(t, r, "hello big world", "", io.EOF)
			WantUsage(t, *r.Chunks[len(r.Chunks)-1].Usage, usage)
		}},
		"stream tool call": {body: ToolBody, stream: true, check: func(t *testing.T, r *upstream.Result) {
			WantStream(t, r, s.StreamToolText, s.StreamToolArgs, io.EOF)
		}},
		"stream without usage": {body: TextBody, stream: true, headers: map[string]string{"x-mock-no-usage": "1"}, check: func(t *testing.T, r *upstream.Result) {
			for _, c := range r.Chunks {
				if c.Usage != nil {
					t.Errorf("usage chunk %s", c.Data)
				}
			}
		}},
		"rate limited": {body: TextBody, headers: map[string]string{"x-mock-status": "429", "x-mock-retry-after": "3"}, check: func(t *testing.T, r *upstream.Result) {
			WantError(t, r.Err, 429, providers.ClassRateLimited, s.Key)
			if r.Err.RetryAfter != 3*time.Second {
				t.Errorf("retry after %v", r.Err.RetryAfter)
			}
		}},
		"overloaded": {body: TextBody, headers: map[string]string{"x-mock-status": s.OverloadStatus}, check: func(t *testing.T, r *upstream.Result) {
			WantError(t, r.Err, 503, providers.ClassServerError, s.Key)
		}},
		"credential rejected": {body: TextBody, headers: map[string]string{"x-mock-status": "401"}, check: func(t *testing.T, r *upstream.Result) {
			WantError(t, r.Err, 502, providers.ClassServerError, s.Key)
		}},
		"error frame": {body: TextBody, stream: true, headers: map[string]string{"x-mock-error-frame": "1"}, check: func(t *testing.T, r *upstream.Result) {
			var pe *providers.Error
			if !errors.As(r.End, &pe) || !errorFrameOK(pe) {
				t.Errorf("end %v", r.End)
			}
		}},
		"dropped connection": {body: TextBody, stream: true, headers: map[string]string{"x-mock-drop-after": "1"}, check: func(t *testing.T, r *upstream.Result) {
			var pe *providers.Error
			if r.End == nil || errors.Is(r.End, io.EOF) || errors.As(r.End, &pe) {
				t.Errorf("a dropped stream must end with a broken-stream error, got %v", r.End)
			}
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := upstream.Call(context.Background(), upstream.Client(), a,
				&providers.Request{Body: []byte(c.body), Model: s.Model, Stream: c.stream}, c.headers)
			if err != nil {
				t.Fatal(err)
			}
			c.check(t, r)
		})
	}
	if s.Embeddings != "" {
		t.Run("embeddings", func(t *testing.T) { upstreamEmbeddings(t, a, s.Embeddings) })
	}
	seen := false
	for _, r := range srv.Requests() {
		seen = seen || r.Path == s.Path
		if !s.AuthOK(r) {
			t.Errorf("upstream saw %s?%s %v", r.Path, r.Query, r.Header)
		}
	}
	if !seen {
		t.Errorf("no request reached %s", s.Path)
	}
}

// upstreamEmbeddings sends two inputs as an embeddings request through a
// (built against the mock) and checks the OpenAI list that comes back.
func upstreamEmbeddings(t *testing.T, a providers.Adapter, model string) {
	t.Helper()
	r, err := upstream.Call(context.Background(), upstream.Client(), a,
		&providers.Request{Op: providers.OpEmbeddings, Body: []byte(`{"model":"pub","input":["a","b"]}`), Model: model}, nil)
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

// WantMessage checks a translated chat.completion's text and finish reason.
func WantMessage(t *testing.T, body []byte, text, finish string) {
	t.Helper()
	got, gotFinish, err := upstream.Answer(body)
	if err != nil {
		t.Fatal(err)
	}
	if got != text || gotFinish != finish {
		t.Errorf("got %q/%s, want %q/%s", got, gotFinish, text, finish)
	}
}

// WantUsage checks usage figures.
func WantUsage(t *testing.T, got, want providers.Usage) {
	t.Helper()
	if got != want {
		t.Errorf("usage %+v, want %+v", got, want)
	}
}

// WantError checks a mapped error's status and class, and that key does
// not appear in its message.
func WantError(t *testing.T, e *providers.Error, status int, class providers.ErrorClass, key string) {
	t.Helper()
	if e == nil || e.Status != status || e.Class != class {
		t.Fatalf("error %+v, want status %d class %d", e, status, class)
	}
	if strings.Contains(e.Message, key) {
		t.Errorf("the key leaked: %q", e.Message)
	}
}

// WantStream checks how a drained stream ended and its joined content and
// tool call arguments.
func WantStream(t *testing.T, r *upstream.Result, text, args string, end error) {
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
