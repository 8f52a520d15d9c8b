package responses

import (
	"fmt"
	"strings"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// builder turns items into chat messages. An assistant turn of the chat
// form is a run of items (reasoning, an assistant message, function
// calls, in the order Response writes them); cur collects it.
type builder struct {
	msgs []oa.Message
	cur  *oa.Message
}

func (b *builder) flush() {
	if b.cur != nil {
		b.msgs = append(b.msgs, *b.cur)
		b.cur = nil
	}
}

// assistant returns the turn being collected, starting one when there is
// none or when the current one already holds what comes after kind.
func (b *builder) assistant(kind string) *oa.Message {
	if c := b.cur; c != nil {
		hasText := !c.Content.IsEmpty() || c.Refusal != ""
		switch {
		case kind == rs.ItemReasoning && (c.ReasoningContent != "" || c.ReasoningEncryptedContent != "" || hasText || len(c.ToolCalls) > 0),
			kind == rs.ItemMessage && (hasText || len(c.ToolCalls) > 0):
			b.flush()
		}
	}
	if b.cur == nil {
		b.cur = &oa.Message{Role: oa.RoleAssistant}
	}
	return b.cur
}

func (b *builder) items(field string, items []rs.Item) error {
	for i := range items {
		it := &items[i]
		param := fmt.Sprintf("%s[%d]", field, i)
		if len(it.Extra) > 0 {
			return invalid(param+"."+rs.ExtraNames(it.Extra)[0], "not supported for this model's provider")
		}
		var err error
		switch {
		case it.IsMessage():
			err = b.message(param, it)
		case it.Type == rs.ItemFunctionCall:
			err = b.functionCall(param, it)
		case it.Type == rs.ItemFunctionCallOutput:
			err = b.functionOutput(param, it)
		case it.Type == rs.ItemReasoning:
			err = b.reasoning(param, it)
		case it.Type == "":
			err = invalid(param+".type", "field required")
		default:
			err = invalid(param+".type", "item type %q is not supported for this model's provider", it.Type)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) message(param string, it *rs.Item) error {
	if it.Content == nil {
		return invalid(param+".content", "field required")
	}
	switch it.Role {
	case rs.RoleAssistant:
		return b.assistantMessage(param, it.Content)
	case rs.RoleUser, rs.RoleSystem, rs.RoleDeveloper:
	case "":
		return invalid(param+".role", "field required")
	default:
		return invalid(param+".role", "unknown role %q", it.Role)
	}
	content, err := inputContent(param+".content", it.Content, it.Role == rs.RoleUser)
	if err != nil {
		return err
	}
	b.flush()
	b.msgs = append(b.msgs, oa.Message{Role: it.Role, Content: content})
	return nil
}

// inputContent converts user, system and developer content: text, and
// (for users) images and files.
func inputContent(param string, c *rs.Content, user bool) (oa.Content, error) {
	if c.IsText {
		return oa.Text(c.Text), nil
	}
	parts := make([]oa.ContentPart, 0, len(c.Parts))
	for j, p := range c.Parts {
		pp := fmt.Sprintf("%s[%d]", param, j)
		if len(p.Extra) > 0 {
			return oa.Content{}, invalid(pp+"."+rs.ExtraNames(p.Extra)[0], "not supported for this model's provider")
		}
		switch {
		case p.Type == rs.PartInputText:
			parts = append(parts, oa.ContentPart{Type: oa.PartText, Text: p.Text})
		case !user:
			return oa.Content{}, invalid(pp+".type", "only input_text parts are allowed here (got %q)", p.Type)
		case p.Type == rs.PartInputImage:
			part, err := imagePart(pp, p)
			if err != nil {
				return oa.Content{}, err
			}
			parts = append(parts, part)
		case p.Type == rs.PartInputFile:
			part, err := filePart(pp, p)
			if err != nil {
				return oa.Content{}, err
			}
			parts = append(parts, part)
		default:
			return oa.Content{}, invalid(pp+".type", "content part type %q is not allowed in an input message", p.Type)
		}
	}
	if len(parts) == 1 && parts[0].Type == oa.PartText {
		return oa.Text(parts[0].Text), nil
	}
	return oa.Content{Parts: parts}, nil
}

func imagePart(param string, p rs.Part) (oa.ContentPart, error) {
	switch {
	case p.FileID != "":
		return oa.ContentPart{}, invalid(param+".file_id", "uploaded files are not available to this model's provider; send image_url")
	case p.ImageURL == "":
		return oa.ContentPart{}, invalid(param+".image_url", "field required")
	}
	detail := p.Detail
	if detail == "auto" {
		detail = ""
	}
	return oa.ContentPart{Type: oa.PartImageURL, ImageURL: &oa.ImageURL{URL: p.ImageURL, Detail: detail}}, nil
}

func filePart(param string, p rs.Part) (oa.ContentPart, error) {
	switch {
	case p.FileURL != "":
		return oa.ContentPart{}, invalid(param+".file_url", "file URLs are not supported for this model's provider; send file_data")
	case p.Detail != "":
		return oa.ContentPart{}, invalid(param+".detail", "not supported for files for this model's provider")
	case p.FileID == "" && p.FileData == "":
		return oa.ContentPart{}, invalid(param+".file_data", "file_data or file_id is required")
	}
	file := struct {
		FileData string `json:"file_data,omitempty"`
		FileID   string `json:"file_id,omitempty"`
		Filename string `json:"filename,omitempty"`
	}{p.FileData, p.FileID, p.Filename}
	raw, err := jsonRaw(file)
	if err != nil {
		return oa.ContentPart{}, err
	}
	return oa.ContentPart{Type: oa.PartFile, File: raw}, nil
}

// assistantMessage adds an assistant message's text and refusal to the
// turn. Annotations and logprobs of replayed output text are not model
// input (OpenAI does not show them to the model either).
func (b *builder) assistantMessage(param string, c *rs.Content) error {
	msg := b.assistant(rs.ItemMessage)
	if c.IsText {
		msg.Content = oa.Text(c.Text)
		return nil
	}
	var texts []string
	for j, p := range c.Parts {
		pp := fmt.Sprintf("%s.content[%d]", param, j)
		if len(p.Extra) > 0 {
			return invalid(pp+"."+rs.ExtraNames(p.Extra)[0], "not supported for this model's provider")
		}
		switch p.Type {
		case rs.PartOutputText, rs.PartInputText:
			texts = append(texts, p.Text)
		case rs.PartRefusal:
			msg.Refusal += p.Refusal
		default:
			return invalid(pp+".type", "content part type %q is not allowed in an assistant message", p.Type)
		}
	}
	switch len(texts) {
	case 0:
	case 1:
		msg.Content = oa.Text(texts[0])
	default:
		parts := make([]oa.ContentPart, len(texts))
		for i, t := range texts {
			parts[i] = oa.ContentPart{Type: oa.PartText, Text: t}
		}
		msg.Content = oa.Content{Parts: parts}
	}
	return nil
}

func (b *builder) functionCall(param string, it *rs.Item) error {
	switch {
	case it.CallID == "":
		return invalid(param+".call_id", "field required")
	case it.Name == "":
		return invalid(param+".name", "field required")
	case it.Arguments == nil:
		return invalid(param+".arguments", "field required")
	}
	msg := b.assistant(rs.ItemFunctionCall)
	msg.ToolCalls = append(msg.ToolCalls, oa.ToolCall{ID: it.CallID, Type: "function",
		Function: oa.FunctionCall{Name: it.Name, Arguments: *it.Arguments}})
	return nil
}

func (b *builder) functionOutput(param string, it *rs.Item) error {
	switch {
	case it.CallID == "":
		return invalid(param+".call_id", "field required")
	case it.Output == nil:
		return invalid(param+".output", "field required")
	}
	content, err := inputContent(param+".output", it.Output, false)
	if err != nil {
		return err
	}
	b.flush()
	b.msgs = append(b.msgs, oa.Message{Role: oa.RoleTool, ToolCallID: it.CallID, Content: content})
	return nil
}

// reasoning starts an assistant turn with the item's reasoning text (its
// reasoning_text content, else its summary) and encrypted content.
func (b *builder) reasoning(param string, it *rs.Item) error {
	var texts []string
	if it.Content != nil {
		if it.Content.IsText {
			return invalid(param+".content", "must be an array of reasoning_text parts")
		}
		for j, p := range it.Content.Parts {
			if p.Type != rs.PartReasoningText || len(p.Extra) > 0 {
				return invalid(fmt.Sprintf("%s.content[%d]", param, j), "only reasoning_text parts are allowed")
			}
			texts = append(texts, p.Text)
		}
	}
	if len(texts) == 0 {
		for j, p := range it.Summary {
			if p.Type != rs.PartSummaryText || len(p.Extra) > 0 {
				return invalid(fmt.Sprintf("%s.summary[%d]", param, j), "only summary_text parts are allowed")
			}
			texts = append(texts, p.Text)
		}
	}
	msg := b.assistant(rs.ItemReasoning)
	msg.ReasoningContent = strings.Join(texts, "\n\n")
	if it.EncryptedContent != nil {
		msg.ReasoningEncryptedContent = *it.EncryptedContent
	}
	return nil
}
