package mcpbackends

import (
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/mcptools"
)

// NotesServer serves the Notes API until t ends and returns its gateway
// entry "notes": an OpenAPI server with every operation of NotesOpenAPI
// as a tool, the API key in X-API-Key.
func NotesServer(t testing.TB) config.MCPServer {
	t.Helper()
	notes := StartNotes(t)
	tools, _, err := mcptools.FromOpenAPI([]byte(NotesOpenAPI), mcptools.Options{})
	if err != nil {
		t.Fatalf("reading the Notes API's OpenAPI document: %v", err)
	}
	return config.MCPServer{Name: "notes", Type: config.MCPOpenAPIServer, AllowPrivateNetwork: true, OpenAPI: &config.MCPOpenAPI{
		BaseURL: notes.URL, Tools: tools,
		Auth: &config.MCPAuth{Type: config.MCPAuthAPIKeyHeader, Name: "X-API-Key", Secret: NotesKey}}}
}

// TrackerServer serves the tracker until t ends and returns its gateway
// entry "tracker": a remote MCP server reached with TrackerToken, its
// admin_* tools, resources and prompts excluded.
func TrackerServer(t testing.TB) config.MCPServer {
	t.Helper()
	return config.MCPServer{Name: "tracker", Type: config.MCPRemoteServer, AllowPrivateNetwork: true, Exclude: []string{"admin_*"},
		Remote: &config.MCPRemote{URL: StartTracker(t), Headers: []config.Header{{Name: "Authorization", Value: "Bearer " + TrackerToken}}}}
}
