package proxy

import (
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// FuzzParseRequest: no input panics the light parser, and whatever it
// accepts has a model, and can be rewritten into valid JSON with the same
// non-model content.
func FuzzParseRequest(f *testing.F) {
	for _, seed := range []string{
		`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"},{"type":"image_url","image_url":{"url":"data:,"}}]}],"stream":true}`,
		`{"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":false,"x":1}}`,
		`{"model":"m","input":["a","b"],"max_tokens":5,"max_completion_tokens":7}`,
		`{"model":"m\u00e9","messages":[{"content":"\"}"}]}`,
		`{"mod\u0065l":"a","model":"b","messages":[]}`,
		`{"model":"m","messages":` + strings.Repeat("[", 2000) + strings.Repeat("]", 2000) + `}`,
		`{"model":"m","messages":[]} `, `[]`, `{`, `"x"`, ``, `{"model":null}`, `{"model":"m","stream":1}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, op := range []providers.Operation{providers.OpChat, providers.OpEmbeddings} {
			p, aerr := parseRequest(op, body)
			if aerr != nil {
				if aerr.Status != 400 {
					t.Fatalf("status %d", aerr.Status)
				}
				continue
			}
			if p.fields.Model == "" {
				t.Fatal("accepted without a model")
			}
			out, err := openai.Rewrite(body, &p.fields, "upstream-\"model", p.fields.Stream)
			if err != nil {
				t.Fatalf("rewrite: %v", err)
			}
			f2, err := openai.Scan(out)
			if err != nil || f2.Model != "upstream-\"model" {
				t.Fatalf("rewritten body %q: %v (model %q)", out, err, f2.Model)
			}
			if p.fields.Stream && !f2.IncludeUsage {
				t.Fatalf("usage not requested in %q", out)
			}
		}
	})
}

// FuzzParseMessages: a /v1/messages body is refused with a 400 or parsed
// into a canonical body whose judged output bound is at least every bound
// of the Messages body (max_tokens, thinking.budget_tokens).
func FuzzParseMessages(f *testing.F) {
	for _, seed := range []string{
		`{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"hi"}],"thinking":{"type":"enabled","budget_tokens":5000}}`,
		`{"model":"m","max_tokens":50,"max_tokens":5000,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","max_tokens":9223372036854775807,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","max_tokens":1e400,"messages":[{"role":"user","content":"hi"}]}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, aerr := parseMessages(providers.OpChat, body)
		if aerr != nil {
			if aerr.Status != 400 {
				t.Fatalf("status %d: %s", aerr.Status, aerr.Message)
			}
			return
		}
		raw, err := openai.Scan(body)
		if err != nil {
			t.Fatalf("accepted a body Scan refuses: %v", err)
		}
		if p.fields.MaxTokens < raw.MaxTokens {
			t.Fatalf("judged bound %d below the body's %d (%s)", p.fields.MaxTokens, raw.MaxTokens, raw.MaxTokensField)
		}
	})
}
