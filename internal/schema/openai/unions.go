package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/schema/jsonform"
)

// Content is a message's content: a string, an array of parts, or null.
// The zero value is null; Parts, when non-nil, wins over Text.
type Content struct {
	Text  string
	Parts []ContentPart
}

// Text makes string content.
func Text(s string) Content { return Content{Text: s} }

// IsEmpty is true for null, "" and an empty part list.
func (c Content) IsEmpty() bool { return c.Text == "" && len(c.Parts) == 0 }

// String joins the text of the content (text parts joined by nothing,
// as OpenAI concatenates them).
func (c Content) String() string {
	if c.Parts == nil {
		return c.Text
	}
	var b strings.Builder
	for _, p := range c.Parts {
		if p.Type == PartText {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}

// MarshalJSON writes parts, a string, or null.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case c.Parts != nil:
		return json.Marshal(c.Parts)
	case c.Text != "":
		return json.Marshal(c.Text)
	default:
		return []byte("null"), nil
	}
}

// UnmarshalJSON reads a string, an array of parts, or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	*c = Content{}
	if b = bytes.TrimSpace(b); len(b) == 0 || string(b) == "null" {
		return nil
	}
	_, err := jsonform.TextOrList(b, &c.Text, &c.Parts, errors.New("message content must be a string, an array of parts or null"))
	return err
}

// Content part types.
const (
	PartText     = "text"
	PartImageURL = "image_url"
	PartAudio    = "input_audio"
	PartFile     = "file"
	PartRefusal  = "refusal"
)

// ContentPart is one element of an array content.
type ContentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *ImageURL `json:"image_url,omitempty"`
	Refusal  string    `json:"refusal,omitempty"`
	// File and InputAudio are carried through untouched.
	File       json.RawMessage `json:"file,omitempty"`
	InputAudio json.RawMessage `json:"input_audio,omitempty"`
}

// ImageURL is an image part's URL: https or a data: URL.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

// Stop is "stop": a string or an array of strings, written as an array.
type Stop []string

// UnmarshalJSON reads a string, an array of strings, or null.
func (s *Stop) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) == 0 || string(b) == "null" {
		*s = nil
		return nil
	}
	many, err := jsonform.OneOrMany(b, func(s string) string { return s })
	if err != nil {
		return fmt.Errorf("stop must be a string or an array of strings: %w", err)
	}
	*s = many
	return nil
}

// Tool choice modes.
const (
	ToolChoiceNone     = "none"
	ToolChoiceAuto     = "auto"
	ToolChoiceRequired = "required"
)

// ToolChoice is "tool_choice": a mode ("none", "auto", "required") or a
// named function. Function non-empty means the object form.
type ToolChoice struct {
	Mode     string
	Function string
}

// MarshalJSON writes the string or the {"type":"function",...} object.
func (t ToolChoice) MarshalJSON() ([]byte, error) {
	if t.Function != "" {
		type named struct {
			Name string `json:"name"`
		}
		return json.Marshal(struct {
			Type     string `json:"type"`
			Function named  `json:"function"`
		}{"function", named{t.Function}})
	}
	return json.Marshal(t.Mode)
}

// UnmarshalJSON reads either form.
func (t *ToolChoice) UnmarshalJSON(b []byte) error {
	*t = ToolChoice{}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	isMode, err := jsonform.StringOr(b, &t.Mode, &obj)
	switch {
	case err != nil:
		return fmt.Errorf("tool_choice must be a string or an object: %w", err)
	case isMode:
		return nil
	case obj.Function.Name == "":
		return errors.New("tool_choice object needs function.name")
	}
	t.Function = obj.Function.Name
	return nil
}

// chatRequestFields are the JSON names ChatRequest declares.
var chatRequestFields = jsonNames(reflect.TypeFor[ChatRequest]())

func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		tag := t.Field(i).Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name != "" && name != "-" {
			out[name] = true
		}
	}
	return out
}

type chatRequestAlias ChatRequest

// UnmarshalJSON decodes the named members and keeps the others in Extra.
func (r *ChatRequest) UnmarshalJSON(b []byte) error {
	var a chatRequestAlias
	if err := json.Unmarshal(b, &a); err != nil {
		return err
	}
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	for k := range all {
		if chatRequestFields[k] {
			delete(all, k)
		}
	}
	*r = ChatRequest(a)
	if len(all) > 0 {
		r.Extra = all
	}
	return nil
}

// MarshalJSON encodes the named members, then the Extra ones.
func (r ChatRequest) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(chatRequestAlias(r))
	if err != nil || len(r.Extra) == 0 {
		return b, err
	}
	extra, err := json.Marshal(r.Extra) // sorted keys: stable output
	if err != nil {
		return nil, err
	}
	for k := range r.Extra {
		if chatRequestFields[k] {
			return nil, fmt.Errorf("extra member %q shadows a named field", k)
		}
	}
	if len(extra) <= 2 {
		return b, nil
	}
	out := make([]byte, 0, len(b)+len(extra))
	out = append(out, b[:len(b)-1]...)
	out = append(out, ',')
	out = append(out, extra[1:]...)
	return out, nil
}
