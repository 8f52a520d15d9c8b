package anthropic

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

func nativeAdapter(t *testing.T) *Adapter {
	t.Helper()
	a, err := New(&config.Provider{Name: "a", Type: config.ProviderAnthropic, APIKey: "sk-ant"})
	if err != nil {
		t.Fatal(err)
	}
	return a.(*Adapter)
}

// TestNativeStream: events come as the upstream sent them, with usage on
// message_start and message_delta, cache reads and writes counted in the
// input; an error event is an *Error; a stream cut before message_stop is
// broken.
func TestNativeStream(t *testing.T) {
	a := nativeAdapter(t)
	stream := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"claude-x\",\"usage\":{\"input_tokens\":5,\"output_tokens\":1,\"cache_creation_input_tokens\":7,\"cache_read_input_tokens\":11}}}\n\n" +
		"event: ping\ndata: {\"type\":\"ping\"}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"sig==\"}}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":9}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	st := a.NativeStream(providers.APIMessages, strings.NewReader(stream))
	var names []string
	var last *providers.Usage
	for {
		ev, err := st.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, ev.Name)
		if ev.Name == "content_block_delta" && !strings.Contains(string(ev.Data), `"signature":"sig=="`) {
			t.Errorf("delta data %s", ev.Data)
		}
		if ev.Usage != nil {
			last = ev.Usage
		}
	}
	if strings.Join(names, ",") != "message_start,ping,content_block_delta,message_delta,message_stop" {
		t.Errorf("events %v", names)
	}
	want := providers.Usage{InputTokens: 23, OutputTokens: 9, CachedInputTokens: 11, CacheWriteTokens: 7, Reported: true}
	if last == nil || *last != want {
		t.Errorf("usage %+v, want %+v", last, want)
	}

	st = a.NativeStream(providers.APIMessages, strings.NewReader("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"))
	var pe *providers.Error
	if _, err := st.Next(); !errors.As(err, &pe) || pe.Class != providers.ClassServerError {
		t.Errorf("error event: %v", err)
	}
	st = a.NativeStream(providers.APIMessages, strings.NewReader("event: ping\ndata: {\"type\":\"ping\"}\n\n"))
	if _, err := st.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Next(); err == nil || err == io.EOF || errors.As(err, &pe) {
		t.Errorf("a cut stream: %v", err)
	}
}

// TestNativeError: Anthropic's own body is kept for a refusal or a rate
// limit, never for a rejected vendor credential or a server failure.
func TestNativeError(t *testing.T) {
	a := nativeAdapter(t)
	for _, tc := range []struct {
		status int
		typ    string
		raw    bool
	}{
		{400, "invalid_request_error", true}, {404, "not_found_error", true}, {429, "rate_limit_error", true},
		{401, "authentication_error", false}, {403, "permission_error", false}, {529, "overloaded_error", false}, {500, "api_error", false},
	} {
		body := []byte(`{"type":"error","error":{"type":"` + tc.typ + `","message":"words of Anthropic"}}`)
		e := a.NativeError(providers.APIMessages, tc.status, http.Header{}, body)
		if got := e.Raw != nil; got != tc.raw || (tc.raw && (string(e.Raw) != string(body) || e.RawStatus != tc.status)) {
			t.Errorf("%d %s: raw %s (status %d)", tc.status, tc.typ, e.Raw, e.RawStatus)
		}
	}
	if e := a.NativeError(providers.APIMessages, 400, http.Header{}, []byte("not json")); e.Raw != nil {
		t.Errorf("a body that is not JSON is relayed: %s", e.Raw)
	}
}

// TestNativeRequest: the client's anthropic-version wins over the
// provider's; the credential is the provider's.
func TestNativeRequest(t *testing.T) {
	a := nativeAdapter(t)
	r := &providers.Request{API: providers.APIMessages, Body: []byte(`{"model":"m"}`), Header: http.Header{"Anthropic-Version": {"2099-01-01"}}}
	req, err := a.NativeRequest(t.Context(), providers.APIMessages, r)
	if err != nil {
		t.Fatal(err)
	}
	if req.Header.Get("Anthropic-Version") != "2099-01-01" || req.Header.Get("X-Api-Key") != "sk-ant" || req.URL.Path != "/v1/messages" {
		t.Errorf("request %v %v", req.URL, req.Header)
	}
	r.Header = nil
	if req, err = a.NativeRequest(t.Context(), providers.APIMessages, r); err != nil || req.Header.Get("Anthropic-Version") != DefaultVersion {
		t.Errorf("default version: %v %v", err, req.Header)
	}
	if _, err := a.NativeRequest(t.Context(), providers.APIResponses, r); err == nil {
		t.Error("the Responses API was relayed to Anthropic")
	}
}
