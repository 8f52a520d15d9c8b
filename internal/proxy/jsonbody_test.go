package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Issue 12 item 2: bodies with a duplicate member anywhere are refused
// with 400 naming it, and maxTokensPerRequest applies to every field
// that bounds the answer's length, on both client APIs.
func TestDuplicateMembersAndEveryOutputField(t *testing.T) {
	g, key, up := policyGateway(t, config.Policy{Name: "cap", MaxTokensPerRequest: 100}, nil)
	type want struct {
		status int
		param  string
	}
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for name, tc := range map[string]struct {
		path, body string
		want
	}{
		"duplicate max_tokens":   {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_tokens":1,"max_tokens":5000}`, want{400, "max_tokens"}},
		"escaped duplicate":      {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_tokens":1,"max\u005ftokens":5000}`, want{400, "max_tokens"}},
		"nested duplicate":       {"/v1/chat/completions", `{"model":"m","messages":[{"role":"user","content":"a"},{"role":"user","content":"a","content":"b"}]}`, want{400, "messages[1].content"}},
		"stream_options":         {"/v1/chat/completions", `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":false,"include_usage":true}}`, want{400, "stream_options.include_usage"}},
		"completion and max":     {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_completion_tokens":1,"max_tokens":5000}`, want{400, "max_tokens"}},
		"max and completion":     {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_tokens":1,"max_completion_tokens":5000}`, want{400, "max_completion_tokens"}},
		"max_output_tokens":      {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_output_tokens":5000}`, want{400, "max_output_tokens"}},
		"float bound":            {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_tokens":1e400}`, want{400, ""}},
		"messages duplicate":     {messagesPath, `{"model":"m","max_tokens":1,"max_tokens":5000,` + msgs + `}`, want{400, ""}},
		"messages thinking dup":  {messagesPath, `{"model":"m","max_tokens":50,` + msgs + `,"thinking":{"type":"enabled","budget_tokens":10,"budget_tokens":5000}}`, want{400, ""}},
		"messages thinking over": {messagesPath, `{"model":"m","max_tokens":50,` + msgs + `,"thinking":{"type":"enabled","budget_tokens":5000}}`, want{400, ""}},
		"within the cap":         {"/v1/chat/completions", `{"model":"m",` + msgs + `,"max_tokens":100,"max_completion_tokens":100}`, want{200, ""}},
		"messages within":        {messagesPath, `{"model":"m","max_tokens":100,` + msgs + `}`, want{200, ""}},
		"count_tokens duplicate": {countTokensPath, `{"model":"m","model":"other",` + msgs + `}`, want{400, ""}},
	} {
		t.Run(name, func(t *testing.T) {
			resp := g.do(t, http.MethodPost, tc.path, key, tc.body, nil)
			b := readAll(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, b, tc.status)
			}
			if tc.status == 200 {
				return
			}
			if tc.path != "/v1/chat/completions" {
				if !strings.Contains(b, `"type":"invalid_request_error"`) || !strings.Contains(b, `"type":"error"`) {
					t.Errorf("not an Anthropic error: %s", b)
				}
				return
			}
			errorCode(t, b)
			if tc.param != "" && !strings.Contains(b, `"param":"`+tc.param+`"`) {
				t.Errorf("param is not %q: %s", tc.param, b)
			}
		})
	}
	if n := up.Count(); n != 2 {
		t.Errorf("%d requests reached the upstream, want the 2 within the cap", n)
	}
}
