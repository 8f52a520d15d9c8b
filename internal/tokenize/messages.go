package tokenize

import (
	"bytes"
	"encoding/base64"
	"image"
	_ "image/gif" // image sizes for image blocks
	_ "image/jpeg"
	_ "image/png"
	"regexp"
	"strings"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// Overheads of the estimate, after OpenAI's chat format (a few tokens per
// message and to prime the answer) and Anthropic's published figures (the
// system prompt tool use adds, and image tokens of width*height/750 up to
// about 1,600 for an image at the size Anthropic scales to).
const (
	perMessage     = 3
	priming        = 3
	toolsPrompt    = 346 // tool_choice auto or none
	toolsPromptAny = 313 // tool_choice any or tool
	perTool        = 8
	maxImage       = 1600
	perPDFPage     = 2000
)

// Messages estimates the input tokens of a Messages request (system,
// messages and tools) in a family's vocabulary.
func Messages(req *ant.MessagesRequest, f Family) (int, error) {
	c := counter{enc: f.Encoding}
	if req.System != nil {
		c.blocks(*req.System)
	}
	for _, m := range req.Messages {
		c.n += perMessage
		c.blocks(m.Content)
	}
	if len(req.Tools) > 0 {
		if tc := req.ToolChoice; tc != nil && (tc.Type == ant.ToolChoiceAny || tc.Type == ant.ToolChoiceTool) {
			c.n += toolsPromptAny
		} else {
			c.n += toolsPrompt
		}
	}
	for _, t := range req.Tools {
		c.n += perTool
		c.text(t.Name)
		c.text(t.Description)
		c.text(string(t.InputSchema))
	}
	c.n += priming
	return c.n, c.err
}

type counter struct {
	enc string
	n   int
	err error
}

func (c *counter) text(s string) {
	if c.err != nil || s == "" {
		return
	}
	k, err := Count(c.enc, s)
	c.n += k
	c.err = err
}

func (c *counter) blocks(bs []ant.ContentBlock) {
	for _, b := range bs {
		switch b.Type {
		case ant.BlockText:
			c.text(b.Text)
		case ant.BlockThinking:
			c.text(b.Thinking)
		case ant.BlockToolUse:
			c.text(b.Name)
			c.text(string(b.Input))
		case ant.BlockToolResult:
			if b.Content != nil {
				c.blocks(*b.Content)
			}
		case ant.BlockToolReference:
			c.text(b.ToolName)
		case ant.BlockImage:
			c.n += imageTokens(b.Source)
		case ant.BlockDocument:
			c.text(b.Title)
			c.text(b.Context)
			c.document(b.Source)
		}
	}
}

func (c *counter) document(src *ant.Source) {
	switch {
	case src == nil:
	case src.Type == "text":
		c.text(src.Data)
	case src.Type == "content" && src.Content != nil:
		c.blocks(*src.Content)
	case src.Type == "base64":
		c.n += perPDFPage * pdfPages(src.Data)
	default:
		c.n += perPDFPage
	}
}

// imageTokens is Anthropic's width*height/750 for an inline image whose
// size can be read, else the most an image costs.
func imageTokens(src *ant.Source) int {
	if src == nil || src.Type != "base64" {
		return maxImage
	}
	b, err := base64.StdEncoding.DecodeString(src.Data)
	if err != nil {
		return maxImage
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return maxImage
	}
	return min(max(cfg.Width*cfg.Height/750, 1), maxImage)
}

var pdfPage = regexp.MustCompile(`/Type\s*/Page[^s]`)

// pdfPages counts the page objects of a base64 PDF (at least one).
func pdfPages(data string) int {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(data))
	if err != nil {
		return 1
	}
	return max(len(pdfPage.FindAllIndex(b, -1)), 1)
}
