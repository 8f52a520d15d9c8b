package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/responsestate"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	tr "github.com/tollgate-dev/tollgate/internal/translate/responses"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// respObject is the part of a response object the tests read.
type respObject struct {
	ID     string `json:"id"`
	Object string `json:"object"`
	Status string `json:"status"`
	Model  string `json:"model"`
	Store  bool   `json:"store"`
	Output []struct {
		Type    string `json:"type"`
		Name    string `json:"name"`
		CallID  string `json:"call_id"`
		Content []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
	} `json:"output"`
	Usage *struct {
		InputTokens  int64 `json:"input_tokens"`
		OutputTokens int64 `json:"output_tokens"`
	} `json:"usage"`
}

func (r *respObject) text() string {
	var b strings.Builder
	for _, it := range r.Output {
		for _, c := range it.Content {
			if c.Type == "output_text" {
				b.WriteString(c.Text)
			}
		}
	}
	return b.String()
}

// respGateway is a gateway whose route "m" goes to the mock upstream as
// a chat-completions-only OpenAI-compatible provider (so Responses
// requests are translated); edit changes the config first.
func respGateway(t *testing.T, edit func(*config.Config)) (*gw, string, *mockup.Server) {
	t.Helper()
	up := mockup.New(t)
	p := upstreamProvider("a", up)
	p.Type = config.ProviderOpenAICompatible
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "a", UpstreamModel: "m-up"})
	if edit != nil {
		edit(cfg)
		cfg.Default()
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
	}
	g := startGateway(t, cfg)
	return g, key, up
}

// create posts a Responses request and decodes a 200 answer.
func create(t *testing.T, g *gw, key, body string) (*respObject, *http.Response) {
	t.Helper()
	resp := g.do(t, http.MethodPost, "/v1/responses", key, body, nil)
	var r respObject
	okJSON(t, resp, &r)
	return &r, resp
}

// lastChat is the chat completions request the upstream last received.
func lastChat(t *testing.T, up *mockup.Server) (msgs []map[string]any, raw map[string]any) {
	t.Helper()
	rec, ok := up.Last()
	if !ok || !strings.HasSuffix(rec.Path, "/chat/completions") {
		t.Fatalf("upstream last request: %+v", rec.Path)
	}
	if err := json.Unmarshal(rec.Body, &raw); err != nil {
		t.Fatal(err)
	}
	for _, m := range raw["messages"].([]any) {
		msgs = append(msgs, m.(map[string]any))
	}
	return msgs, raw
}

func TestResponsesPlainTranslated(t *testing.T) {
	g, key, up := respGateway(t, nil)
	r, resp := create(t, g, key, `{"model":"m","instructions":"be brief","input":"hello gateway","max_output_tokens":50,"client_metadata":{"originator":"codex"}}`)
	if r.Object != "response" || r.Status != "completed" || !strings.HasPrefix(r.ID, "resp_") || r.Model != "m" || !r.Store {
		t.Fatalf("response = %+v", r)
	}
	if r.text() != "hello gateway" {
		t.Fatalf("output text %q", r.text())
	}
	if r.Usage == nil || r.Usage.InputTokens <= 0 || r.Usage.OutputTokens <= 0 {
		t.Fatalf("usage %+v", r.Usage)
	}
	if h := resp.Header.Get(responsestate.HeaderStore); h != "" {
		t.Fatalf("%s = %q with storing on", responsestate.HeaderStore, h)
	}
	msgs, raw := lastChat(t, up)
	if raw["model"] != "m-up" || raw["max_completion_tokens"] != float64(50) || len(msgs) != 2 || raw["client_metadata"] != nil ||
		msgs[0]["role"] != "system" || msgs[1]["content"] != "hello gateway" {
		t.Fatalf("upstream got %v", raw)
	}
	if !strings.Contains(g.logs.String(), `"api":"responses"`) {
		t.Fatalf("access log does not name the API: %s", g.logs.String())
	}
}

func TestResponsesStreamTranslated(t *testing.T) {
	g, key, _ := respGateway(t, nil)
	resp := g.do(t, http.MethodPost, "/v1/responses", key, `{"model":"m","input":"one two three","stream":true}`, nil)
	b := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("stream: %d %s", resp.StatusCode, b)
	}
	if err := tr.CheckEvents([]byte(b)); err != nil {
		t.Fatalf("event grammar: %v\n%s", err, b)
	}
	for _, ev := range []string{"response.created", "response.in_progress", "response.output_item.added",
		"response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.output_item.done", "response.completed"} {
		if !strings.Contains(b, "event: "+ev+"\n") {
			t.Fatalf("no %s event:\n%s", ev, b)
		}
	}
	// The completed response was stored: GET returns it with its usage.
	var done struct {
		Response respObject `json:"response"`
	}
	last := b[strings.LastIndex(b, "data: ")+len("data: "):]
	if err := json.Unmarshal([]byte(strings.TrimSpace(last)), &done); err != nil {
		t.Fatal(err)
	}
	if done.Response.Usage == nil || done.Response.Usage.OutputTokens <= 0 || done.Response.text() != "one two three" {
		t.Fatalf("completed response %+v", done.Response)
	}
	got := g.do(t, http.MethodGet, "/v1/responses/"+done.Response.ID, key, "", nil)
	gb := readAll(t, got)
	if got.StatusCode != http.StatusOK || !strings.Contains(gb, `"id":"`+done.Response.ID+`"`) {
		t.Fatalf("GET stored stream response: %d %s", got.StatusCode, gb)
	}
}

func TestResponsesToolsAndContinuation(t *testing.T) {
	g, key, up := respGateway(t, nil)
	tools := `"tools":[{"type":"function","name":"weather","description":"Weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]`
	r, _ := create(t, g, key, `{"model":"m","input":"weather in Paris?",`+tools+`}`)
	if len(r.Output) != 1 || r.Output[0].Type != "function_call" || r.Output[0].Name != "weather" || r.Output[0].CallID == "" {
		t.Fatalf("output %+v", r.Output)
	}
	_, raw := lastChat(t, up)
	if ts, _ := raw["tools"].([]any); len(ts) != 1 {
		t.Fatalf("upstream tools %v", raw["tools"])
	}
	// The tool result continues the stored response: the upstream reads
	// the whole conversation (question, call, result).
	next, _ := create(t, g, key, `{"model":"m","previous_response_id":"`+r.ID+`",`+tools+
		`,"input":[{"type":"function_call_output","call_id":"`+r.Output[0].CallID+`","output":"sunny"}]}`)
	if next.ID == r.ID {
		t.Fatal("continuation reused the id")
	}
	msgs, _ := lastChat(t, up)
	if len(msgs) != 3 || msgs[0]["content"] != "weather in Paris?" || msgs[1]["role"] != "assistant" ||
		msgs[1]["tool_calls"] == nil || msgs[2]["role"] != "tool" || msgs[2]["tool_call_id"] != r.Output[0].CallID {
		t.Fatalf("replayed conversation %v", msgs)
	}
}

func TestResponsesPreviousResponse(t *testing.T) {
	g, key, up := respGateway(t, nil)
	first, _ := create(t, g, key, `{"model":"m","input":"my name is Ann"}`)
	second, _ := create(t, g, key, `{"model":"m","previous_response_id":"`+first.ID+`","input":"what is my name?"}`)
	msgs, _ := lastChat(t, up)
	if len(msgs) != 3 || msgs[0]["content"] != "my name is Ann" || msgs[1]["role"] != "assistant" || msgs[2]["content"] != "what is my name?" {
		t.Fatalf("upstream got %v", msgs)
	}
	// A chain continues from any link.
	create(t, g, key, `{"model":"m","previous_response_id":"`+second.ID+`","input":"and again"}`)
	if msgs, _ = lastChat(t, up); len(msgs) != 5 {
		t.Fatalf("third turn replayed %d messages, want 5", len(msgs))
	}
	// Unknown ids are the client's error, naming the parameter.
	resp := g.do(t, http.MethodPost, "/v1/responses", key, `{"model":"m","previous_response_id":"resp_nope","input":"x"}`, nil)
	b := readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest || errorCode(t, b) != "previous_response_not_found" || !strings.Contains(b, `"param":"previous_response_id"`) {
		t.Fatalf("unknown previous: %d %s", resp.StatusCode, b)
	}
}

func TestResponsesGetDeleteScopedToConsumer(t *testing.T) {
	otherKey, k := newKey(t)
	g, key, _ := respGateway(t, func(c *config.Config) {
		c.Consumers = append(c.Consumers, config.Consumer{Name: "team-b", Keys: []config.Key{k}})
	})
	r, _ := create(t, g, key, `{"model":"m","input":"keep me"}`)
	path := "/v1/responses/" + r.ID

	resp := g.do(t, http.MethodGet, path, key, "", nil)
	b := readAll(t, resp)
	var got respObject
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(b), &got) != nil || got.ID != r.ID || got.text() != "keep me" {
		t.Fatalf("GET: %d %s", resp.StatusCode, b)
	}
	// Another consumer sees nothing: not its response.
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		resp = g.do(t, m, path, otherKey, "", nil)
		if b = readAll(t, resp); resp.StatusCode != http.StatusNotFound || errorCode(t, b) != "not_found" {
			t.Fatalf("%s by another consumer: %d %s", m, resp.StatusCode, b)
		}
	}
	resp = g.do(t, http.MethodPost, "/v1/responses", otherKey, `{"model":"m","previous_response_id":"`+r.ID+`","input":"x"}`, nil)
	if b = readAll(t, resp); resp.StatusCode != http.StatusBadRequest || errorCode(t, b) != "previous_response_not_found" {
		t.Fatalf("continuing another consumer's response: %d %s", resp.StatusCode, b)
	}
	if resp = g.do(t, http.MethodGet, path, "", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET without a key: %d", resp.StatusCode)
	}
	readAll(t, resp)

	resp = g.do(t, http.MethodDelete, path, key, "", nil)
	b = readAll(t, resp)
	if resp.StatusCode != http.StatusOK || b != `{"deleted":true,"id":"`+r.ID+`","object":"response.deleted"}` {
		t.Fatalf("DELETE: %d %s", resp.StatusCode, b)
	}
	for _, m := range []string{http.MethodGet, http.MethodDelete} {
		resp = g.do(t, m, path, key, "", nil)
		if b = readAll(t, resp); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("%s after DELETE: %d %s", m, resp.StatusCode, b)
		}
	}
	resp = g.do(t, http.MethodPut, path, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, DELETE" {
		t.Fatalf("PUT: %d %v", resp.StatusCode, resp.Header)
	}
}

func TestResponsesStoreFalseKeepsNothing(t *testing.T) {
	g, key, _ := respGateway(t, nil)
	r, _ := create(t, g, key, `{"model":"m","input":"forget me","store":false}`)
	if r.Store {
		t.Fatal("store:false answered store:true")
	}
	resp := g.do(t, http.MethodGet, "/v1/responses/"+r.ID, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET of a store:false response: %d", resp.StatusCode)
	}
	resp = g.do(t, http.MethodPost, "/v1/responses", key, `{"model":"m","previous_response_id":"`+r.ID+`","input":"x"}`, nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusBadRequest || errorCode(t, b) != "previous_response_not_found" {
		t.Fatalf("continuing a store:false response: %d %s", resp.StatusCode, b)
	}
}

func TestResponsesStoreDisabledByGateway(t *testing.T) {
	g, key, _ := respGateway(t, func(c *config.Config) { c.Responses.DisableStore = true })
	r, resp := create(t, g, key, `{"model":"m","input":"hi"}`)
	if r.Store || resp.Header.Get(responsestate.HeaderStore) != "disabled" {
		t.Fatalf("store %v, header %q", r.Store, resp.Header.Get(responsestate.HeaderStore))
	}
	// A client that asked for nothing to be stored is told nothing.
	_, resp = create(t, g, key, `{"model":"m","input":"hi","store":false}`)
	if h := resp.Header.Get(responsestate.HeaderStore); h != "" {
		t.Fatalf("header %q for store:false", h)
	}
	resp = g.do(t, http.MethodGet, "/v1/responses/"+r.ID, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET with storing off: %d", resp.StatusCode)
	}
}

func TestResponsesMemoryStoreSurvivesReload(t *testing.T) {
	g, key, _ := respGateway(t, nil)
	r, _ := create(t, g, key, `{"model":"m","input":"before the reload"}`)
	cfg, _ := g.s.Limits()
	next := *cfg
	next.Server.MaxInFlight = 99
	if err := g.s.Load(&next); err != nil {
		t.Fatal(err)
	}
	resp := g.do(t, http.MethodGet, "/v1/responses/"+r.ID, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("GET after reload: %d", resp.StatusCode)
	}
	// A new TTL is a new store.
	next.Responses.StoreTTL = config.D(time.Hour)
	if err := g.s.Load(&next); err != nil {
		t.Fatal(err)
	}
	resp = g.do(t, http.MethodGet, "/v1/responses/"+r.ID, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET after a TTL change: %d", resp.StatusCode)
	}
}

func TestResponsesTranslatedAnthropic(t *testing.T) {
	up := mockup.New(t)
	an := config.Provider{Name: "an", Type: config.ProviderAnthropic, Endpoint: up.URL, APIKey: "sk-ant", AllowPrivateNetwork: true}
	cfg, key := baseConfig(t, []config.Provider{an}, config.Backend{Provider: "an", UpstreamModel: "claude-up"})
	g := startGateway(t, cfg)
	r, _ := create(t, g, key, `{"model":"m","input":"bonjour","max_output_tokens":64}`)
	if r.text() != "bonjour" || r.Usage == nil || r.Usage.InputTokens <= 0 {
		t.Fatalf("response %+v", r)
	}
	rec, _ := up.Last()
	if rec.Path != "/v1/messages" || !strings.Contains(string(rec.Body), `"max_tokens":64`) {
		t.Fatalf("upstream got %s %s", rec.Path, rec.Body)
	}
	resp := g.do(t, http.MethodPost, "/v1/responses", key, `{"model":"m","previous_response_id":"`+r.ID+`","input":"encore","stream":true}`, nil)
	b := readAll(t, resp)
	if err := tr.CheckEvents([]byte(b)); resp.StatusCode != http.StatusOK || err != nil {
		t.Fatalf("stream: %d %v\n%s", resp.StatusCode, err, b)
	}
	if rec, _ = up.Last(); !strings.Contains(string(rec.Body), "bonjour") {
		t.Fatalf("continuation did not replay the conversation: %s", rec.Body)
	}
}

func TestResponsesBadRequests(t *testing.T) {
	g, key, up := respGateway(t, nil)
	for name, tc := range map[string]struct{ body, param string }{
		"no model":       {`{"input":"x"}`, "model"},
		"no input":       {`{"model":"m"}`, "input"},
		"duplicate":      {`{"model":"m","input":"x","input":"y"}`, "input"},
		"hosted tool":    {`{"model":"m","input":"x","tools":[{"type":"web_search"}]}`, ""},
		"not an object":  {`[1]`, ""},
		"output too big": {`{"model":"m","input":"x","max_output_tokens":-1}`, ""},
	} {
		t.Run(name, func(t *testing.T) {
			before := len(up.Requests())
			resp := g.do(t, http.MethodPost, "/v1/responses", key, tc.body, nil)
			b := readAll(t, resp)
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("%d %s", resp.StatusCode, b)
			}
			errorCode(t, b)
			if tc.param != "" && !strings.Contains(b, `"param":"`+tc.param+`"`) {
				t.Fatalf("param not named: %s", b)
			}
			if len(up.Requests()) != before {
				t.Fatal("a refused request went upstream")
			}
		})
	}
	resp := g.do(t, http.MethodGet, "/v1/responses", key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /v1/responses: %d", resp.StatusCode)
	}
}

// Two replicas of one gateway share the response state through the
// limits' Redis: a chain started on one continues on the other.
func TestResponsesTwoReplicasShareRedis(t *testing.T) {
	rd := testredis.Start(t)
	up := mockup.New(t)
	p := upstreamProvider("a", up)
	p.Type = config.ProviderOpenAICompatible // chat only: translated
	cfg, key := baseConfig(t, []config.Provider{p}, config.Backend{Provider: "a", UpstreamModel: "m-up"})
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis,
		Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g1, g2 := startGateway(t, cfg), startGateway(t, cfg)
	first, _ := create(t, g1, key, `{"model":"m","input":"remember 42"}`)
	create(t, g2, key, `{"model":"m","previous_response_id":"`+first.ID+`","input":"what number?"}`)
	msgs, _ := lastChat(t, up)
	if len(msgs) != 3 || msgs[0]["content"] != "remember 42" {
		t.Fatalf("replica 2 replayed %v", msgs)
	}
	resp := g2.do(t, http.MethodDelete, "/v1/responses/"+first.ID, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("DELETE on replica 2: %d", resp.StatusCode)
	}
	resp = g1.do(t, http.MethodGet, "/v1/responses/"+first.ID, key, "", nil)
	if readAll(t, resp); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("GET on replica 1 after DELETE on 2: %d", resp.StatusCode)
	}
}
