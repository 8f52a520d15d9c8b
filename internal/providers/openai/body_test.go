package openai

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

func TestScanAndRewrite(t *testing.T) {
	tests := map[string]struct {
		in, model string
		usage     bool
		want      string
		maxTokens int64
	}{
		"model only":    {`{"model":"a","messages":[1]}`, "b", false, `{"model":"b","messages":[1]}`, 0},
		"add usage":     {`{"model":"a","stream":true,"messages":[]}`, "a", true, `{"model":"a","stream":true,"messages":[],"stream_options":{"include_usage":true}}`, 0},
		"keep usage":    {`{"model":"a","stream":true,"stream_options":{"include_usage":true}}`, "b", true, `{"model":"b","stream":true,"stream_options":{"include_usage":true}}`, 0},
		"merge options": {`{"model":"a","stream_options":{"x":1}}`, "a", true, `{"model":"a","stream_options":{"include_usage":true,"x":1}}`, 0},
		"spaces":        {` { "model" : "a" , "max_tokens" : 9 } `, "é", false, ` { "model" : "é" , "max_tokens" : 9 } `, 9},
		// An upstream may read either bound: the larger one is judged.
		"largest bound":    {`{"max_completion_tokens":3,"max_tokens":9,"model":"a"}`, "a", false, `{"max_completion_tokens":3,"max_tokens":9,"model":"a"}`, 9},
		"output and think": {`{"model":"a","max_output_tokens":5,"thinking":{"type":"enabled","budget_tokens":12}}`, "a", false, `{"model":"a","max_output_tokens":5,"thinking":{"type":"enabled","budget_tokens":12}}`, 12},
		"escaped content":  {`{"messages":[{"content":"\"model\":\"x\"}"}],"model":"a"}`, "b", false, `{"messages":[{"content":"\"model\":\"x\"}"}],"model":"b"}`, 0},
		"null stream opts": {`{"model":"a","stream_options":null}`, "a", true, `{"model":"a","stream_options":{"include_usage":true}}`, 0},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f, err := Scan([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if f.MaxTokens != tc.maxTokens {
				t.Errorf("max tokens %d", f.MaxTokens)
			}
			out, err := Rewrite([]byte(tc.in), &f, tc.model, tc.usage)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if json.Unmarshal(out, &got) != nil || json.Unmarshal([]byte(tc.want), &want) != nil {
				t.Fatalf("invalid JSON %s", out)
			}
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			if string(g) != string(w) {
				t.Errorf("got %s want %s", out, tc.want)
			}
		})
	}
}

func TestMapError(t *testing.T) {
	h := http.Header{}
	h.Set("Retry-After", "3")
	tests := []struct {
		status     int
		body       string
		wantStatus int
		class      providers.ErrorClass
	}{
		{429, `{"error":{"message":"slow down","type":"requests","code":"rate_limit_exceeded"}}`, 429, providers.ClassRateLimited},
		{500, ``, 502, providers.ClassServerError},
		{503, `{"error":{"message":"overloaded"}}`, 503, providers.ClassServerError},
		{529, ``, 503, providers.ClassServerError},
		{401, `{"error":{"message":"Incorrect API key provided: sk-secret123"}}`, 502, providers.ClassServerError},
		{400, `{"error":{"message":"bad","type":"invalid_request_error","param":"x","code":"bad"}}`, 400, providers.ClassFatal},
		{408, ``, 504, providers.ClassTimeout},
	}
	for _, tc := range tests {
		e := MapError(tc.status, h, []byte(tc.body), "sk-secret123")
		if e.Status != tc.wantStatus || e.Class != tc.class || e.RetryAfter != 3*time.Second {
			t.Errorf("%d: %+v", tc.status, e)
		}
		if strings.Contains(e.Message, "sk-secret123") {
			t.Errorf("%d: credential in message %q", tc.status, e.Message)
		}
	}
}
