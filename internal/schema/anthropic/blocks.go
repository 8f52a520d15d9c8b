package anthropic

import "encoding/json"

// Content block types.
const (
	BlockText             = "text"
	BlockImage            = "image"
	BlockDocument         = "document"
	BlockToolUse          = "tool_use"
	BlockToolResult       = "tool_result"
	BlockThinking         = "thinking"
	BlockRedactedThinking = "redacted_thinking"
	// BlockToolReference, inside a tool_result, loads a deferred tool.
	BlockToolReference = "tool_reference"
)

// ContentBlock is one content block of any type; which fields are written
// depends on Type (see MarshalJSON), so each type has its exact wire shape.
type ContentBlock struct {
	Type string `json:"type"`
	// text and thinking
	Text      string `json:"text,omitempty"`
	Thinking  string `json:"thinking,omitempty"`
	Signature string `json:"signature,omitempty"`
	// redacted_thinking
	Data string `json:"data,omitempty"`
	// image and document
	Source *Source `json:"source,omitempty"`
	// tool_use
	ID    string          `json:"id,omitempty"`
	Name  string          `json:"name,omitempty"`
	Input json.RawMessage `json:"input,omitempty"`
	// tool_result
	ToolUseID string   `json:"tool_use_id,omitempty"`
	Content   *Content `json:"content,omitempty"`
	IsError   bool     `json:"is_error,omitempty"`
	// tool_reference
	ToolName string `json:"tool_name,omitempty"`
	// document
	Title     string          `json:"title,omitempty"`
	Context   string          `json:"context,omitempty"`
	Citations json.RawMessage `json:"citations,omitempty"`

	CacheControl json.RawMessage `json:"cache_control,omitempty"`
}

// Source is an image or document source.
type Source struct {
	// Type is "base64" or "url"; documents also take "text" (Data is the
	// text), "content" (Content) and "file" (FileID).
	Type      string   `json:"type"`
	MediaType string   `json:"media_type,omitempty"`
	Data      string   `json:"data,omitempty"`
	URL       string   `json:"url,omitempty"`
	Content   *Content `json:"content,omitempty"`
	FileID    string   `json:"file_id,omitempty"`
}

type blockAlias ContentBlock

// MarshalJSON writes the members each block type requires, even when
// empty ("text":"" in a content_block_start, "input":{} for a tool_use).
func (c ContentBlock) MarshalJSON() ([]byte, error) {
	cc := json.RawMessage(nil)
	if len(c.CacheControl) > 0 {
		cc = c.CacheControl
	}
	switch c.Type {
	case BlockText:
		return json.Marshal(struct {
			Type         string          `json:"type"`
			Text         string          `json:"text"`
			CacheControl json.RawMessage `json:"cache_control,omitempty"`
		}{c.Type, c.Text, cc})
	case BlockThinking:
		return json.Marshal(struct {
			Type      string `json:"type"`
			Thinking  string `json:"thinking"`
			Signature string `json:"signature"`
		}{c.Type, c.Thinking, c.Signature})
	case BlockToolUse:
		input := c.Input
		if len(input) == 0 {
			input = json.RawMessage("{}")
		}
		return json.Marshal(struct {
			Type         string          `json:"type"`
			ID           string          `json:"id"`
			Name         string          `json:"name"`
			Input        json.RawMessage `json:"input"`
			CacheControl json.RawMessage `json:"cache_control,omitempty"`
		}{c.Type, c.ID, c.Name, input, cc})
	case BlockToolResult:
		return json.Marshal(struct {
			Type         string          `json:"type"`
			ToolUseID    string          `json:"tool_use_id"`
			Content      *Content        `json:"content,omitempty"`
			IsError      bool            `json:"is_error,omitempty"`
			CacheControl json.RawMessage `json:"cache_control,omitempty"`
		}{c.Type, c.ToolUseID, c.Content, c.IsError, cc})
	default:
		return json.Marshal(blockAlias(c))
	}
}

// TextOf joins the text of text blocks.
func TextOf(blocks []ContentBlock) string {
	var out []byte
	for _, b := range blocks {
		if b.Type == BlockText {
			out = append(out, b.Text...)
		}
	}
	return string(out)
}
