package openai

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

func TestCompletionsStream(t *testing.T) {
	chunk := `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[{"text":"hi","index":0,"logprobs":null,"finish_reason":null}]}`
	usage := `{"id":"cmpl-1","object":"text_completion","model":"m","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":1,"total_tokens":5}}`
	for _, tc := range []struct {
		name, body string
		events     int
		usage      int64
		err        string // "" for a clean end
	}{
		{"with usage", "data: " + chunk + "\n\ndata: " + usage + "\n\ndata: [DONE]\n\n", 3, 1, ""},
		{"no usage", "data: " + chunk + "\n\ndata: [DONE]\n\n", 2, 0, ""},
		{"cut before done", "data: " + chunk + "\n\n", 1, 0, "ended before [DONE]"},
		{"error object", "data: " + chunk + "\n\ndata: {\"error\":{\"message\":\"boom sk-secret\",\"type\":\"server_error\"}}\n\n", 1, 0, "boom [redacted]"},
		{"not json", "data: {nope\n\n", 0, 0, "decoding completions chunk"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewCompletionsStream(strings.NewReader(tc.body), "sk-secret")
			var n int
			var out int64
			var err error
			for {
				var ev providers.Event
				if ev, err = s.Next(); err != nil {
					break
				}
				n++
				if ev.Usage != nil {
					out = ev.Usage.OutputTokens
					if !UsageOnly(ev.Data) {
						t.Error("the usage chunk is not usage-only")
					}
				}
			}
			if n != tc.events || out != tc.usage {
				t.Errorf("events %d usage %d, want %d %d", n, out, tc.events, tc.usage)
			}
			switch {
			case tc.err == "" && !errors.Is(err, io.EOF):
				t.Errorf("end: %v, want io.EOF", err)
			case tc.err != "" && !strings.Contains(err.Error(), tc.err):
				t.Errorf("end: %v, want %q", err, tc.err)
			}
		})
	}
}

func TestCompletionsBody(t *testing.T) {
	got, err := CompletionsBody([]byte(`{"model":"m","prompt":"x","stream":true}`), "up", true, true)
	if err != nil || string(got) != `{"model":"up","prompt":"x","stream":true,"stream_options":{"include_usage":true}}` {
		t.Fatalf("%s %v", got, err)
	}
	in := []byte(`{"model":"up","prompt":"x"}`)
	if got, err := CompletionsBody(in, "up", false, true); err != nil || string(got) != string(in) {
		t.Fatalf("unchanged body rewritten: %s %v", got, err)
	}
}
