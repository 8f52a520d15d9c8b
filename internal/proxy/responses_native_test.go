package proxy

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// TestResponsesNative: to a provider that speaks the Responses API the
// client's body goes as written (model replaced), the answer comes back
// naming the public model and is kept for GET; /v1/models says which APIs
// the model's provider speaks natively.
func TestResponsesNative(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m-up"})
	g := startGateway(t, cfg)
	body := `{"model":"m", "input":"hello native","include":["reasoning.encrypted_content"],"text":{"verbosity":"low"}}`
	r, _ := create(t, g, key, body)
	rec, _ := up.Last()
	if rec.Path != "/v1/responses" || string(rec.Body) != strings.Replace(body, `"m"`, `"m-up"`, 1) {
		t.Fatalf("upstream got %s %s", rec.Path, rec.Body)
	}
	if r.Model != "m" || r.text() != "hello native" || !strings.HasPrefix(r.ID, "resp_") {
		t.Fatalf("answer %+v", r)
	}
	resp := g.do(t, http.MethodGet, "/v1/responses/"+r.ID, key, "", nil)
	if b := readAll(t, resp); resp.StatusCode != http.StatusOK || !strings.Contains(b, r.ID) {
		t.Fatalf("GET: %d %s", resp.StatusCode, b)
	}
	resp = g.do(t, http.MethodGet, "/v1/models/m", key, "", nil)
	if b := readAll(t, resp); !strings.Contains(b, `"native_apis":["responses","completions"]`) {
		t.Fatalf("/v1/models/m: %s", b)
	}
}

// TestResponsesNativeChainSticks: a chain started on one of two native
// backends continues on it (its ids exist only there), whatever the
// weights would pick.
func TestResponsesNativeChainSticks(t *testing.T) {
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up), upstreamProvider("b", up)},
		config.Backend{Provider: "a", UpstreamModel: "m-up"}, config.Backend{Provider: "b", UpstreamModel: "m-up"})
	g := startGateway(t, cfg)
	for range 4 {
		first, _ := create(t, g, key, `{"model":"m","input":"remember 42"}`)
		rec, _ := up.Last()
		holder := rec.Header.Get("Authorization")
		prev := first.ID
		for range 4 {
			next, _ := create(t, g, key, `{"model":"m","previous_response_id":"`+prev+`","input":"and then?"}`)
			rec, _ := up.Last()
			if got := rec.Header.Get("Authorization"); got != holder || !bytes.Contains(rec.Body, []byte(prev)) {
				t.Fatalf("a continuation went to %q (chain on %q): %s", got, holder, rec.Body)
			}
			prev = next.ID
		}
	}
}
