package render

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// `tollgate render` of an MCPServer: its tools in the gateway's config,
// the API credential masked (shown with --show-secrets).
func TestMainRendersMCPServer(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := Main(context.Background(), []string{"-f", "testdata/mcp"}, &out, &errOut); err != nil {
		t.Fatalf("render: %v\n%s", err, errOut.String())
	}
	for _, want := range []string{"mcpServers:\n- maxResponseBytes: 1048576\n  name: notes", "type: OpenAPI",
		"name: listNotes", "name: getNote", "name: deleteNote", "path: /notes/{id}", "secret: " + Redacted} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if strings.Contains(out.String(), "notes-backend-secret") {
		t.Error("the API key is printed without --show-secrets")
	}
	out.Reset()
	if err := Main(context.Background(), []string{"-f", "testdata/mcp", "--show-secrets"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "secret: notes-backend-secret-0123") {
		t.Error("--show-secrets did not print the API key")
	}
}
