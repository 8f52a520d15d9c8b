package mcptools_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/mcptools"
)

func notes(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile("../../test/mcpbackends/notes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestFromOpenAPIMapsOperations(t *testing.T) {
	tools, skipped, err := mcptools.FromOpenAPI(notes(t), mcptools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 {
		t.Errorf("skipped %v", skipped)
	}
	var names []string
	byName := map[string]config.MCPTool{}
	for _, tl := range tools {
		names = append(names, tl.Name)
		byName[tl.Name] = tl
	}
	if got, want := strings.Join(names, ","), "listNotes,createNote,getNote,deleteNote,get_health"; got != want {
		t.Fatalf("tools %s, want %s", got, want)
	}
	list := byName["listNotes"]
	if list.Method != "GET" || list.Path != "/notes" || !list.ReadOnly || list.Description != "List notes\n\nNotes, newest first, optionally filtered by tag." {
		t.Errorf("listNotes = %+v", list)
	}
	var s struct {
		Properties map[string]map[string]any `json:"properties"`
		Required   []string                  `json:"required"`
	}
	if err := json.Unmarshal(byName["createNote"].InputSchema, &s); err != nil {
		t.Fatal(err)
	}
	body := s.Properties["body"]
	if body["type"] != "object" || len(s.Required) != 1 || s.Required[0] != "body" || byName["createNote"].Body != "body" {
		t.Errorf("createNote schema %s", byName["createNote"].InputSchema)
	}
	if _, ok := body["properties"].(map[string]any)["tags"]; !ok {
		t.Errorf("the $ref was not inlined: %s", byName["createNote"].InputSchema)
	}
	get := byName["getNote"]
	if len(get.Params) != 2 || get.Params[0] != (config.MCPParam{Name: "id", Arg: "id", In: config.MCPInPath, Required: true}) || get.Params[1].In != config.MCPInHeader {
		t.Errorf("getNote params %+v", get.Params)
	}
}

func TestFromOpenAPISelectsAndOverrides(t *testing.T) {
	tools, _, err := mcptools.FromOpenAPI(notes(t), mcptools.Options{
		Include:   []string{"*Note*"},
		Exclude:   []string{"delete*"},
		Overrides: []mcptools.Override{{Tool: "getNote", Name: "fetch_note", Description: "Fetch it."}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tl := range tools {
		got = append(got, tl.Name+":"+tl.Description)
	}
	if want := "listNotes:List notes\n\nNotes, newest first, optionally filtered by tag.|createNote:Create a note|fetch_note:Fetch it."; strings.Join(got, "|") != want {
		t.Errorf("got %q", strings.Join(got, "|"))
	}
}

func TestFromOpenAPIErrorsHaveLocations(t *testing.T) {
	for _, tc := range []struct{ name, doc, want string }{
		{"yaml syntax", "openapi: 3.0.0\ninfo: {title: x\n", "at L2.C7"},
		{"swagger 2", "swagger: \"2.0\"\ninfo: {title: x, version: \"1\"}\npaths: {}\n", "not supported"},
		{"duplicate tool", "openapi: 3.0.0\ninfo: {title: x, version: \"1\"}\npaths:\n  /a:\n    get:\n      operationId: same\n  /b:\n    get:\n      operationId: same\n", "line 8, column 5: GET /b: tool name \"same\" is already used by the operation at line 5"},
		{"undeclared path param", "openapi: 3.0.0\ninfo: {title: x, version: \"1\"}\npaths:\n  /a/{id}:\n    get:\n      operationId: a\n", "line 5, column 5: GET /a/{id}: path parameter {id} is not declared"},
		{"unknown override", "openapi: 3.0.0\ninfo: {title: x, version: \"1\"}\npaths: {}\n", "no such operation"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := mcptools.FromOpenAPI([]byte(tc.doc), mcptools.Options{Overrides: []mcptools.Override{{Tool: "nope", Name: "x"}}})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
