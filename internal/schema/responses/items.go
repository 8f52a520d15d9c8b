package responses

import (
	"encoding/json"
	"errors"
	"reflect"

	"github.com/tollgate-dev/tollgate/internal/schema/jsonform"
)

// Item types.
const (
	ItemMessage            = "message"
	ItemFunctionCall       = "function_call"
	ItemFunctionCallOutput = "function_call_output"
	ItemReasoning          = "reasoning"
	ItemReference          = "item_reference"
)

// Roles of message items.
const (
	RoleUser      = "user"
	RoleAssistant = "assistant"
	RoleSystem    = "system"
	RoleDeveloper = "developer"
)

// Item statuses (messages, function calls, reasoning).
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
)

// Item is one input or output item of any type; which members are written
// depends on Type (see MarshalJSON). An input message may leave Type
// empty (OpenAI's "easy" input message).
type Item struct {
	Type   string `json:"type,omitempty"`
	ID     string `json:"id,omitempty"`
	Status string `json:"status,omitempty"`

	// message
	Role  string `json:"role,omitempty"`
	Phase string `json:"phase,omitempty"`
	// Content is a message's content (a string or parts) or a reasoning
	// item's reasoning_text parts.
	Content *Content `json:"content,omitempty"`

	// function_call and function_call_output
	CallID    string   `json:"call_id,omitempty"`
	Name      string   `json:"name,omitempty"`
	Arguments *string  `json:"arguments,omitempty"`
	Output    *Content `json:"output,omitempty"`

	// reasoning
	Summary          []Part  `json:"summary,omitempty"`
	EncryptedContent *string `json:"encrypted_content,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

// IsMessage is true for message items, typed or not.
func (it *Item) IsMessage() bool { return it.Type == ItemMessage || (it.Type == "" && it.Role != "") }

type itemAlias Item

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (it *Item) UnmarshalJSON(b []byte) error { return decodeKnown(b, (*itemAlias)(it), &it.Extra) }

// MarshalJSON writes the members each item type has, required ones even
// when empty ("summary":[] on a reasoning item, "arguments":"" on a call).
func (it Item) MarshalJSON() ([]byte, error) {
	var b []byte
	var err error
	switch it.Type {
	case ItemMessage:
		content := it.Content
		if content == nil {
			content = &Content{Parts: []Part{}}
		}
		b, err = json.Marshal(struct {
			ID      string   `json:"id,omitempty"`
			Type    string   `json:"type"`
			Status  string   `json:"status,omitempty"`
			Role    string   `json:"role"`
			Phase   string   `json:"phase,omitempty"`
			Content *Content `json:"content"`
		}{it.ID, it.Type, it.Status, it.Role, it.Phase, content})
	case ItemFunctionCall:
		args := ""
		if it.Arguments != nil {
			args = *it.Arguments
		}
		b, err = json.Marshal(struct {
			ID        string `json:"id,omitempty"`
			Type      string `json:"type"`
			Status    string `json:"status,omitempty"`
			CallID    string `json:"call_id"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		}{it.ID, it.Type, it.Status, it.CallID, it.Name, args})
	case ItemFunctionCallOutput:
		out := it.Output
		if out == nil {
			out = &Content{IsText: true}
		}
		b, err = json.Marshal(struct {
			ID     string   `json:"id,omitempty"`
			Type   string   `json:"type"`
			Status string   `json:"status,omitempty"`
			CallID string   `json:"call_id"`
			Output *Content `json:"output"`
		}{it.ID, it.Type, it.Status, it.CallID, out})
	case ItemReasoning:
		summary := it.Summary
		if summary == nil {
			summary = []Part{}
		}
		var content []Part
		if it.Content != nil {
			content = it.Content.Parts
		}
		b, err = json.Marshal(struct {
			ID               string  `json:"id"`
			Type             string  `json:"type"`
			Status           string  `json:"status,omitempty"`
			Summary          []Part  `json:"summary"`
			Content          []Part  `json:"content,omitempty"`
			EncryptedContent *string `json:"encrypted_content,omitempty"`
		}{it.ID, it.Type, it.Status, summary, content, it.EncryptedContent})
	default:
		b, err = json.Marshal(itemAlias(it))
	}
	if err != nil || len(it.Extra) == 0 {
		return b, err
	}
	return appendMembers(b, it.Extra, jsonNames(typeOfItem))
}

// Content is a message's content: a string or a list of parts.
type Content struct {
	Text   string
	IsText bool
	Parts  []Part
}

// TextContent is string content.
func TextContent(s string) *Content { return &Content{Text: s, IsText: true} }

// MarshalJSON writes the string or the parts.
func (c Content) MarshalJSON() ([]byte, error) {
	return jsonform.EncodeTextOrList(c.IsText, c.Text, c.Parts)
}

// UnmarshalJSON reads a string or a list of parts.
func (c *Content) UnmarshalJSON(b []byte) error {
	*c = Content{}
	var err error
	c.IsText, err = jsonform.TextOrList(b, &c.Text, &c.Parts, errors.New("content must be a string or an array of content parts"))
	return err
}

// Content part types.
const (
	PartInputText     = "input_text"
	PartInputImage    = "input_image"
	PartInputFile     = "input_file"
	PartOutputText    = "output_text"
	PartRefusal       = "refusal"
	PartReasoningText = "reasoning_text"
	PartSummaryText   = "summary_text"
)

// Part is one content part of any type (see MarshalJSON for each shape).
type Part struct {
	Type    string `json:"type"`
	Text    string `json:"text,omitempty"`
	Refusal string `json:"refusal,omitempty"`
	// input_image and input_file
	ImageURL string `json:"image_url,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Detail   string `json:"detail,omitempty"`
	FileData string `json:"file_data,omitempty"`
	FileURL  string `json:"file_url,omitempty"`
	Filename string `json:"filename,omitempty"`
	// output_text
	Annotations json.RawMessage `json:"annotations,omitempty"`
	Logprobs    json.RawMessage `json:"logprobs,omitempty"`

	Extra map[string]json.RawMessage `json:"-"`
}

type partAlias Part

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (p *Part) UnmarshalJSON(b []byte) error { return decodeKnown(b, (*partAlias)(p), &p.Extra) }

// MarshalJSON writes each part type's members: "text" even when empty
// for the text types, and "annotations":[] on output_text.
func (p Part) MarshalJSON() ([]byte, error) {
	var b []byte
	var err error
	switch p.Type {
	case PartInputText, PartReasoningText, PartSummaryText:
		b, err = json.Marshal(struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}{p.Type, p.Text})
	case PartOutputText:
		ann := p.Annotations
		if len(ann) == 0 {
			ann = json.RawMessage("[]")
		}
		b, err = json.Marshal(struct {
			Type        string          `json:"type"`
			Text        string          `json:"text"`
			Annotations json.RawMessage `json:"annotations"`
			Logprobs    json.RawMessage `json:"logprobs,omitempty"`
		}{p.Type, p.Text, ann, p.Logprobs})
	case PartRefusal:
		b, err = json.Marshal(struct {
			Type    string `json:"type"`
			Refusal string `json:"refusal"`
		}{p.Type, p.Refusal})
	default:
		b, err = json.Marshal(partAlias(p))
	}
	if err != nil || len(p.Extra) == 0 {
		return b, err
	}
	return appendMembers(b, p.Extra, jsonNames(typeOfPart))
}

var (
	typeOfItem = reflect.TypeFor[itemAlias]()
	typeOfPart = reflect.TypeFor[partAlias]()
)
