package agents_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/test/upstream"
)

// toolResults returns the text of every tool result the upstream received
// in its vendor's wire form, by the call id (or, for Gemini, the function
// name) it answers.
func toolResults(t *testing.T, reqs []upstream.Recorded) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, r := range reqs {
		var body map[string]any
		if r.Method != "POST" || json.Unmarshal(r.Body, &body) != nil {
			continue
		}
		switch {
		case r.Path == "/v1/messages":
			for _, m := range list(body["messages"]) {
				for _, b := range list(obj(m)["content"]) {
					if bo := obj(b); bo["type"] == "tool_result" {
						out[str(bo["tool_use_id"])] = append(out[str(bo["tool_use_id"])], text(bo["content"]))
					}
				}
			}
		case r.Path == "/v1/chat/completions":
			for _, m := range list(body["messages"]) {
				if mo := obj(m); mo["role"] == "tool" {
					out[str(mo["tool_call_id"])] = append(out[str(mo["tool_call_id"])], text(mo["content"]))
				}
			}
		case r.Path == "/v1/responses":
			for _, it := range list(body["input"]) {
				if io := obj(it); io["type"] == "function_call_output" || io["type"] == "custom_tool_call_output" {
					out[str(io["call_id"])] = append(out[str(io["call_id"])], text(io["output"]))
				}
			}
		case strings.HasPrefix(r.Path, "/v1beta/models/"):
			for _, c := range list(body["contents"]) {
				for _, p := range list(obj(c)["parts"]) {
					if fr := obj(obj(p)["functionResponse"]); fr != nil {
						b, _ := json.Marshal(fr["response"])
						out[str(fr["name"])] = append(out[str(fr["name"])], string(b))
					}
				}
			}
		}
	}
	return out
}

// wantToolResult fails unless one of reqs carried a result for key
// holding marker.
func wantToolResult(t *testing.T, reqs []upstream.Recorded, key, marker string) {
	t.Helper()
	got := toolResults(t, reqs)
	for _, s := range got[key] {
		if strings.Contains(s, marker) {
			return
		}
	}
	t.Errorf("no upstream request carried a tool result for %q holding %q; results seen: %q", key, marker, got)
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// text is a content value as text: a string, or the text members of an
// array of blocks or parts.
func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	var b strings.Builder
	for _, p := range list(v) {
		b.WriteString(str(obj(p)["text"]))
	}
	return b.String()
}
