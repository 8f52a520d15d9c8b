package upstream

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /v1/chat/completions", s.openaiChat)
		mux.HandleFunc("POST /v1/embeddings", s.openaiEmbeddings)
		mux.HandleFunc("GET /v1/models", s.openaiModels)
		mux.HandleFunc("POST /v1/moderations", s.openaiModerations)
	})
}

type openaiChatRequest struct {
	Model    string `json:"model"`
	Stream   bool   `json:"stream"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	Tools []json.RawMessage `json:"tools"`
}

// openaiErrorFrame is the event that ends a stream with an error.
var openaiErrorFrame = map[string]any{"error": map[string]any{"message": "mock upstream error frame", "type": "server_error", "code": "server_error"}}

// openaiError writes OpenAI's error shape.
func openaiError(w http.ResponseWriter, f *faults, status int, msg string) {
	typ, code := "server_error", "server_error"
	switch {
	case status == http.StatusTooManyRequests:
		typ, code = "requests", "rate_limit_exceeded"
	case status < 500:
		typ, code = "invalid_request_error", "invalid_request"
	}
	writeError(w, f, status, openaiErrorBody(msg, typ, nil, code))
}

// openaiErrorBody is OpenAI's error object; param and code are a string
// or nil (null).
func openaiErrorBody(msg, typ string, param, code any) map[string]any {
	return map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": param, "code": code}}
}

// prelude applies the faults common to every endpoint; false means the
// answer has been written (or the client left).
func prelude(w http.ResponseWriter, r *http.Request, f *faults) bool {
	return vendorPrelude(w, r, f, openaiError)
}

func (s *Server) openaiChat(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	var req openaiChatRequest
	raw, ok := readJSON(w, r, &req, openaiError, "invalid JSON: ")
	if !ok {
		return
	}
	if !prelude(w, r, &f) {
		return
	}
	if rp := s.reply(); rp != nil {
		text, args := rp(raw)
		openaiPieces(w, &req, text, args)
		return
	}
	if f.error200 != "" {
		writeError(w, nil, http.StatusOK, openaiErrorBody("upstream failed for key "+f.key, f.error200, nil, nil))
		return
	}
	words := replyWords(&req, f.chunks)
	var call *toolCall
	if len(req.Tools) > 0 {
		call = &toolCall{ID: "call_1", Name: toolName(req.Tools[0]), Input: `{"city":"Paris"}`}
	}
	sc, text, scripted := s.scripted(openaiTools(&req), openaiHasResult(&req))
	switch {
	case scripted && sc != nil:
		call = &toolCall{ID: "call_script1", Name: sc.Name, Input: sc.Input}
	case scripted:
		call, words = nil, wordsOf(text)
	}
	if f.echoKey {
		half := len(f.key) / 2
		words = []string{"your key is ", f.key[:half], f.key[half:], " ok"}
	}
	prompt := int64(len(req.Messages) * 10)
	completion := int64(len(words))
	var usage any = map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}
	if f.usage != nil {
		usage = f.usage
	}
	id := "chatcmpl-up-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if !req.Stream {
		if f.size > 0 {
			s.openaiLarge(w, id, req.Model, f.size, usage)
			return
		}
		msg := map[string]any{"role": "assistant", "content": strings.Join(words, "")}
		finish := "stop"
		if call != nil {
			msg = map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
				"id": call.ID, "type": "function", "function": map[string]any{"name": call.Name, "arguments": call.Input}}}}
			finish = "tool_calls"
		}
		v := map[string]any{"id": id, "object": "chat.completion", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish, "logprobs": nil}}}
		if !f.noUsage {
			v["usage"] = usage
		}
		writeJSON(w, v)
		return
	}
	es := startEventStream(w)
	_ = es.rc.Flush()
	send := es.data
	chunk := func(delta map[string]any, finish any) map[string]any {
		return map[string]any{"id": id, "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
	}
	end := func() {
		if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !f.noUsage {
			send(map[string]any{"id": id, "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": req.Model,
				"choices": []any{}, "usage": usage})
		}
		es.done()
	}
	if scripted && sc != nil {
		s.openaiStreamCall(r, &f, chunk, send, call)
		end()
		return
	}
	ok = s.streamChunks(r, &f, len(words), func(i int) {
		delta := map[string]any{"content": words[i]}
		if i == 0 {
			delta["role"] = "assistant"
		}
		send(chunk(delta, nil))
	}, func() { send(openaiErrorFrame) })
	if !ok {
		return
	}
	send(chunk(map[string]any{}, "stop"))
	end()
}

// openaiLarge writes a chat.completion whose content is size bytes,
// without holding it in memory.
func (s *Server) openaiLarge(w http.ResponseWriter, id, model string, size int, usage any) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"id":%q,"object":"chat.completion","created":%d,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":"`,
		id, time.Now().Unix(), model)
	line := []byte(strings.Repeat("x", 1023) + " ")
	for n := size; n > 0; n -= len(line) {
		if _, err := w.Write(line[:min(n, len(line))]); err != nil {
			return
		}
	}
	u, _ := json.Marshal(usage)
	_, _ = fmt.Fprintf(w, `"},"finish_reason":"stop","logprobs":null}],"usage":%s}`+"\n", u)
}

func toolName(raw json.RawMessage) string {
	var t struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	_ = json.Unmarshal(raw, &t)
	return t.Function.Name
}

// openaiStreamCall streams one tool call: its id and name, then the
// arguments in pieces, then finish_reason tool_calls.
func (s *Server) openaiStreamCall(r *http.Request, f *faults, chunk func(map[string]any, any) map[string]any,
	send func(any), call *toolCall) {
	tc := func(m map[string]any) map[string]any {
		m["index"] = 0
		return map[string]any{"tool_calls": []any{m}}
	}
	first := tc(map[string]any{"id": call.ID, "type": "function", "function": map[string]any{"name": call.Name, "arguments": ""}})
	first["role"], first["content"] = "assistant", nil
	send(chunk(first, nil))
	ok := s.streamChunks(r, f, 2, func(i int) {
		half := len(call.Input) / 2
		piece := call.Input[:half]
		if i == 1 {
			piece = call.Input[half:]
		}
		send(chunk(tc(map[string]any{"function": map[string]any{"arguments": piece}}), nil))
	}, func() { send(openaiErrorFrame) })
	if ok {
		send(chunk(map[string]any{}, "tool_calls"))
	}
}

func openaiTools(req *openaiChatRequest) []string {
	out := make([]string, len(req.Tools))
	for i, t := range req.Tools {
		out[i] = toolName(t)
	}
	return out
}

func openaiHasResult(req *openaiChatRequest) bool {
	for _, m := range req.Messages {
		if m.Role == "tool" {
			return true
		}
	}
	return false
}

func wordsOf(text string) []string {
	var out []string
	for _, w := range strings.SplitAfter(text, " ") {
		if w != "" {
			out = append(out, w)
		}
	}
	if len(out) == 0 {
		out = []string{""}
	}
	return out
}

// replyWords is n words "w1 w2 ...", or the echo of the last user message.
func replyWords(req *openaiChatRequest, n int) []string {
	if n >= 0 {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("w%d ", i+1)
		}
		return out
	}
	text := "Hello from upstream"
	for i := len(req.Messages) - 1; i >= 0; i-- {
		var s string
		if req.Messages[i].Role == "user" && json.Unmarshal(req.Messages[i].Content, &s) == nil {
			text = s
			break
		}
	}
	return wordsOf(text)
}

func (s *Server) openaiEmbeddings(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	var req struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
		Dimensions     int             `json:"dimensions"`
	}
	if _, ok := readJSON(w, r, &req, openaiError, "invalid JSON: "); !ok {
		return
	}
	if !prelude(w, r, &f) {
		return
	}
	n := 1
	var list []json.RawMessage
	if json.Unmarshal(req.Input, &list) == nil && len(list) > 0 {
		n = len(list)
	}
	if req.Dimensions < 0 || req.Dimensions > 3 || req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		openaiError(w, nil, http.StatusBadRequest, "mock: dimensions must be 1..3 and encoding_format float or base64")
		return
	}
	data := make([]any, n)
	for i := range data {
		data[i] = map[string]any{"object": "embedding", "index": i,
			"embedding": openaiVector([]float64{0.5, -0.25, float64(i)}, req.Dimensions, req.EncodingFormat)}
	}
	v := map[string]any{"object": "list", "model": req.Model, "data": data}
	if !f.noUsage {
		v["usage"] = map[string]any{"prompt_tokens": 4 * n, "total_tokens": 4 * n}
	}
	writeJSON(w, v)
}

func (s *Server) openaiModels(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	if !prelude(w, r, &f) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprint(w, `{"object":"list","data":[{"id":"up-model","object":"model","created":1700000000,"owned_by":"upstream"}]}`)
}

// openaiVector is v as OpenAI sends it: cut to dims values and scaled to
// unit length when dims is set, and with encoding_format base64 the
// base64 of its little-endian float32 bytes.
func openaiVector(v []float64, dims int, format string) any {
	if dims > 0 && dims < len(v) {
		v = v[:dims]
		var sum float64
		for _, f := range v {
			sum += f * f
		}
		for i := range v {
			v[i] /= math.Sqrt(sum)
		}
	}
	if format != "base64" {
		return v
	}
	b := make([]byte, 0, 4*len(v))
	for _, f := range v {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(float32(f)))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// openaiPieces answers with a Script's Reply: text pieces, then a tool
// call's argument pieces (args not nil).
func openaiPieces(w http.ResponseWriter, req *openaiChatRequest, text, args []string) {
	id := "chatcmpl-up-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	usage := map[string]any{"prompt_tokens": 10, "completion_tokens": len(text) + len(args), "total_tokens": 10 + len(text) + len(args)}
	finish := "stop"
	if args != nil {
		finish = "tool_calls"
	}
	if !req.Stream {
		msg := map[string]any{"role": "assistant", "content": strings.Join(text, "")}
		if args != nil {
			msg["tool_calls"] = []any{map[string]any{"id": "call_1", "type": "function",
				"function": map[string]any{"name": "lookup", "arguments": strings.Join(args, "")}}}
		}
		writeJSON(w, map[string]any{"id": id, "object": "chat.completion", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}}, "usage": usage})
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	rc := http.NewResponseController(w)
	send := func(delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
		_ = rc.Flush()
	}
	for _, p := range text {
		send(map[string]any{"content": p}, nil)
	}
	if args != nil {
		send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "id": "call_1", "type": "function",
			"function": map[string]any{"name": "lookup", "arguments": ""}}}}, nil)
		for _, p := range args {
			send(map[string]any{"tool_calls": []any{map[string]any{"index": 0, "function": map[string]any{"arguments": p}}}}, nil)
		}
	}
	send(map[string]any{}, finish)
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "created": 1700000000, "model": req.Model,
			"choices": []any{}, "usage": usage})
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
	}
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	_ = rc.Flush()
}

// openaiModerations answers OpenAI's moderation endpoint: the input is
// flagged (category "violence") when it holds "FLAG-ME", the answer is a
// 500 when it holds "FAIL-ME", and it never comes (until the client
// leaves) when it holds "STALL-ME".
func (s *Server) openaiModerations(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Model string `json:"model"`
		Input string `json:"input"`
	}
	if _, ok := readJSON(w, r, &req, openaiError, "invalid JSON: "); !ok {
		return
	}
	switch {
	case strings.Contains(req.Input, "STALL-ME"):
		<-r.Context().Done()
		s.noteCancelled()
		return
	case strings.Contains(req.Input, "FAIL-ME"):
		openaiError(w, nil, http.StatusInternalServerError, "moderation failed")
		return
	}
	flagged := strings.Contains(req.Input, "FLAG-ME")
	writeJSON(w, map[string]any{"id": "modr-1", "model": req.Model, "results": []any{map[string]any{
		"flagged": flagged, "categories": map[string]bool{"violence": flagged, "hate": false}}}})
}
