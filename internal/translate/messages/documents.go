package messages

import (
	"encoding/json"
	"fmt"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// documentParts is a document block as chat content: a base64 PDF becomes
// a file part (OpenAI's {"type":"file","file":{"filename","file_data"}}),
// a text or content source its text and images. Title and context, which
// Anthropic shows the model with the document, open it as text. URL and
// Files API sources and citations need an Anthropic backend.
func documentParts(b ant.ContentBlock) ([]oa.ContentPart, error) {
	if c := b.Citations; len(c) > 0 && string(c) != "null" {
		var cit struct {
			Enabled bool `json:"enabled"`
		}
		if err := json.Unmarshal(c, &cit); err != nil {
			return nil, fmt.Errorf("document citations: %w", err)
		}
		if cit.Enabled {
			return nil, fmt.Errorf("document citations are only available from an Anthropic backend")
		}
	}
	src := b.Source
	if src == nil {
		return nil, fmt.Errorf("document block needs a source")
	}
	var out []oa.ContentPart
	if head := documentHead(b); head != "" {
		out = append(out, oa.ContentPart{Type: oa.PartText, Text: head})
	}
	switch src.Type {
	case "base64":
		if src.MediaType != "application/pdf" || src.Data == "" {
			return nil, fmt.Errorf("a base64 document source must be application/pdf with data")
		}
		name := b.Title
		if name == "" {
			name = "document.pdf"
		}
		file, err := json.Marshal(struct {
			Filename string `json:"filename"`
			FileData string `json:"file_data"`
		}{name, "data:application/pdf;base64," + src.Data})
		if err != nil {
			return nil, fmt.Errorf("encoding document: %w", err)
		}
		return append(out, oa.ContentPart{Type: oa.PartFile, File: file}), nil
	case "text":
		return append(out, oa.ContentPart{Type: oa.PartText, Text: src.Data}), nil
	case "content":
		if src.Content == nil {
			return nil, fmt.Errorf("a content document source needs content")
		}
		for k, c := range *src.Content {
			if c.Type != ant.BlockText && c.Type != ant.BlockImage {
				return nil, fmt.Errorf("source.content.%d: block type %q is not allowed in a document", k, c.Type)
			}
			p, err := userPart(c)
			if err != nil {
				return nil, fmt.Errorf("source.content.%d: %w", k, err)
			}
			out = append(out, p...)
		}
		return out, nil
	case "url", "file":
		return nil, fmt.Errorf("document blocks with a %s source need an Anthropic backend; send the document as base64 or text", src.Type)
	default:
		return nil, fmt.Errorf("document source type %q is not supported", src.Type)
	}
}

func documentHead(b ant.ContentBlock) string {
	switch {
	case b.Title != "" && b.Context != "":
		return "Document: " + b.Title + "\n" + b.Context
	case b.Title != "":
		return "Document: " + b.Title
	default:
		return b.Context
	}
}
