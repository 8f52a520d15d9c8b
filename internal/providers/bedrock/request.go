package bedrock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// toConverse translates a canonical chat request into a Converse body.
func toConverse(body []byte) (*converseRequest, error) {
	var in oa.ChatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("request body is not a valid chat completion request: %v", err)
	}
	if in.N != nil && *in.N > 1 {
		return nil, badRequest("n > 1 is not supported by this model's provider")
	}
	out := &converseRequest{}
	usesTools := false
	for i, m := range in.Messages {
		switch m.Role {
		case oa.RoleSystem, oa.RoleDeveloper:
			if s := m.Content.String(); s != "" {
				out.System = append(out.System, systemBlock{Text: s})
			}
		case oa.RoleUser:
			blocks, err := userBlocks(m.Content)
			if err != nil {
				return nil, badRequest("messages[%d]: %v", i, err)
			}
			out.Messages = appendTurn(out.Messages, "user", blocks)
		case oa.RoleAssistant:
			var blocks []block
			if s := m.Content.String(); s != "" {
				blocks = append(blocks, block{Text: s})
			}
			for j, tc := range m.ToolCalls {
				if tc.ID == "" || tc.Function.Name == "" {
					return nil, badRequest("messages[%d].tool_calls[%d]: id and function.name are required", i, j)
				}
				usesTools = true
				blocks = append(blocks, block{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: argsObject(tc.Function.Arguments)}})
			}
			out.Messages = appendTurn(out.Messages, "assistant", blocks)
		case oa.RoleTool:
			if m.ToolCallID == "" {
				return nil, badRequest("messages[%d]: a tool message needs tool_call_id", i)
			}
			usesTools = true
			res := &toolResult{ToolUseID: m.ToolCallID, Content: []toolResultContent{{Text: m.Content.String()}}}
			out.Messages = appendTurn(out.Messages, "user", []block{{ToolResult: res}})
		default:
			return nil, badRequest("messages[%d]: unsupported role %q", i, m.Role)
		}
	}
	if len(out.Messages) == 0 {
		return nil, badRequest("messages must hold at least one user or assistant message")
	}
	ic := inferenceConfig{MaxTokens: in.MaxOutputTokens(), Temperature: in.Temperature, TopP: in.TopP, StopSequences: in.Stop}
	if ic.MaxTokens > 0 || ic.Temperature != nil || ic.TopP != nil || len(ic.StopSequences) > 0 {
		out.InferenceConfig = &ic
	}
	if err := setTools(out, &in, usesTools); err != nil {
		return nil, err
	}
	return out, nil
}

func appendTurn(msgs []message, role string, blocks []block) []message {
	if len(blocks) == 0 {
		return msgs
	}
	if n := len(msgs); n > 0 && msgs[n-1].Role == role {
		msgs[n-1].Content = append(msgs[n-1].Content, blocks...)
		return msgs
	}
	return append(msgs, message{Role: role, Content: blocks})
}

// imageFormats maps media types to Converse image formats.
var imageFormats = map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"}

func userBlocks(c oa.Content) ([]block, error) {
	if c.Parts == nil {
		if c.Text == "" {
			return nil, nil
		}
		return []block{{Text: c.Text}}, nil
	}
	var out []block
	for j, p := range c.Parts {
		switch p.Type {
		case oa.PartText:
			if p.Text != "" {
				out = append(out, block{Text: p.Text})
			}
		case oa.PartImageURL:
			if p.ImageURL == nil {
				return nil, fmt.Errorf("content[%d]: image_url is missing", j)
			}
			d, ok := oa.ParseDataURL(p.ImageURL.URL)
			if !ok {
				return nil, fmt.Errorf("content[%d]: this provider accepts images as base64 data: URLs only", j)
			}
			format, ok := imageFormats[d.MediaType]
			if !ok {
				return nil, fmt.Errorf("content[%d]: image type %q is not supported (png, jpeg, gif, webp)", j, d.MediaType)
			}
			out = append(out, block{Image: &image{Format: format, Source: imageSource{Bytes: d.Base64}}})
		default:
			return nil, fmt.Errorf("content[%d]: content part type %q is not supported by this model's provider", j, p.Type)
		}
	}
	return out, nil
}

func argsObject(args string) json.RawMessage {
	raw := json.RawMessage(strings.TrimSpace(args))
	if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
		return raw
	}
	return json.RawMessage("{}")
}

// setTools fills toolConfig. Converse has no "none" choice: tools are then
// sent only when the history holds tool blocks (Converse requires a
// toolConfig for them), with no toolChoice.
func setTools(out *converseRequest, in *oa.ChatRequest, usesTools bool) error {
	var tools []toolEntry
	for i, t := range in.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return badRequest("tools[%d]: only function tools with a name are supported", i)
		}
		schema := t.Function.Parameters
		if len(schema) == 0 || string(schema) == "null" {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		tools = append(tools, toolEntry{ToolSpec: toolSpec{Name: t.Function.Name, Description: t.Function.Description, InputSchema: inputSchema{JSON: schema}}})
	}
	if len(tools) == 0 {
		return nil
	}
	cfg := &toolConfig{Tools: tools}
	switch tc := in.ToolChoice; {
	case tc == nil:
	case tc.Function != "":
		cfg.ToolChoice = &toolChoice{Tool: &namedTool{Name: tc.Function}}
	case tc.Mode == oa.ToolChoiceRequired:
		cfg.ToolChoice = &toolChoice{Any: &empty{}}
	case tc.Mode == oa.ToolChoiceAuto || tc.Mode == "":
		cfg.ToolChoice = &toolChoice{Auto: &empty{}}
	case tc.Mode == oa.ToolChoiceNone:
		if !usesTools {
			return nil
		}
	default:
		return badRequest("tool_choice %q is not supported", tc.Mode)
	}
	out.ToolConfig = cfg
	return nil
}

func badRequest(format string, a ...any) *providers.Error {
	return &providers.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "invalid_request",
		Message: "bedrock: " + fmt.Sprintf(format, a...), Class: providers.ClassFatal}
}
