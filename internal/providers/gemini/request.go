package gemini

import (
	"encoding/json"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Gemini roles.
const (
	roleUser  = "user"
	roleModel = "model"
)

// toGenerate translates a canonical chat request into a generateContent body.
func toGenerate(body []byte) (*generateRequest, error) {
	var in oa.ChatRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("request body is not a valid chat completion request: %v", err)
	}
	out := &generateRequest{}
	var system []part
	names := map[string]string{} // tool call id → function name
	for i, m := range in.Messages {
		switch m.Role {
		case oa.RoleSystem, oa.RoleDeveloper:
			if s := m.Content.String(); s != "" {
				system = append(system, part{Text: s})
			}
		case oa.RoleUser:
			parts, err := userParts(m.Content)
			if err != nil {
				return nil, badRequest("messages[%d]: %v", i, err)
			}
			out.Contents = appendTurn(out.Contents, roleUser, parts)
		case oa.RoleAssistant:
			var parts []part
			if s := m.Content.String(); s != "" {
				parts = append(parts, part{Text: s})
			}
			for j, tc := range m.ToolCalls {
				if tc.Function.Name == "" {
					return nil, badRequest("messages[%d].tool_calls[%d]: function.name is required", i, j)
				}
				names[tc.ID] = tc.Function.Name
				parts = append(parts, part{FunctionCall: &functionCall{Name: tc.Function.Name, Args: vendorkit.ArgsObject(tc.Function.Arguments)}})
			}
			out.Contents = appendTurn(out.Contents, roleModel, parts)
		case oa.RoleTool:
			name := names[m.ToolCallID]
			if name == "" {
				name = m.Name
			}
			if name == "" {
				return nil, badRequest("messages[%d]: tool_call_id %q matches no earlier tool call", i, m.ToolCallID)
			}
			fr := &functionResponse{Name: name, Response: responseObject(m.Content.String())}
			out.Contents = appendTurn(out.Contents, roleUser, []part{{FunctionResponse: fr}})
		default:
			return nil, badRequest("messages[%d]: unsupported role %q", i, m.Role)
		}
	}
	if len(out.Contents) == 0 {
		return nil, badRequest("messages must hold at least one user or assistant message")
	}
	if len(system) > 0 {
		out.SystemInstruction = &content{Parts: system}
	}
	if err := setTools(out, &in); err != nil {
		return nil, err
	}
	g, err := generation(&in)
	if err != nil {
		return nil, err
	}
	out.GenerationConfig = g
	return out, nil
}

// appendTurn adds parts as a turn of role (vendorkit.AppendTurn).
func appendTurn(cs []content, role string, parts []part) []content {
	return vendorkit.AppendTurn(cs, role, parts, func(c *content) (*string, *[]part) { return &c.Role, &c.Parts })
}

func userParts(c oa.Content) ([]part, error) {
	return vendorkit.UserParts(c, func(s string) part { return part{Text: s} }, func(u *oa.ImageURL) (part, error) {
		d, err := vendorkit.DataImage(u)
		if err != nil {
			return part{}, err
		}
		return part{InlineData: &blob{MimeType: d.MediaType, Data: d.Base64}}, nil
	})
}

// responseObject wraps a tool result: Gemini wants an object, with the
// function's output under "output" when it is not an object itself.
func responseObject(s string) json.RawMessage {
	raw := json.RawMessage(strings.TrimSpace(s))
	if len(raw) > 0 && raw[0] == '{' && json.Valid(raw) {
		return raw
	}
	b, _ := json.Marshal(map[string]string{"output": s})
	return b
}

func setTools(out *generateRequest, in *oa.ChatRequest) error {
	var decls []functionDeclaration
	for i, t := range in.Tools {
		if t.Type != "function" || t.Function.Name == "" {
			return badRequest("tools[%d]: only function tools with a name are supported", i)
		}
		d := functionDeclaration{Name: t.Function.Name, Description: t.Function.Description}
		if len(t.Function.Parameters) > 0 && string(t.Function.Parameters) != "null" {
			d.ParametersJSONSchema = t.Function.Parameters
		}
		decls = append(decls, d)
	}
	if len(decls) > 0 {
		out.Tools = []tool{{FunctionDeclarations: decls}}
	}
	tc := in.ToolChoice
	if tc == nil || len(decls) == 0 {
		return nil
	}
	cfg := functionCallingConfig{}
	switch {
	case tc.Function != "":
		cfg.Mode, cfg.AllowedFunctionNames = "ANY", []string{tc.Function}
	case tc.Mode == oa.ToolChoiceNone:
		cfg.Mode = "NONE"
	case tc.Mode == oa.ToolChoiceRequired:
		cfg.Mode = "ANY"
	case tc.Mode == oa.ToolChoiceAuto || tc.Mode == "":
		cfg.Mode = "AUTO"
	default:
		return badRequest("tool_choice %q is not supported", tc.Mode)
	}
	out.ToolConfig = &toolConfig{FunctionCallingConfig: cfg}
	return nil
}

func generation(in *oa.ChatRequest) (*generationConfig, error) {
	g := generationConfig{
		Temperature:      in.Temperature,
		TopP:             in.TopP,
		MaxOutputTokens:  in.MaxOutputTokens(),
		StopSequences:    in.Stop,
		Seed:             in.Seed,
		PresencePenalty:  in.PresencePenalty,
		FrequencyPenalty: in.FrequencyPenalty,
	}
	if in.N != nil && *in.N > 1 {
		g.CandidateCount = *in.N
	}
	if rf := in.ResponseFormat; rf != nil {
		switch rf.Type {
		case "json_object":
			g.ResponseMimeType = "application/json"
		case "json_schema":
			g.ResponseMimeType = "application/json"
			if rf.JSONSchema != nil && len(rf.JSONSchema.Schema) > 0 {
				g.ResponseJSONSchema = rf.JSONSchema.Schema
			}
		}
	}
	if in.ReasoningEffort != "" {
		// The effort's budget, within the answer's bound (thinking
		// counts toward maxOutputTokens); "none" asks for no thinking.
		budget, ok := vendorkit.ThinkingBudget(in.ReasoningEffort)
		if !ok {
			return nil, badRequest("reasoning_effort: %q is not one of none, minimal, low, medium, high, xhigh", in.ReasoningEffort)
		}
		if g.MaxOutputTokens > 0 {
			budget = min(budget, g.MaxOutputTokens)
		}
		g.ThinkingConfig = &thinkingConfig{ThinkingBudget: &budget}
	}
	if g.Temperature == nil && g.TopP == nil && g.Seed == nil && g.PresencePenalty == nil && g.FrequencyPenalty == nil &&
		g.MaxOutputTokens == 0 && len(g.StopSequences) == 0 && g.CandidateCount == 0 && g.ResponseMimeType == "" && g.ThinkingConfig == nil {
		return nil, nil
	}
	return &g, nil
}

func badRequest(format string, a ...any) *providers.Error {
	return vendorkit.BadRequest("gemini", format, a...)
}
