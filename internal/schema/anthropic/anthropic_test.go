package anthropic

import (
	"encoding/json"
	"testing"
)

func TestContentAndSystemAcceptStrings(t *testing.T) {
	var m Message
	if err := json.Unmarshal([]byte(`{"role":"user","content":"hi"}`), &m); err != nil || len(m.Content) != 1 || m.Content[0].Text != "hi" {
		t.Fatalf("%+v %v", m, err)
	}
	var s System
	if err := json.Unmarshal([]byte(`[{"type":"text","text":"a"},{"type":"text","text":"b"}]`), &s); err != nil || len(s) != 2 {
		t.Fatalf("%+v %v", s, err)
	}
	if err := json.Unmarshal([]byte(`7`), &s); err == nil {
		t.Error("a number is not a system prompt")
	}
}

// TestBlockShapes: each block type writes exactly its wire members.
func TestBlockShapes(t *testing.T) {
	result := Content{{Type: BlockText, Text: "r"}}
	cases := map[string]struct {
		b    ContentBlock
		want string
	}{
		"empty text":        {ContentBlock{Type: BlockText}, `{"type":"text","text":""}`},
		"tool use no input": {ContentBlock{Type: BlockToolUse, ID: "t1", Name: "f"}, `{"type":"tool_use","id":"t1","name":"f","input":{}}`},
		"tool result":       {ContentBlock{Type: BlockToolResult, ToolUseID: "t1", Content: &result, IsError: true}, `{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"r"}],"is_error":true}`},
		"thinking":          {ContentBlock{Type: BlockThinking, Thinking: "x"}, `{"type":"thinking","thinking":"x","signature":""}`},
		"image":             {ContentBlock{Type: BlockImage, Source: &Source{Type: "url", URL: "https://x"}}, `{"type":"image","source":{"type":"url","url":"https://x"}}`},
		"cache control":     {ContentBlock{Type: BlockText, Text: "a", CacheControl: json.RawMessage(`{"type":"ephemeral"}`)}, `{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}`},
	}
	for name, c := range cases {
		got, err := json.Marshal(c.b)
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s (%v), want %s", name, got, err, c.want)
		}
	}
	if TextOf([]ContentBlock{{Type: BlockText, Text: "a"}, {Type: BlockImage}, {Type: BlockText, Text: "b"}}) != "ab" {
		t.Error("TextOf")
	}
}
