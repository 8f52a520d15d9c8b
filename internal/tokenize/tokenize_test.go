package tokenize

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/png"
	"testing"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// TestCountKnownValues: counts that tiktoken (OpenAI's reference
// implementation) gives for the same text.
func TestCountKnownValues(t *testing.T) {
	cases := []struct {
		encoding, text string
		want           int
	}{
		{Cl100k, "hello world", 2},
		{O200k, "hello world", 2},
		{Cl100k, "tiktoken is great!", 6},
		{Cl100k, "", 0},
	}
	for _, c := range cases {
		got, err := Count(c.encoding, c.text)
		if err != nil || got != c.want {
			t.Errorf("Count(%s, %q) = %d %v, want %d", c.encoding, c.text, got, err, c.want)
		}
	}
	// The ids of OpenAI's cookbook example, so the vocabulary is the real one.
	c, err := codec(Cl100k)
	if err != nil {
		t.Fatal(err)
	}
	ids, _, err := c.Encode("tiktoken is great!")
	if want := []uint{83, 1609, 5963, 374, 2294, 0}; err != nil || len(ids) != len(want) || ids[0] != want[0] || ids[2] != want[2] || ids[4] != want[4] {
		t.Errorf("cl100k ids %v %v, want %v", ids, err, want)
	}
	if _, err := Count("nope_base", "x"); err == nil {
		t.Error("an unknown encoding is an error")
	}
}

func TestForModel(t *testing.T) {
	cases := map[string]Family{
		"gpt-4o-mini":              {O200k, true},
		"openai/gpt-5":             {O200k, true},
		"o3-mini":                  {O200k, true},
		"gpt-4-turbo":              {Cl100k, true},
		"text-embedding-3-small":   {Cl100k, true},
		"claude-sonnet-4-5":        {Cl100k, false},
		"anthropic.claude-3-haiku": {Cl100k, false},
		"models/gemini-2.0-flash":  {O200k, false},
		"mock-small":               {O200k, false},
	}
	for model, want := range cases {
		if got := ForModel(model); got != want {
			t.Errorf("ForModel(%q) = %+v, want %+v", model, got, want)
		}
	}
}

func TestMessages(t *testing.T) {
	sys := ant.System{{Type: ant.BlockText, Text: "hello world"}}
	req := &ant.MessagesRequest{Model: "m", System: &sys, Messages: []ant.Message{
		{Role: ant.RoleUser, Content: ant.Content{{Type: ant.BlockText, Text: "hello world"}}},
	}}
	got, err := Messages(req, Family{Encoding: Cl100k})
	// 2 (system) + 3 + 2 (message) + 3 (priming)
	if err != nil || got != 10 {
		t.Fatalf("Messages = %d %v, want 10", got, err)
	}
	req.Tools = []ant.Tool{{Name: "get", InputSchema: json.RawMessage(`{"type":"object"}`)}}
	withTools, err := Messages(req, Family{Encoding: Cl100k})
	schema, _ := Count(Cl100k, `{"type":"object"}`)
	name, _ := Count(Cl100k, "get")
	if err != nil || withTools != got+toolsPrompt+perTool+name+schema {
		t.Errorf("with a tool: %d %v", withTools, err)
	}
	// A 30x25 PNG costs 30*25/750 = 1 token; an unreadable image the most.
	img := image.NewRGBA(image.Rect(0, 0, 30, 25))
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if n := imageTokens(&ant.Source{Type: "base64", MediaType: "image/png", Data: base64.StdEncoding.EncodeToString(buf.Bytes())}); n != 1 {
		t.Errorf("png tokens %d", n)
	}
	if n := imageTokens(&ant.Source{Type: "url", URL: "https://x"}); n != maxImage {
		t.Errorf("url image tokens %d", n)
	}
	pdf := base64.StdEncoding.EncodeToString([]byte("<< /Type /Pages /Kids [1 0 R 2 0 R] >> << /Type /Page >> << /Type/Page >>"))
	if n := pdfPages(pdf); n != 2 {
		t.Errorf("pdf pages %d", n)
	}
}
