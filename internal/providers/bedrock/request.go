package bedrock

import (
	"encoding/json"
	"fmt"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
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
				blocks = append(blocks, block{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: vendorkit.ArgsObject(tc.Function.Arguments)}})
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

// appendTurn adds blocks as a turn of role (vendorkit.AppendTurn).
func appendTurn(msgs []message, role string, blocks []block) []message {
	return vendorkit.AppendTurn(msgs, role, blocks, func(m *message) (*string, *[]block) { return &m.Role, &m.Content })
}

// imageFormats maps media types to Converse image formats.
var imageFormats = map[string]string{"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp"}

func userBlocks(c oa.Content) ([]block, error) {
	return vendorkit.UserParts(c, func(s string) block { return block{Text: s} }, func(u *oa.ImageURL) (block, error) {
		d, err := vendorkit.DataImage(u)
		if err != nil {
			return block{}, err
		}
		format, ok := imageFormats[d.MediaType]
		if !ok {
			return block{}, fmt.Errorf("image type %q is not supported (png, jpeg, gif, webp)", d.MediaType)
		}
		return block{Image: &image{Format: format, Source: imageSource{Bytes: d.Base64}}}, nil
	})
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
		tools = append(tools, toolEntry{ToolSpec: toolSpec{Name: t.Function.Name, Description: t.Function.Description, InputSchema: inputSchema{JSON: vendorkit.ObjectSchema(t.Function.Parameters)}}})
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
	return vendorkit.BadRequest("bedrock", format, a...)
}
