package responses

import (
	"encoding/json"
	"testing"
)

// TestRoundTrip: decoding and encoding keeps every member, named or not.
func TestRoundTrip(t *testing.T) {
	in := `{"model":"m","input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hi","x_part":1}],"x_item":true},` +
		`{"type":"function_call","call_id":"c","name":"f","arguments":""},{"type":"reasoning","id":"rs","summary":[]},` +
		`{"type":"web_search_call","id":"ws","status":"completed","action":{"type":"search"}}],` +
		`"tools":[{"type":"web_search","search_context_size":"low"}],"tool_choice":{"type":"allowed_tools","mode":"auto"},` +
		`"text":{"format":{"type":"json_schema","name":"n","schema":{}},"verbosity":"low"},"conversation":"conv_1"}`
	var r Request
	if err := json.Unmarshal([]byte(in), &r); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Extra["conversation"]; !ok || r.Input.Items[0].Extra["x_item"] == nil ||
		r.Input.Items[0].Content.Parts[0].Extra["x_part"] == nil || r.Tools[0].Extra["search_context_size"] == nil {
		t.Fatalf("unknown members lost: %+v", r)
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if ja, _ := json.Marshal(a); string(ja) != func() string { jb, _ := json.Marshal(b); return string(jb) }() {
		t.Errorf("round trip changed the request\n in %s\nout %s", ja, out)
	}
}

func TestItemShapes(t *testing.T) {
	args := ""
	cases := map[string]struct {
		item Item
		want string
	}{
		"empty message": {Item{Type: ItemMessage, ID: "m", Role: RoleAssistant}, `{"id":"m","type":"message","role":"assistant","content":[]}`},
		"call":          {Item{Type: ItemFunctionCall, CallID: "c", Name: "f", Arguments: &args}, `{"type":"function_call","call_id":"c","name":"f","arguments":""}`},
		"reasoning":     {Item{Type: ItemReasoning, ID: "r"}, `{"id":"r","type":"reasoning","summary":[]}`},
		"output":        {Item{Type: ItemFunctionCallOutput, CallID: "c"}, `{"type":"function_call_output","call_id":"c","output":""}`},
		"output text":   {Item{Type: ItemMessage, Role: RoleAssistant, Content: &Content{Parts: []Part{{Type: PartOutputText}}}}, `{"type":"message","role":"assistant","content":[{"type":"output_text","text":"","annotations":[]}]}`},
	}
	for name, c := range cases {
		b, err := json.Marshal(c.item)
		if err != nil || string(b) != c.want {
			t.Errorf("%s: %s (%v), want %s", name, b, err, c.want)
		}
	}
	var in Input
	if err := json.Unmarshal([]byte(`42`), &in); err == nil {
		t.Error("a number is not input")
	}
}
