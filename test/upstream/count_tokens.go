package upstream

import (
	"net/http"
)

// Anthropic's POST /v1/messages/count_tokens, after its API reference: the
// same headers and body as /v1/messages (no max_tokens), answered with
// {"input_tokens": N}. The mock counts 10 per message plus 100 per tool,
// figures no tokenizer produces, so a test can tell a relayed count from
// the gateway's own; the fault headers apply.

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /v1/messages/count_tokens", s.anthropicCountTokens)
	})
}

func (s *Server) anthropicCountTokens(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	var req anthropicRequest
	if _, ok := readJSON(w, r, &req, anthropicError, "invalid JSON: "); !ok {
		return
	}
	req.MaxTokens = 1 // not part of a count request
	if status, msg := validateAnthropic(r, &req); status != 0 {
		anthropicError(w, nil, status, msg)
		return
	}
	if !vendorPrelude(w, r, &f, anthropicError) {
		return
	}
	writeJSON(w, map[string]any{"input_tokens": 10*len(req.Messages) + 100*len(req.Tools)})
}
