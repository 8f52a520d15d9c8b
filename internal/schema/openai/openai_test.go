package openai

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestContentJSON(t *testing.T) {
	cases := map[string]struct {
		in   string
		want Content
		out  string
	}{
		"string":      {`"hi"`, Content{Text: "hi"}, `"hi"`},
		"null":        {`null`, Content{}, `null`},
		"empty parts": {`[]`, Content{Parts: []ContentPart{}}, `[]`},
		"parts": {`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]`,
			Content{Parts: []ContentPart{{Type: "text", Text: "a"}, {Type: "image_url", ImageURL: &ImageURL{URL: "https://x/y.png", Detail: "low"}}}},
			`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			var got Content
			if err := json.Unmarshal([]byte(c.in), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("decoded %+v, want %+v", got, c.want)
			}
			out, err := json.Marshal(got)
			if err != nil || string(out) != c.out {
				t.Errorf("encoded %s (%v), want %s", out, err, c.out)
			}
		})
	}
	var bad Content
	if err := json.Unmarshal([]byte(`42`), &bad); err == nil {
		t.Error("a number is not content")
	}
	if s := (Content{Parts: []ContentPart{{Type: "text", Text: "a"}, {Type: "image_url"}, {Type: "text", Text: "b"}}}).String(); s != "ab" {
		t.Errorf("String() = %q", s)
	}
}

func TestStopAndToolChoice(t *testing.T) {
	var s Stop
	for in, want := range map[string]Stop{`"x"`: {"x"}, `["a","b"]`: {"a", "b"}, `null`: nil} {
		if err := json.Unmarshal([]byte(in), &s); err != nil || !reflect.DeepEqual(s, want) {
			t.Errorf("stop %s → %v (%v)", in, s, err)
		}
	}
	if err := json.Unmarshal([]byte(`5`), &s); err == nil {
		t.Error("stop 5 accepted")
	}
	cases := map[string]ToolChoice{
		`"auto"`: {Mode: "auto"},
		`{"type":"function","function":{"name":"f"}}`: {Function: "f"},
	}
	for in, want := range cases {
		var tc ToolChoice
		if err := json.Unmarshal([]byte(in), &tc); err != nil || tc != want {
			t.Errorf("tool_choice %s → %+v (%v)", in, tc, err)
		}
		out, _ := json.Marshal(tc)
		if string(out) != in {
			t.Errorf("tool_choice encoded %s, want %s", out, in)
		}
	}
	var tc ToolChoice
	if err := json.Unmarshal([]byte(`{"type":"function"}`), &tc); err == nil {
		t.Error("tool_choice without a name accepted")
	}
}

func TestChatRequestKeepsUnknownMembers(t *testing.T) {
	in := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":"x","logprobs":true,"vendor_thing":{"a":1}}`
	var r ChatRequest
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Extra) != 2 || string(r.Extra["vendor_thing"]) != `{"a":1}` {
		t.Fatalf("extra %v", r.Extra)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"model":"m","messages":[{"role":"user","content":"hi"}],"stop":["x"],"logprobs":true,"vendor_thing":{"a":1}}`
	if string(out) != want {
		t.Errorf("got  %s\nwant %s", out, want)
	}
	r.Extra = map[string]json.RawMessage{"model": []byte(`"x"`)}
	if _, err := json.Marshal(r); err == nil {
		t.Error("an extra member shadowing a field must be refused")
	}
}

func TestParseDataURL(t *testing.T) {
	cases := map[string]struct {
		in string
		ok bool
		mt string
	}{
		"png":          {"data:image/png;base64,iVBORw0KGgo=", true, "image/png"},
		"upper case":   {"data:IMAGE/JPEG;BASE64,/9j/", true, "image/jpeg"},
		"not base64":   {"data:text/plain,hello", false, ""},
		"bad payload":  {"data:image/png;base64,***", false, ""},
		"https":        {"https://x/y.png", false, ""},
		"no media":     {"data:;base64,AAAA", false, ""},
		"no separator": {"data:image/png;base64", false, ""},
	}
	for name, c := range cases {
		d, ok := ParseDataURL(c.in)
		if ok != c.ok || d.MediaType != c.mt {
			t.Errorf("%s: got %+v %v", name, d, ok)
		}
	}
}

func TestNewUsage(t *testing.T) {
	u := NewUsage(100, 20, 30, 5, 7)
	if u.TotalTokens != 120 || u.CachedTokens() != 30 || u.ReasoningTokens() != 7 || u.CacheCreationInputTokens != 5 {
		t.Errorf("%+v", u)
	}
	var nilUsage *Usage
	if nilUsage.CachedTokens() != 0 || nilUsage.ReasoningTokens() != 0 {
		t.Error("nil usage")
	}
}

func TestEmbeddingInput(t *testing.T) {
	for in, want := range map[string]EmbeddingInput{`"x"`: {"x"}, `["a","b"]`: {"a", "b"}} {
		var got EmbeddingInput
		if err := json.Unmarshal([]byte(in), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("input %s → %v (%v)", in, got, err)
		}
	}
	var got EmbeddingInput
	if err := json.Unmarshal([]byte(`[[1,2]]`), &got); err == nil || err.Error() != "input must be a string or an array of strings" {
		t.Errorf("token-array input: got %v, want the refusal", err)
	}
}
