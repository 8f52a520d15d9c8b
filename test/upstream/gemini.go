package upstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Gemini API (POST /v1beta/models/{model}:generateContent,
// :streamGenerateContent?alt=sse, :batchEmbedContents), after Google's API
// reference: the key in the x-goog-api-key header, contents with user and
// model roles, parts (text, inlineData, functionCall, functionResponse),
// candidates with finishReason, usageMetadata, google.rpc.Status errors.
// The mock refuses a key in the URL (?key=): the gateway must never send
// one there.

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /v1beta/models/{call}", s.geminiCall)
	})
}

type geminiRequest struct {
	Contents []struct {
		Role  string `json:"role"`
		Parts []struct {
			Text             string          `json:"text"`
			FunctionResponse json.RawMessage `json:"functionResponse"`
		} `json:"parts"`
	} `json:"contents"`
	Tools []struct {
		FunctionDeclarations []struct {
			Name string `json:"name"`
		} `json:"functionDeclarations"`
	} `json:"tools"`
	Requests []json.RawMessage `json:"requests"`
}

// geminiStatus is the google.rpc code name of an HTTP status.
func geminiStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	return "INTERNAL"
}

func geminiError(w http.ResponseWriter, f *faults, status int, msg string) {
	e := map[string]any{"code": status, "message": msg, "status": geminiStatus(status)}
	if f != nil && f.retryAfter != "" {
		e["details"] = []any{map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f.retryAfter + "s"}}
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]any{"error": e})
	_, _ = w.Write(b)
}

func (s *Server) geminiCall(w http.ResponseWriter, r *http.Request) {
	f := readFaults(r.Header)
	model, method, ok := strings.Cut(r.PathValue("call"), ":")
	if !ok || model == "" {
		geminiError(w, nil, http.StatusNotFound, "method not found")
		return
	}
	switch {
	case r.URL.Query().Has("key"):
		geminiError(w, nil, http.StatusBadRequest, "mock: the API key must be sent in the x-goog-api-key header, not the URL")
		return
	case r.Header.Get("x-goog-api-key") == "":
		geminiError(w, nil, http.StatusForbidden, "Method doesn't allow unregistered callers. Please use API Key or other form of API consumer identity to call this API.")
		return
	}
	var req geminiRequest
	if _, ok := readJSON(w, r, &req, geminiError, "Invalid JSON payload received. "); !ok {
		return
	}
	if !vendorPrelude(w, r, &f, geminiError) {
		return
	}
	switch method {
	case "generateContent":
		s.geminiGenerate(w, &f, &req, model)
	case "streamGenerateContent":
		if r.URL.Query().Get("alt") != "sse" {
			geminiError(w, nil, http.StatusBadRequest, "mock: only alt=sse streams are served")
			return
		}
		s.geminiStream(w, r, &f, &req, model)
	case "batchEmbedContents":
		embeddings := make([]any, len(req.Requests))
		for i := range embeddings {
			embeddings[i] = map[string]any{"values": []float64{0.5, -0.25, float64(i)}}
		}
		writeJSON(w, map[string]any{"embeddings": embeddings})
	default:
		geminiError(w, nil, http.StatusNotFound, fmt.Sprintf("method %q not found", method))
	}
}

// geminiReply is the mock's answer: echoed words, or a function call when
// tools are declared and the last turn holds no function response (or
// what the script says).
func (s *Server) geminiReply(f *faults, req *geminiRequest) (chunks []string, call *toolCall) {
	text, afterTool, hasResult := "", false, false
	if k := len(req.Contents); k > 0 {
		for _, p := range req.Contents[k-1].Parts {
			text += p.Text
			afterTool = afterTool || len(p.FunctionResponse) > 0
		}
	}
	var tools []string
	for _, t := range req.Tools {
		for _, d := range t.FunctionDeclarations {
			tools = append(tools, d.Name)
		}
	}
	for _, c := range req.Contents {
		for _, p := range c.Parts {
			hasResult = hasResult || len(p.FunctionResponse) > 0
		}
	}
	var def *toolCall
	if len(req.Tools) > 0 && len(req.Tools[0].FunctionDeclarations) > 0 && !afterTool {
		def = defaultCall("", req.Tools[0].FunctionDeclarations[0].Name)
	}
	call, chunks = s.play(f, tools, hasResult, def, text)
	return chunks, call
}

// geminiCallPart is a functionCall part.
func geminiCallPart(c *toolCall) map[string]any {
	return map[string]any{"functionCall": map[string]any{"name": c.Name, "args": json.RawMessage(c.Input)}}
}

func geminiUsage(req *geminiRequest, out int) map[string]any {
	in := len(req.Contents) * 10
	return map[string]any{"promptTokenCount": in, "candidatesTokenCount": out, "totalTokenCount": in + out}
}

func (s *Server) geminiGenerate(w http.ResponseWriter, f *faults, req *geminiRequest, model string) {
	chunks, call := s.geminiReply(f, req)
	parts := []any{map[string]any{"text": strings.Join(chunks, "")}}
	if call != nil {
		parts = []any{geminiCallPart(call)}
	}
	v := map[string]any{
		"candidates":   []any{map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "finishReason": "STOP", "index": 0}},
		"modelVersion": model, "responseId": "mock-response",
	}
	if !f.noUsage {
		v["usageMetadata"] = geminiUsage(req, len(chunks))
	}
	writeJSON(w, v)
}

func (s *Server) geminiStream(w http.ResponseWriter, r *http.Request, f *faults, req *geminiRequest, model string) {
	chunks, call := s.geminiReply(f, req)
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(v any) {
		b, _ := json.Marshal(v)
		_, _ = fmt.Fprintf(w, "data: %s\r\n\r\n", b)
		_ = rc.Flush()
	}
	event := func(parts []any, finish string, usage map[string]any) map[string]any {
		c := map[string]any{"content": map[string]any{"role": "model", "parts": parts}, "index": 0}
		if finish != "" {
			c["finishReason"] = finish
		}
		v := map[string]any{"candidates": []any{c}, "modelVersion": model, "responseId": "mock-response"}
		if usage != nil && !f.noUsage {
			v["usageMetadata"] = usage
		}
		return v
	}
	if call != nil {
		chunks = []string{""}
	}
	ok := s.streamChunks(r, f, len(chunks), func(i int) {
		parts := []any{map[string]any{"text": chunks[i]}}
		if call != nil {
			parts = []any{geminiCallPart(call)}
		}
		send(event(parts, "", map[string]any{"promptTokenCount": len(req.Contents) * 10}))
	}, func() {
		send(map[string]any{"error": map[string]any{"code": 503, "message": "The model is overloaded. Please try again later.", "status": "UNAVAILABLE"}})
	})
	if !ok {
		return
	}
	send(event([]any{map[string]any{"text": ""}}, "STOP", geminiUsage(req, len(chunks))))
}
