// Package mcpbackends holds the test backends of the MCP gateway: a small
// REST API described by an OpenAPI document (notes.yaml: path, query,
// header and body parameters, an API key header) and a real MCP server
// built with the official Go SDK.
package mcpbackends

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// NotesOpenAPI is the Notes API's OpenAPI document.
//
//go:embed notes.yaml
var NotesOpenAPI string

// NotesKey is the API key the Notes API requires in X-API-Key.
const NotesKey = "notes-backend-secret-0123"

// Note is one note.
type Note struct {
	ID    int      `json:"id"`
	Title string   `json:"title"`
	Text  string   `json:"text,omitempty"`
	Tags  []string `json:"tags,omitempty"`
}

// Notes is the running Notes API.
type Notes struct {
	URL string
	mu  sync.Mutex
	all []Note
	// LastQuery is the raw query of the last request (tests check no
	// argument replaced the key).
	LastQuery string
}

// StartNotes serves the Notes API on 127.0.0.1 until the test ends.
func StartNotes(t testing.TB) *Notes {
	n := &Notes{all: []Note{{ID: 1, Title: "first", Tags: []string{"a"}}, {ID: 2, Title: "second", Tags: []string{"b"}}}}
	ts := httptest.NewServer(n)
	t.Cleanup(ts.Close)
	n.URL = ts.URL
	return n
}

func (n *Notes) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.LastQuery = r.URL.RawQuery
	if r.Header.Get("X-API-Key") != NotesKey {
		http.Error(w, `{"error":"missing or wrong X-API-Key"}`, http.StatusUnauthorized)
		return
	}
	write := func(status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.URL.Path == "/health" && r.Method == http.MethodGet:
		write(200, map[string]string{"status": "ok"})
	case r.URL.Path == "/notes" && r.Method == http.MethodGet:
		tag := r.URL.Query().Get("tag")
		out := []Note{}
		for _, x := range n.all {
			if tag == "" || contains(x.Tags, tag) {
				out = append(out, x)
			}
		}
		if l, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && l < len(out) {
			out = out[:l]
		}
		write(200, map[string]any{"notes": out})
	case r.URL.Path == "/notes" && r.Method == http.MethodPost:
		var x Note
		if err := json.NewDecoder(r.Body).Decode(&x); err != nil || x.Title == "" {
			write(400, map[string]string{"error": "a note needs a title"})
			return
		}
		x.ID = len(n.all) + 1
		n.all = append(n.all, x)
		write(201, x)
	case strings.HasPrefix(r.URL.Path, "/notes/"):
		id, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/notes/"))
		for i, x := range n.all {
			if err == nil && x.ID == id {
				if r.Method == http.MethodDelete {
					n.all = append(n.all[:i], n.all[i+1:]...)
					w.WriteHeader(204)
					return
				}
				write(200, x)
				return
			}
		}
		write(404, map[string]string{"error": fmt.Sprintf("no note %d", id)})
	default:
		write(404, map[string]string{"error": "no route"})
	}
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// TrackerToken is the bearer token the tracker MCP server requires.
const TrackerToken = "tracker-upstream-token-42"

type issueArgs struct {
	ID int `json:"id" jsonschema:"the issue number"`
}

type issue struct {
	ID    int    `json:"id"`
	Title string `json:"title"`
	State string `json:"state"`
}

type searchArgs struct {
	Query string `json:"query" jsonschema:"words to look for"`
}

// StartTracker serves an issue-tracker MCP server (official Go SDK,
// Streamable HTTP, stateful sessions) on 127.0.0.1; it requires
// Authorization: Bearer TrackerToken. Tools: issue_get, issue_search,
// admin_reset; resources docs_readme (tracker://docs/readme) and
// admin_audit (tracker://admin/audit); prompts issue_triage (argument id)
// and admin_wipe.
func StartTracker(t testing.TB) string {
	s := mcp.NewServer(&mcp.Implementation{Name: "tracker", Version: "v0.1"}, nil)
	mcp.AddTool(s, &mcp.Tool{Name: "issue_get", Description: "Get one issue by number."},
		func(_ context.Context, _ *mcp.CallToolRequest, a issueArgs) (*mcp.CallToolResult, issue, error) {
			if a.ID <= 0 || a.ID > 100 {
				return nil, issue{}, fmt.Errorf("no issue %d", a.ID)
			}
			return nil, issue{ID: a.ID, Title: fmt.Sprintf("Issue %d", a.ID), State: "open"}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "issue_search", Description: "Search issues."},
		func(_ context.Context, _ *mcp.CallToolRequest, a searchArgs) (*mcp.CallToolResult, map[string]any, error) {
			return nil, map[string]any{"query": a.Query, "ids": []int{3, 7}}, nil
		})
	mcp.AddTool(s, &mcp.Tool{Name: "admin_reset", Description: "Delete every issue."},
		func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, map[string]any, error) {
			return nil, map[string]any{"reset": true}, nil
		})
	text := func(uri, body string) mcp.ResourceHandler {
		return func(context.Context, *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
			return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: uri, MIMEType: "text/markdown", Text: body}}}, nil
		}
	}
	s.AddResource(&mcp.Resource{Name: "docs_readme", URI: "tracker://docs/readme", MIMEType: "text/markdown", Description: "How to file an issue."},
		text("tracker://docs/readme", "# Tracker\nFile issues with a title and a state."))
	s.AddResource(&mcp.Resource{Name: "admin_audit", URI: "tracker://admin/audit", MIMEType: "text/markdown"},
		text("tracker://admin/audit", "audit log: nobody may read this through the gateway"))
	s.AddPrompt(&mcp.Prompt{Name: "issue_triage", Description: "Triage one issue.", Arguments: []*mcp.PromptArgument{{Name: "id", Required: true}}},
		func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
			return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user",
				Content: &mcp.TextContent{Text: "Triage issue " + req.Params.Arguments["id"] + ": label it and set its state."}}}}, nil
		})
	s.AddPrompt(&mcp.Prompt{Name: "admin_wipe"}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		return &mcp.GetPromptResult{Messages: []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: "wipe"}}}}, nil
	})
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return s }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+TrackerToken {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}
