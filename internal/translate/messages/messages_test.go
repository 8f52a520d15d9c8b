package messages

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

func TestRequestGolden(t *testing.T) {
	providertest.RequestGolden(t, func(body []byte) (any, error) {
		out, req, err := Request(body)
		if err == nil && req.Model == "" {
			err = errors.New("decoded request has no model")
		}
		return json.RawMessage(out), err
	})
}

func TestResponseGolden(t *testing.T) {
	providertest.EachInput(t, "response", ".json", func(t *testing.T, in string, body []byte) {
		out, err := Response(body, "claude-public")
		if err != nil {
			t.Fatal(err)
		}
		providertest.Golden(t, providertest.GoldenName(in, ".json")+".json", providertest.Indent(t, out))
	})
}

// TestStreamGolden feeds chunk lines; "FINISH" ends the stream and
// "ERROR status message" fails it.
func TestStreamGolden(t *testing.T) {
	providertest.EachInput(t, "stream", ".jsonl", func(t *testing.T, in string, script []byte) {
		s := NewStream("claude-public")
		out := providertest.RunScript(t, s, script)
		if !s.Done() {
			t.Error("stream not done after FINISH")
		}
		checkEventOrder(t, out)
		providertest.Golden(t, providertest.GoldenName(in, ".jsonl")+".sse", out)
	})
}

// checkEventOrder asserts Anthropic's grammar: message_start first, blocks
// started before their deltas and stopped once, message_stop or error last.
func checkEventOrder(t *testing.T, sse []byte) {
	t.Helper()
	var names []string
	open := map[int]bool{}
	for _, ev := range bytes.Split(bytes.TrimSpace(sse), []byte("\n\n")) {
		lines := strings.SplitN(string(ev), "\n", 2)
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("malformed event %q", ev)
		}
		name := strings.TrimPrefix(lines[0], "event: ")
		var data struct {
			Type  string `json:"type"`
			Index int    `json:"index"`
		}
		if err := json.Unmarshal([]byte(strings.TrimPrefix(lines[1], "data: ")), &data); err != nil || data.Type != name {
			t.Fatalf("event %s has data type %q (%v)", name, data.Type, err)
		}
		switch name {
		case "content_block_start":
			if open[data.Index] {
				t.Errorf("block %d started twice", data.Index)
			}
			open[data.Index] = true
		case "content_block_delta":
			if !open[data.Index] {
				t.Errorf("delta for block %d that is not open", data.Index)
			}
		case "content_block_stop":
			if !open[data.Index] {
				t.Errorf("stop for block %d that is not open", data.Index)
			}
			delete(open, data.Index)
		case "message_delta", "message_stop":
			if len(open) > 0 {
				t.Errorf("%s with open blocks %v", name, open)
			}
		}
		names = append(names, name)
	}
	if len(names) == 0 {
		t.Fatal("no events")
	}
	if last := names[len(names)-1]; last != "message_stop" && last != "error" {
		t.Errorf("last event is %s", last)
	}
	if names[0] != "message_start" && names[0] != "error" {
		t.Errorf("first event is %s", names[0])
	}
}

func TestRequestErrors(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"not JSON":            {`{"model":`, "not a valid Messages request"},
		"no model":            {`{"max_tokens":1,"messages":[{"role":"user","content":"x"}]}`, "model: field required"},
		"no max_tokens":       {`{"model":"m","messages":[{"role":"user","content":"x"}]}`, "max_tokens"},
		"no messages":         {`{"model":"m","max_tokens":1,"messages":[]}`, "at least one message"},
		"bad role":            {`{"model":"m","max_tokens":1,"messages":[{"role":"tool","content":"x"}]}`, `unexpected role "tool"`},
		"server tool":         {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search_20250305","name":"web_search"}]}`, "server tool"},
		"tool_use in user":    {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_use","id":"a","name":"b","input":{}}]}]}`, "not allowed in a user message"},
		"image without data":  {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64"}}]}]}`, "image source"},
		"tool choice no name": {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"tool"}}`, "tool_choice.name"},
		"unknown tool choice": {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"maybe"}}`, "unknown value"},
		"document block":      {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x"}}]}]}`, "document blocks"},
		"unknown member":      {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"mcp_servers":[]}`, "mcp_servers: not supported"},
		"system image":        {`{"model":"m","max_tokens":1,"messages":[{"role":"system","content":[{"type":"image","source":{"type":"url","url":"https://x"}}]}]}`, "messages.0: content.0: a system prompt holds text blocks only"},
		"thinking type":       {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"deep"}}`, "thinking.type"},
		"thinking budget":     {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"thinking":{"type":"enabled","budget_tokens":10}}`, "thinking.budget_tokens"},
		"effort":              {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"output_config":{"effort":"extreme"}}`, "output_config.effort"},
		"format":              {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"output_config":{"format":{"type":"xml"}}}`, "output_config.format"},
		"clear tool uses":     {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"context_management":{"edits":[{"type":"clear_tool_uses_20250919"}]}}`, "context_management.edits.0.type"},
		"keep":                {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"context_management":{"edits":[{"type":"clear_thinking_20251015","keep":"some"}]}}`, "context_management.edits.0.keep"},
		"caller":              {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","input_schema":{"type":"object"},"allowed_callers":["code_execution_20250825"]}]}`, "tools.0.allowed_callers"},
		"citations":           {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"text","data":"d"},"citations":{"enabled":true}}]}]}`, "citations"},
		"file document":       {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"file","file_id":"f"}}]}]}`, "file source"},
		"tool result block":   {`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"search_result"}]}]}]}`, "messages.0: content.0: content.0: block type \"search_result\""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Request([]byte(c.body))
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("want *RequestError, got %v", err)
			}
			if !strings.Contains(re.Message, c.want) {
				t.Errorf("%q does not contain %q", re.Message, c.want)
			}
		})
	}
}

func TestErrorBody(t *testing.T) {
	cases := map[int]string{400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
		404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 502: "api_error",
		503: "overloaded_error", 529: "overloaded_error", 504: "timeout_error", 418: "invalid_request_error"}
	for status, typ := range cases {
		var e struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(FromOpenAIError(status, []byte(`{"error":{"message":"boom","type":"x"}}`)), &e); err != nil {
			t.Fatal(err)
		}
		if e.Type != "error" || e.Error.Type != typ || e.Error.Message != "boom" {
			t.Errorf("status %d: got %+v, want type %s", status, e, typ)
		}
	}
	if got := string(ErrorBody(502, "")); !strings.Contains(got, `"api_error"`) {
		t.Errorf("ErrorBody: %s", got)
	}
	if got := string(FromOpenAIError(503, []byte("<html>"))); !strings.Contains(got, "Service Unavailable") {
		t.Errorf("non-JSON body: %s", got)
	}
}

// TestToolChoice: every tool_choice variant, with and without
// disable_parallel_tool_use.
func TestToolChoice(t *testing.T) {
	cases := map[string]string{
		`{"type":"auto"}`:              `"tool_choice":"auto"`,
		`{"type":"any"}`:               `"tool_choice":"required"`,
		`{"type":"none"}`:              `"tool_choice":"none"`,
		`{"type":"tool","name":"get"}`: `"tool_choice":{"type":"function","function":{"name":"get"}}`,
		`{"type":"auto","disable_parallel_tool_use":true}`:              `"tool_choice":"auto","parallel_tool_calls":false`,
		`{"type":"any","disable_parallel_tool_use":true}`:               `"tool_choice":"required","parallel_tool_calls":false`,
		`{"type":"tool","name":"get","disable_parallel_tool_use":true}`: `"parallel_tool_calls":false`,
	}
	for choice, want := range cases {
		body := `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"get","input_schema":{"type":"object"}}],"tool_choice":` + choice + `}`
		out, _, err := Request([]byte(body))
		if err != nil || !strings.Contains(string(out), want) {
			t.Errorf("%s: %s (%v), want %s", choice, out, err, want)
		}
	}
}
