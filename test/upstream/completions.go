package upstream

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// The legacy completions API (POST /v1/completions, and Azure's
// /openai/deployments/{deployment}/completions), after OpenAI's API
// reference: model, prompt (a string, strings, tokens or token lists),
// suffix (fill-in-the-middle), max_tokens, n, stream and stream_options.
// The answer is a text_completion object (choices[].text, index,
// logprobs, finish_reason; usage prompt_tokens, completion_tokens,
// total_tokens); a stream is text_completion chunks, a last chunk with
// finish_reason, a usage chunk with no choices when include_usage was
// asked, and data: [DONE]. The fault headers apply as to chat.

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /v1/completions", s.openaiCompletions)
		mux.HandleFunc("POST /openai/deployments/{deployment}/completions", s.azure(s.openaiCompletions))
	})
}

type completionsRequest struct {
	Model         string          `json:"model"`
	Prompt        json.RawMessage `json:"prompt"`
	Suffix        *string         `json:"suffix"`
	MaxTokens     *int            `json:"max_tokens"`
	Stream        bool            `json:"stream"`
	StreamOptions *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

func (s *Server) openaiCompletions(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	var req completionsRequest
	if _, ok := readJSON(w, r, &req, openaiError, "invalid JSON: "); !ok {
		return
	}
	if len(req.Prompt) == 0 {
		openaiError(w, nil, http.StatusBadRequest, "you must provide a prompt")
		return
	}
	if !prelude(w, r, &f) {
		return
	}
	text := "Hello from upstream"
	if req.Suffix != nil {
		text = "middle part "
	}
	ws := words(text, f.chunks)
	if req.MaxTokens != nil && *req.MaxTokens < len(ws) {
		ws = ws[:max(*req.MaxTokens, 0)]
	}
	finish := "stop"
	if req.MaxTokens != nil && *req.MaxTokens < len(words(text, f.chunks)) {
		finish = "length"
	}
	prompt := int64(len(req.Prompt)/4 + 1)
	var usage any = map[string]any{"prompt_tokens": prompt, "completion_tokens": len(ws), "total_tokens": prompt + int64(len(ws))}
	if f.usage != nil {
		usage = f.usage
	}
	id := "cmpl-up-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	obj := func(choices []any) map[string]any {
		return map[string]any{"id": id, "object": "text_completion", "created": time.Now().Unix(), "model": req.Model,
			"system_fingerprint": "fp_mock", "choices": choices}
	}
	choice := func(text string, finish any) map[string]any {
		return map[string]any{"text": text, "index": 0, "logprobs": nil, "finish_reason": finish}
	}
	if !req.Stream {
		all := ""
		for _, w := range ws {
			all += w
		}
		v := obj([]any{choice(all, finish)})
		if !f.noUsage {
			v["usage"] = usage
		}
		writeJSON(w, v)
		return
	}
	es := startEventStream(w)
	send := es.data
	errorFrame := func() { send(openaiErrorFrame) }
	if !s.streamChunks(r, &f, len(ws), func(i int) { send(obj([]any{choice(ws[i], nil)})) }, errorFrame) {
		return
	}
	send(obj([]any{choice("", finish)}))
	if req.StreamOptions != nil && req.StreamOptions.IncludeUsage && !f.noUsage {
		v := obj([]any{})
		v["usage"] = usage
		send(v)
	}
	es.done()
}
