package messages

import (
	"fmt"
	"strings"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// setTools translates tools and tool_choice. A tool with defer_loading is
// out of the model's context until a tool_reference block (the answer of
// a client-side tool search) names it, so only the referenced ones are
// declared; the others do not exist for the model yet.
func setTools(out *oa.ChatRequest, in *ant.MessagesRequest) error {
	loaded := referencedTools(in.Messages)
	for i, t := range in.Tools {
		if (t.Type != "" && t.Type != "custom") || len(t.InputSchema) == 0 {
			return invalid("tools.%d: only client tools with an input_schema are supported (server tool %q)", i, t.Type)
		}
		if t.Name == "" {
			return invalid("tools.%d.name: field required", i)
		}
		for _, c := range t.AllowedCallers {
			if c != "direct" {
				return invalid("tools.%d.allowed_callers: caller %q (programmatic tool calling) needs an Anthropic backend", i, c)
			}
		}
		if t.DeferLoading && !loaded[t.Name] {
			continue
		}
		out.Tools = append(out.Tools, oa.Tool{Type: "function", Function: oa.FunctionDef{
			Name: t.Name, Description: toolDescription(t), Parameters: t.InputSchema, Strict: t.Strict}})
	}
	tc := in.ToolChoice
	if tc == nil {
		return nil
	}
	switch tc.Type {
	case ant.ToolChoiceAuto:
		out.ToolChoice = &oa.ToolChoice{Mode: oa.ToolChoiceAuto}
	case ant.ToolChoiceAny:
		out.ToolChoice = &oa.ToolChoice{Mode: oa.ToolChoiceRequired}
	case ant.ToolChoiceNone:
		out.ToolChoice = &oa.ToolChoice{Mode: oa.ToolChoiceNone}
	case ant.ToolChoiceTool:
		if tc.Name == "" {
			return invalid("tool_choice.name: required when type is tool")
		}
		out.ToolChoice = &oa.ToolChoice{Function: tc.Name}
	default:
		return invalid("tool_choice.type: unknown value %q", tc.Type)
	}
	if tc.DisableParallelToolUse && len(out.Tools) > 0 {
		out.ParallelToolCalls = oa.Ptr(false)
	}
	return nil
}

// toolDescription is the description, followed by the input examples the
// model is shown with the tool (chat has no member for them).
func toolDescription(t ant.Tool) string {
	if len(t.InputExamples) == 0 {
		return t.Description
	}
	var b strings.Builder
	b.WriteString(t.Description)
	if b.Len() > 0 {
		b.WriteString("\n\n")
	}
	b.WriteString("Example inputs:")
	for _, e := range t.InputExamples {
		b.WriteString("\n")
		b.Write(e)
	}
	return b.String()
}

// referencedTools names the tools that tool_reference blocks load.
func referencedTools(msgs []ant.Message) map[string]bool {
	var out map[string]bool
	for _, m := range msgs {
		for _, b := range m.Content {
			if b.Type != ant.BlockToolResult || b.Content == nil {
				continue
			}
			for _, c := range *b.Content {
				if c.Type == ant.BlockToolReference && c.ToolName != "" {
					if out == nil {
						out = map[string]bool{}
					}
					out[c.ToolName] = true
				}
			}
		}
	}
	return out
}

// toolResult is a tool_result block as a tool message (text), with the
// images and documents it holds as user content parts introduced by the
// call id.
func toolResult(b ant.ContentBlock) (oa.Message, []oa.ContentPart, error) {
	if b.ToolUseID == "" {
		return oa.Message{}, nil, fmt.Errorf("tool_result needs tool_use_id")
	}
	var text []string
	var media []oa.ContentPart
	if b.Content != nil {
		for k, c := range *b.Content {
			switch c.Type {
			case ant.BlockText:
				text = append(text, c.Text)
			case ant.BlockToolReference:
				if c.ToolName == "" {
					return oa.Message{}, nil, fmt.Errorf("content.%d: tool_reference needs tool_name", k)
				}
				text = append(text, "Tool "+c.ToolName+" is now available.")
			case ant.BlockImage, ant.BlockDocument:
				p, err := userPart(c)
				if err != nil {
					return oa.Message{}, nil, fmt.Errorf("content.%d: %w", k, err)
				}
				media = append(media, p...)
			default:
				return oa.Message{}, nil, fmt.Errorf("content.%d: block type %q is not allowed in a tool_result", k, c.Type)
			}
		}
	}
	s := strings.Join(text, "")
	if len(media) > 0 {
		s = strings.TrimSpace(s + "\n(The tool's images and documents follow in the next user message.)")
		intro := oa.ContentPart{Type: oa.PartText, Text: "Content returned by tool call " + b.ToolUseID + ":"}
		media = append([]oa.ContentPart{intro}, media...)
	}
	switch {
	case b.IsError && s != "":
		s = "Error: " + s
	case b.IsError:
		s = "Error"
	}
	return oa.Message{Role: oa.RoleTool, ToolCallID: b.ToolUseID, Content: oa.Text(s)}, media, nil
}
