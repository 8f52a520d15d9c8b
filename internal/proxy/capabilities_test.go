package proxy

import (
	"net/http"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// TestCapabilitiesEnforced: a request that needs a capability its model
// does not declare is refused with a 400 naming it, in the client API's
// error shape, before anything goes upstream; a model that declares none
// is not judged.
func TestCapabilitiesEnforced(t *testing.T) {
	cfg, key := baseConfig(t, []config.Provider{{Name: "vendor", Type: config.ProviderMock}}, config.Backend{Provider: "vendor"})
	cfg.Models = []config.Model{
		{Name: "chat", Provider: "vendor", Capabilities: []config.Capability{config.CapChat}},
		{Name: "embed", Provider: "vendor", Capabilities: []config.Capability{config.CapEmbeddings}},
		{Name: "any", Provider: "vendor"},
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, cfg)
	const user = `"messages":[{"role":"user","content":"hi"}]`
	tool := `"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	image := `"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]`
	for _, tc := range []struct {
		name, path, body, capability string
	}{
		{"chat on an embeddings model", "/v1/chat/completions", `{"model":"embed",` + user + `}`, "Chat"},
		{"embeddings on a chat model", "/v1/embeddings", `{"model":"chat","input":"hi"}`, "Embeddings"},
		{"stream", "/v1/chat/completions", `{"model":"chat","stream":true,` + user + `}`, "Streaming"},
		{"tools", "/v1/chat/completions", `{"model":"chat",` + user + `,` + tool + `}`, "Tools"},
		{"json schema", "/v1/chat/completions", `{"model":"chat",` + user + `,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}}`, "JSONMode"},
		{"image", "/v1/chat/completions", `{"model":"chat",` + image + `}`, "Vision"},
		{"Messages client", "/v1/messages", `{"model":"chat","max_tokens":8,` + user + `,"tools":[{"name":"f","input_schema":{"type":"object"}}]}`, "Tools"},
	} {
		resp := g.do(t, http.MethodPost, tc.path, key, tc.body, nil)
		b := readAll(t, resp)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(b, "capability "+tc.capability) {
			t.Errorf("%s: %d %s", tc.name, resp.StatusCode, b)
		}
		if tc.path == "/v1/messages" && !strings.Contains(b, `"type":"error"`) {
			t.Errorf("%s: not in Anthropic's shape: %s", tc.name, b)
		}
	}
	for _, body := range []string{`{"model":"chat",` + user + `}`, `{"model":"any","stream":true,` + user + `,` + tool + `}`} {
		if resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, body, nil); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %s", body, resp.StatusCode, readAll(t, resp))
		}
	}
}
