package upstream

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Anthropic Messages API (POST /v1/messages), after Anthropic's API
// reference: x-api-key and anthropic-version headers, max_tokens required,
// user/assistant alternation, message objects with content blocks, and
// streams of named SSE events (message_start, content_block_start, ping,
// content_block_delta, content_block_stop, message_delta, message_stop;
// error events inside a 200 stream).

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /v1/messages", s.anthropicMessages)
	})
}

type anthropicRequest struct {
	Model     string `json:"model"`
	MaxTokens int64  `json:"max_tokens"`
	Stream    bool   `json:"stream"`
	Messages  []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	Tools []struct {
		Name        string          `json:"name"`
		InputSchema json.RawMessage `json:"input_schema"`
	} `json:"tools"`
	Thinking *struct {
		Type string `json:"type"`
	} `json:"thinking"`
	// cached is true when a block of the request has cache_control: the
	// mock then reports a cache write and a cache read.
	cached bool
}

// Prompt-cache usage the mock reports for a request with cache_control.
const (
	MockCacheWriteTokens = 12
	MockCacheReadTokens  = 30
)

// MockSignature signs the thinking block the mock answers with when the
// request enables extended thinking.
const MockSignature = "EqQBCkgIARABGAIiQMockSignature=="

// anthropicErrorType is the error type Anthropic uses for a status.
func anthropicErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case 529:
		return "overloaded_error"
	}
	return "api_error"
}

func anthropicError(w http.ResponseWriter, f *faults, status int, msg string) {
	w.Header().Set("Request-Id", "req_mock")
	writeError(w, f, status, map[string]any{"type": "error", "error": map[string]any{"type": anthropicErrorType(status), "message": msg}})
}

// lastAnthropicText is the text of the last user message, and whether it
// ends with tool results (then the mock answers in text, not a tool call).
func lastAnthropicText(req *anthropicRequest) (string, bool) {
	for i := len(req.Messages) - 1; i >= 0; i-- {
		m := req.Messages[i]
		if m.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(m.Content, &s) == nil {
			return s, false
		}
		var blocks []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		_ = json.Unmarshal(m.Content, &blocks)
		text, toolResult := "", false
		for _, b := range blocks {
			switch b.Type {
			case "text":
				text += b.Text
			case "tool_result":
				toolResult = true
			}
		}
		return text, toolResult
	}
	return "", false
}

func validateAnthropic(r *http.Request, req *anthropicRequest) (int, string) {
	switch {
	case r.Header.Get("x-api-key") == "":
		return http.StatusUnauthorized, "x-api-key header is required"
	case r.Header.Get("anthropic-version") == "":
		return http.StatusBadRequest, "anthropic-version: header is required"
	case req.Model == "":
		return http.StatusBadRequest, "model: Field required"
	case req.MaxTokens <= 0:
		return http.StatusBadRequest, "max_tokens: Field required"
	case len(req.Messages) == 0:
		return http.StatusBadRequest, "messages: at least one message is required"
	}
	// Under an anthropic-beta flag (as Claude Code sends), system
	// messages may stand between turns; they take no part in the
	// alternation.
	beta := r.Header.Get("anthropic-beta") != ""
	i := 0
	for n, m := range req.Messages {
		if beta && m.Role == "system" && n > 0 {
			continue
		}
		want := "user"
		if i%2 == 1 {
			want = "assistant"
		}
		i++
		if m.Role != want && !(i == 1 && m.Role == "assistant") {
			return http.StatusBadRequest, fmt.Sprintf("messages: roles must alternate between \"user\" and \"assistant\" (messages.%d)", n)
		}
	}
	return 0, ""
}

func (s *Server) anthropicMessages(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	var req anthropicRequest
	raw, ok := readJSON(w, r, &req, anthropicError, "invalid JSON: ")
	if !ok {
		return
	}
	req.cached = bytes.Contains(raw, []byte(`"cache_control"`))
	if status, msg := validateAnthropic(r, &req); status != 0 {
		anthropicError(w, nil, status, msg)
		return
	}
	if !vendorPrelude(w, r, &f, anthropicError) {
		return
	}
	text, afterTool := lastAnthropicText(&req)
	var def *toolCall
	if len(req.Tools) > 0 && !afterTool {
		def = defaultCall("toolu_mock1", req.Tools[0].Name)
	}
	call, chunks := s.play(&f, anthropicTools(&req), anthropicHasResult(&req), def, text)
	if call != nil {
		call.ID = strings.Replace(call.ID, "call_", "toolu_", 1)
	}
	id := "msg_mock" + strconv.FormatInt(time.Now().UnixNano(), 36)
	input := int64(len(req.Messages) * 10)
	cacheWrite, cacheRead := 0, 0
	if req.cached {
		cacheWrite, cacheRead = MockCacheWriteTokens, MockCacheReadTokens
	}
	usage := map[string]any{"input_tokens": input, "output_tokens": len(chunks),
		"cache_creation_input_tokens": cacheWrite, "cache_read_input_tokens": cacheRead}
	stop := "end_turn"
	var content []any
	if call != nil {
		stop = "tool_use"
		content = []any{map[string]any{"type": "tool_use", "id": call.ID, "name": call.Name, "input": json.RawMessage(call.Input)}}
	} else {
		content = []any{map[string]any{"type": "text", "text": strings.Join(chunks, "")}}
	}
	if req.Thinking != nil && req.Thinking.Type == "enabled" && !req.Stream {
		content = append([]any{map[string]any{"type": "thinking", "thinking": "The mock thinks.", "signature": MockSignature}}, content...)
	}
	if !req.Stream {
		v := map[string]any{"id": id, "type": "message", "role": "assistant", "model": req.Model, "content": content,
			"stop_reason": stop, "stop_sequence": nil}
		if !f.noUsage {
			v["usage"] = usage
		}
		writeJSON(w, v)
		return
	}
	s.anthropicStream(w, r, &f, &req, id, chunks, call, stop, usage)
}

func (s *Server) anthropicStream(w http.ResponseWriter, r *http.Request, f *faults, req *anthropicRequest, id string,
	chunks []string, call *toolCall, stop string, usage map[string]any) {
	cacheWrite, cacheRead := usage["cache_creation_input_tokens"], usage["cache_read_input_tokens"]
	send := startEventStream(w).event
	start := map[string]any{"id": id, "type": "message", "role": "assistant", "model": req.Model, "content": []any{},
		"stop_reason": nil, "stop_sequence": nil}
	if !f.noUsage {
		start["usage"] = map[string]any{"input_tokens": usage["input_tokens"], "output_tokens": 1,
			"cache_creation_input_tokens": cacheWrite, "cache_read_input_tokens": cacheRead}
	}
	send("message_start", map[string]any{"type": "message_start", "message": start})
	block := map[string]any{"type": "text", "text": ""}
	pieces := chunks
	if call != nil {
		block = map[string]any{"type": "tool_use", "id": call.ID, "name": call.Name, "input": map[string]any{}}
		pieces = splitN(call.Input, max(len(chunks), 1))
	}
	send("content_block_start", map[string]any{"type": "content_block_start", "index": 0, "content_block": block})
	send("ping", map[string]any{"type": "ping"})
	ok := s.streamChunks(r, f, len(pieces), func(i int) {
		delta := map[string]any{"type": "text_delta", "text": pieces[i]}
		if call != nil {
			delta = map[string]any{"type": "input_json_delta", "partial_json": pieces[i]}
		}
		send("content_block_delta", map[string]any{"type": "content_block_delta", "index": 0, "delta": delta})
	}, func() {
		send("error", map[string]any{"type": "error", "error": map[string]any{"type": "overloaded_error", "message": "Overloaded"}})
	})
	if !ok {
		return
	}
	send("content_block_stop", map[string]any{"type": "content_block_stop", "index": 0})
	md := map[string]any{"type": "message_delta", "delta": map[string]any{"stop_reason": stop, "stop_sequence": nil}}
	if !f.noUsage {
		md["usage"] = map[string]any{"output_tokens": usage["output_tokens"]}
	}
	send("message_delta", md)
	send("message_stop", map[string]any{"type": "message_stop"})
}

func anthropicTools(req *anthropicRequest) []string {
	out := make([]string, len(req.Tools))
	for i, t := range req.Tools {
		out[i] = t.Name
	}
	return out
}

// anthropicHasResult reports whether any user turn holds a tool_result.
func anthropicHasResult(req *anthropicRequest) bool {
	for _, m := range req.Messages {
		var blocks []struct {
			Type string `json:"type"`
		}
		if m.Role != "user" || json.Unmarshal(m.Content, &blocks) != nil {
			continue
		}
		for _, b := range blocks {
			if b.Type == "tool_result" {
				return true
			}
		}
	}
	return false
}
