package upstream

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// OpenAI's Responses API (POST /v1/responses, GET and DELETE
// /v1/responses/{id}) and Azure OpenAI's (POST /openai/v1/responses, and
// /openai/responses?api-version=), after OpenAI's API reference: the
// response object, the stream's named events each with a sequence_number,
// previous_response_id continuing a response this server stored (ids exist
// only here: an unknown one is 400 previous_response_not_found), and the
// same fault headers as chat completions. The answer echoes the last user
// text, or calls the first function tool when tools are declared and the
// input does not end with a function_call_output.

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		st := &respStore{byID: map[string]json.RawMessage{}}
		mux.HandleFunc("POST /v1/responses", s.responses(st))
		mux.HandleFunc("GET /v1/responses/{id}", st.get)
		mux.HandleFunc("DELETE /v1/responses/{id}", st.delete)
		mux.HandleFunc("POST /openai/v1/responses", s.azureV1(s.responses(st)))
		mux.HandleFunc("POST /openai/responses", s.azure(s.responses(st)))
	})
}

// respStore keeps the responses created with store (the default).
type respStore struct {
	mu   sync.Mutex
	byID map[string]json.RawMessage
	seq  atomic.Int64
}

func (st *respStore) put(id string, resp map[string]any) {
	b, _ := json.Marshal(resp)
	st.mu.Lock()
	st.byID[id] = b
	st.mu.Unlock()
}

func (st *respStore) lookup(id string) (json.RawMessage, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	b, ok := st.byID[id]
	return b, ok
}

func (st *respStore) get(w http.ResponseWriter, r *http.Request) {
	b, ok := st.lookup(r.PathValue("id"))
	if !ok {
		openaiError(w, nil, http.StatusNotFound, fmt.Sprintf("Response with id '%s' not found.", r.PathValue("id")))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}

func (st *respStore) delete(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st.mu.Lock()
	_, ok := st.byID[id]
	delete(st.byID, id)
	st.mu.Unlock()
	if !ok {
		openaiError(w, nil, http.StatusNotFound, fmt.Sprintf("Response with id '%s' not found.", id))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, `{"id":%q,"object":"response.deleted","deleted":true}`, id)
}

// azureV1 checks Azure's v1 API envelope: the api-key header (api-version
// is optional on /openai/v1/).
func (s *Server) azureV1(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("api-key") == "" {
			openaiError(w, nil, http.StatusUnauthorized, "Access denied due to invalid subscription key or wrong API endpoint.")
			return
		}
		next(w, r)
	}
}

type responsesRequest struct {
	Model        string          `json:"model"`
	Input        json.RawMessage `json:"input"`
	Instructions *string         `json:"instructions"`
	Tools        []struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"tools"`
	Stream             bool     `json:"stream"`
	Store              *bool    `json:"store"`
	PreviousResponseID string   `json:"previous_response_id"`
	MaxOutputTokens    *int64   `json:"max_output_tokens"`
	Temperature        *float64 `json:"temperature"`
	TopP               *float64 `json:"top_p"`
}

type inputItem struct {
	Type    string          `json:"type"`
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// inputItems returns the input as items (a string is one user message).
func (req *responsesRequest) inputItems() ([]inputItem, error) {
	var text string
	if json.Unmarshal(req.Input, &text) == nil {
		return []inputItem{{Type: "message", Role: "user", Content: req.Input}}, nil
	}
	var items []inputItem
	if err := json.Unmarshal(req.Input, &items); err != nil {
		return nil, fmt.Errorf("input must be a string or an array of items: %w", err)
	}
	return items, nil
}

// lastUserText is the text of the last user message, or "".
func lastUserText(items []inputItem) string {
	for i := len(items) - 1; i >= 0; i-- {
		it := items[i]
		if it.Role != "user" {
			continue
		}
		var s string
		if json.Unmarshal(it.Content, &s) == nil {
			return s
		}
		var parts []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		_ = json.Unmarshal(it.Content, &parts)
		var b strings.Builder
		for _, p := range parts {
			if p.Type == "input_text" {
				b.WriteString(p.Text)
			}
		}
		return b.String()
	}
	return ""
}

func (s *Server) responses(st *respStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := readFaults(r.Header)
		var req responsesRequest
		if _, ok := readJSON(w, r, &req, openaiError, "invalid JSON: "); !ok {
			return
		}
		items, err := req.inputItems()
		if err != nil || req.Model == "" {
			openaiError(w, nil, http.StatusBadRequest, fmt.Sprintf("invalid request: model and input are required (%v)", err))
			return
		}
		if req.PreviousResponseID != "" {
			if _, ok := st.lookup(req.PreviousResponseID); !ok {
				previousNotFound(w, req.PreviousResponseID)
				return
			}
		}
		if !prelude(w, r, &f) {
			return
		}
		id := "resp_up" + strconv.FormatInt(st.seq.Add(1), 10) + strconv.FormatInt(time.Now().UnixNano(), 36)
		a := &respAnswer{id: id, req: &req, created: time.Now().Unix()}
		if len(req.Tools) > 0 && req.Tools[0].Type == "function" && (len(items) == 0 || items[len(items)-1].Type != "function_call_output") {
			a.call = &respCall{id: "fc_" + id, callID: "call_" + id, name: req.Tools[0].Name, args: `{"city":"Paris"}`}
		} else {
			a.words = words(lastUserText(items), f.chunks)
		}
		s.scriptResponse(a, &f, items)
		if !f.noUsage {
			a.usage = map[string]any{"input_tokens": 10 * len(items), "input_tokens_details": map[string]any{"cached_tokens": 0},
				"output_tokens": a.outputTokens(), "output_tokens_details": map[string]any{"reasoning_tokens": 0},
				"total_tokens": 10*len(items) + a.outputTokens()}
		}
		store := req.Store == nil || *req.Store
		if !req.Stream {
			if store {
				st.put(id, a.object("completed", true))
			}
			writeJSON(w, a.object("completed", true))
			return
		}
		if s.streamResponse(w, r, &f, a) && store {
			st.put(id, a.object("completed", true))
		}
	}
}

func previousNotFound(w http.ResponseWriter, id string) {
	writeError(w, nil, http.StatusBadRequest, openaiErrorBody(fmt.Sprintf("Previous response with id '%s' not found.", id),
		"invalid_request_error", "previous_response_id", "previous_response_not_found"))
}

// respAnswer is the answer being given: text words or one function call.
type respAnswer struct {
	id      string
	req     *responsesRequest
	created int64
	words   []string
	call    *respCall
	usage   map[string]any
}

type respCall struct{ id, callID, name, args string }

func (a *respAnswer) outputTokens() int {
	if a.call != nil {
		return 5
	}
	return len(a.words)
}

func (a *respAnswer) text() string { return strings.Join(a.words, "") }

func (a *respAnswer) messageItem(status, text string, withPart bool) map[string]any {
	content := []any{}
	if withPart {
		content = append(content, outputText(text))
	}
	return map[string]any{"id": "msg_" + a.id, "type": "message", "status": status, "role": "assistant", "content": content}
}

func outputText(text string) map[string]any {
	return map[string]any{"type": "output_text", "text": text, "annotations": []any{}, "logprobs": []any{}}
}

func (a *respAnswer) callItem(status, args string) map[string]any {
	return map[string]any{"id": a.call.id, "type": "function_call", "status": status, "call_id": a.call.callID,
		"name": a.call.name, "arguments": args}
}

// object is the response object; final adds the output and usage.
func (a *respAnswer) object(status string, final bool) map[string]any {
	output := []any{}
	var usage any
	var completed any
	if final {
		if a.call != nil {
			output = append(output, a.callItem("completed", a.call.args))
		} else {
			output = append(output, a.messageItem("completed", a.text(), true))
		}
		if a.usage != nil {
			usage = a.usage
		}
		completed = time.Now().Unix()
	}
	prev := any(nil)
	if a.req.PreviousResponseID != "" {
		prev = a.req.PreviousResponseID
	}
	return map[string]any{
		"id": a.id, "object": "response", "created_at": a.created, "status": status, "completed_at": completed,
		"background": false, "error": nil, "incomplete_details": nil, "instructions": a.req.Instructions,
		"max_output_tokens": a.req.MaxOutputTokens, "max_tool_calls": nil, "model": a.req.Model, "output": output,
		"parallel_tool_calls": true, "previous_response_id": prev, "prompt_cache_key": nil,
		"reasoning": map[string]any{"effort": nil, "summary": nil}, "safety_identifier": nil, "service_tier": "default",
		"store": a.req.Store == nil || *a.req.Store, "temperature": orOne(a.req.Temperature),
		"text":        map[string]any{"format": map[string]any{"type": "text"}, "verbosity": "medium"},
		"tool_choice": "auto", "tools": []any{}, "top_logprobs": 0, "top_p": orOne(a.req.TopP), "truncation": "disabled",
		"usage": usage, "user": nil, "metadata": map[string]any{},
	}
}

func orOne(v *float64) float64 {
	if v == nil {
		return 1
	}
	return *v
}

// streamResponse writes the event sequence, applying the chunk faults to
// the deltas (text words, or the call's arguments in pieces); false when
// the stream ended early.
func (s *Server) streamResponse(w http.ResponseWriter, r *http.Request, f *faults, a *respAnswer) bool {
	es := startEventStream(w)
	seq := 0
	send := func(typ string, v map[string]any) {
		v["type"], v["sequence_number"] = typ, seq
		seq++
		es.event(typ, v)
	}
	send("response.created", map[string]any{"response": a.object("in_progress", false)})
	send("response.in_progress", map[string]any{"response": a.object("in_progress", false)})
	errorFrame := func() {
		send("error", map[string]any{"code": "server_error", "message": "mock upstream error frame", "param": nil})
	}
	if a.call != nil {
		send("response.output_item.added", map[string]any{"output_index": 0, "item": a.callItem("in_progress", "")})
		pieces := splitN(a.call.args, max(f.chunks, 2))
		ok := s.streamChunks(r, f, len(pieces), func(i int) {
			send("response.function_call_arguments.delta", map[string]any{"item_id": a.call.id, "output_index": 0, "delta": pieces[i]})
		}, errorFrame)
		if !ok {
			return false
		}
		send("response.function_call_arguments.done", map[string]any{"item_id": a.call.id, "output_index": 0, "arguments": a.call.args})
		send("response.output_item.done", map[string]any{"output_index": 0, "item": a.callItem("completed", a.call.args)})
	} else {
		itemID := "msg_" + a.id
		send("response.output_item.added", map[string]any{"output_index": 0, "item": a.messageItem("in_progress", "", false)})
		send("response.content_part.added", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": outputText("")})
		ok := s.streamChunks(r, f, len(a.words), func(i int) {
			send("response.output_text.delta", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0,
				"delta": a.words[i], "logprobs": []any{}})
		}, errorFrame)
		if !ok {
			return false
		}
		text := a.text()
		send("response.output_text.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "text": text, "logprobs": []any{}})
		send("response.content_part.done", map[string]any{"item_id": itemID, "output_index": 0, "content_index": 0, "part": outputText(text)})
		send("response.output_item.done", map[string]any{"output_index": 0, "item": a.messageItem("completed", text, true)})
	}
	send("response.completed", map[string]any{"response": a.object("completed", true)})
	return true
}
