// Package mcptools turns an OpenAPI 3.0/3.1 document into MCP tools (the
// compiled form the gateway serves, config.MCPTool). It is pure: the
// caller fetches the document. The parser (libopenapi) keeps every node's
// line and column, so an error names where in the document it is.
//
// The mapping rules are in docs/mcp.md.
package mcptools

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/pb33f/libopenapi"
	"github.com/pb33f/libopenapi/datamodel/high/base"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// MaxDocumentBytes bounds a document (inline, ConfigMap or fetched).
const MaxDocumentBytes = 5 << 20

// maxTools bounds the tools of one document.
const maxTools = 1024

// Override renames a tool or replaces its description.
type Override struct {
	Tool        string
	Name        string
	Description string
}

// Options select and adjust the generated tools.
type Options struct {
	Include, Exclude []string
	Overrides        []Override
}

// Skipped is an operation left out, and why.
type Skipped struct {
	Tool   string
	Reason string
}

// Error is a problem in the document at a position (1-based; 0 when the
// parser gave none).
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

var (
	unsafeChars = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)
	underscores = regexp.MustCompile(`__+`)
)

// ToolName is the generated name of an operation: its operationId, or
// method_path, with characters outside [A-Za-z0-9_.-] turned into '_'.
func ToolName(operationID, method, path string) string {
	n := operationID
	if n == "" {
		n = strings.ToLower(method) + "_" + path
	}
	n = strings.Trim(underscores.ReplaceAllString(unsafeChars.ReplaceAllString(n, "_"), "_"), "_")
	if len(n) > 128 {
		n = n[:128]
	}
	return n
}

// FromOpenAPI parses doc and returns its operations as tools, in document
// order, after include/exclude and overrides.
func FromOpenAPI(doc []byte, o Options) ([]config.MCPTool, []Skipped, error) {
	if len(doc) > MaxDocumentBytes {
		return nil, nil, &Error{Msg: fmt.Sprintf("document is %d bytes; at most %d", len(doc), MaxDocumentBytes)}
	}
	d, err := libopenapi.NewDocument(doc)
	if err != nil {
		return nil, nil, &Error{Msg: "parsing the document: " + err.Error()}
	}
	if v := d.GetVersion(); !strings.HasPrefix(v, "3.") {
		return nil, nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("OpenAPI version %q is not supported: want 3.0 or 3.1", v)}
	}
	m, err := d.BuildV3Model()
	if m == nil {
		return nil, nil, &Error{Msg: "building the OpenAPI model: " + errText(err)}
	}
	if err != nil {
		return nil, nil, &Error{Msg: "the OpenAPI document is invalid: " + errText(err)}
	}
	var tools []config.MCPTool
	var skipped []Skipped
	seen := map[string][2]int{}
	generated := map[string]bool{}
	paths := m.Model.Paths
	if paths == nil || paths.PathItems == nil {
		return nil, nil, nil
	}
	for p, item := range paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			line, col := opPos(op)
			generated[ToolName(op.OperationId, method, p)] = true
			t, why, err := tool(strings.ToUpper(method), p, item, op, o)
			if err != nil {
				return nil, nil, &Error{Line: line, Column: col, Msg: err.Error()}
			}
			if t == nil {
				if why != "" {
					skipped = append(skipped, Skipped{Tool: ToolName(op.OperationId, method, p), Reason: why})
				}
				continue
			}
			if at, dup := seen[t.Name]; dup {
				return nil, nil, &Error{Line: line, Column: col, Msg: fmt.Sprintf(
					"%s %s: tool name %q is already used by the operation at line %d; set a unique operationId or an override", strings.ToUpper(method), p, t.Name, at[0])}
			}
			seen[t.Name] = [2]int{line, col}
			tools = append(tools, *t)
			if len(tools) > maxTools {
				return nil, nil, &Error{Msg: fmt.Sprintf("more than %d tools; use include/exclude", maxTools)}
			}
		}
	}
	for _, ov := range o.Overrides {
		if !generated[ov.Tool] && config.ToolSelected(o.Include, o.Exclude, ov.Tool) {
			return nil, nil, &Error{Msg: fmt.Sprintf("override of tool %q: the document has no such operation", ov.Tool)}
		}
	}
	return tools, skipped, nil
}

func errText(err error) string {
	if err == nil {
		return "no model"
	}
	var msgs []string
	for _, e := range unwrapAll(err) {
		msgs = append(msgs, e.Error())
		if len(msgs) == 3 {
			break
		}
	}
	return strings.Join(msgs, "; ")
}

func unwrapAll(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

func opPos(op *v3.Operation) (int, int) {
	if l := op.GoLow(); l != nil {
		if n := l.KeyNode; n != nil {
			return n.Line, n.Column
		}
		if n := l.RootNode; n != nil {
			return n.Line, n.Column
		}
	}
	return 0, 0
}

// tool maps one operation; nil with a reason when it is left out.
func tool(method, p string, item *v3.PathItem, op *v3.Operation, o Options) (*config.MCPTool, string, error) {
	name := ToolName(op.OperationId, method, p)
	if !config.ToolSelected(o.Include, o.Exclude, name) {
		return nil, "", nil
	}
	t := &config.MCPTool{Name: name, Method: method, Path: p, Title: op.Summary,
		ReadOnly: method == "GET" || method == "HEAD"}
	t.Description = strings.TrimSpace(strings.Join(slices.DeleteFunc([]string{op.Summary, op.Description}, func(s string) bool { return s == "" }), "\n\n"))
	props := map[string]json.RawMessage{}
	var required []string
	params := mergeParams(item.Parameters, op.Parameters)
	for _, prm := range params {
		in := config.MCPParamIn(prm.In)
		switch in {
		case config.MCPInPath, config.MCPInQuery, config.MCPInHeader:
		case "cookie":
			if prm.Required != nil && *prm.Required {
				return nil, fmt.Sprintf("required cookie parameter %q is not supported", prm.Name), nil
			}
			continue
		default:
			return nil, "", fmt.Errorf("%s %s: parameter %q has unknown location %q", method, p, prm.Name, prm.In)
		}
		if prm.Name == "" {
			return nil, "", fmt.Errorf("%s %s: a parameter has no name", method, p)
		}
		arg := argName(prm.Name, props)
		s, err := schemaJSON(prm.Schema, prm.Description)
		if err != nil {
			return nil, "", fmt.Errorf("%s %s: parameter %q: %w", method, p, prm.Name, err)
		}
		props[arg] = s
		req := in == config.MCPInPath || (prm.Required != nil && *prm.Required)
		if req {
			required = append(required, arg)
		}
		t.Params = append(t.Params, config.MCPParam{Name: prm.Name, Arg: arg, In: in, Required: req})
	}
	for _, seg := range strings.Split(p, "/") {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			pn := seg[1 : len(seg)-1]
			if !slices.ContainsFunc(t.Params, func(x config.MCPParam) bool { return x.In == config.MCPInPath && x.Name == pn }) {
				return nil, "", fmt.Errorf("%s %s: path parameter {%s} is not declared in parameters", method, p, pn)
			}
		}
	}
	if rb := op.RequestBody; rb != nil {
		mt := jsonMedia(rb)
		reqd := rb.Required != nil && *rb.Required
		switch {
		case mt != nil:
			arg := argName("body", props)
			s, err := schemaJSON(mt.Schema, rb.Description)
			if err != nil {
				return nil, "", fmt.Errorf("%s %s: request body: %w", method, p, err)
			}
			props[arg] = s
			t.Body = arg
			if reqd {
				required = append(required, arg)
			}
		case reqd:
			return nil, "the request body has no JSON media type", nil
		}
	}
	schema := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		schema["required"] = required
	}
	b, err := json.Marshal(schema)
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: encoding the input schema: %w", method, p, err)
	}
	t.InputSchema = b
	for _, ov := range o.Overrides {
		if ov.Tool != name {
			continue
		}
		if ov.Name != "" {
			t.Name = ov.Name
		}
		if ov.Description != "" {
			t.Description = ov.Description
		}
	}
	return t, "", nil
}

// mergeParams is the path item's parameters overridden by the
// operation's of the same name and location.
func mergeParams(item, op []*v3.Parameter) []*v3.Parameter {
	out := slices.Clone(item)
	for _, p := range op {
		if i := slices.IndexFunc(out, func(x *v3.Parameter) bool { return x.Name == p.Name && x.In == p.In }); i >= 0 {
			out[i] = p
			continue
		}
		out = append(out, p)
	}
	return out
}

// argName is name, or name with a numeric suffix when taken (a query and a
// header parameter of one name).
func argName(name string, taken map[string]json.RawMessage) string {
	n := name
	for i := 2; ; i++ {
		if _, ok := taken[n]; !ok {
			return n
		}
		n = fmt.Sprintf("%s_%d", name, i)
	}
}

func jsonMedia(rb *v3.RequestBody) *v3.MediaType {
	if rb.Content == nil {
		return nil
	}
	for ct, mt := range rb.Content.FromOldest() {
		base, _, _ := strings.Cut(ct, ";")
		base = strings.TrimSpace(strings.ToLower(base))
		if base == "application/json" || strings.HasSuffix(base, "+json") {
			return mt
		}
	}
	return nil
}

// schemaJSON renders a schema with its references inlined; no schema is
// any value (a string for parameters is what most APIs mean, but the
// schema stays honest).
func schemaJSON(sp *base.SchemaProxy, desc string) (json.RawMessage, error) {
	var m map[string]any
	if sp != nil {
		s, err := sp.BuildSchema()
		if err != nil {
			return nil, fmt.Errorf("schema: %w", err)
		}
		if s != nil {
			b, err := s.MarshalJSONInline()
			if err != nil {
				return nil, fmt.Errorf("rendering the schema: %w", err)
			}
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("rendering the schema: %w", err)
			}
		}
	}
	if m == nil {
		m = map[string]any{}
	}
	if _, ok := m["description"]; !ok && desc != "" {
		m["description"] = desc
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, errors.Join(errors.New("encoding the schema"), err)
	}
	return b, nil
}
