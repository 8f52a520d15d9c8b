package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answer is the fixed Answer of the golden files.
func answer(t *testing.T, request string) Answer {
	t.Helper()
	in, err := Decode([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	return Answer{ID: "resp_test1", Model: "gpt-public", CreatedAt: 1700000000, Request: in, Store: in.StoreWanted(),
		Clock: func() int64 { return 1700000003 }}
}

const (
	goldenRequest  = `{"model":"gpt-public","input":"hi","include":["reasoning.encrypted_content"],"max_output_tokens":100,"tools":[{"type":"function","name":"shell","parameters":{"type":"object"}}]}`
	streamRequest  = `{"model":"gpt-public","input":"hi","stream":true,"store":false,"instructions":"Be terse."}`
	priorRequestID = "resp_prior"
)

func TestRequestGolden(t *testing.T) {
	providertest.RequestGolden(t, func(body []byte) (any, error) {
		out, req, err := Request(body, nil)
		if err == nil && req.Model == "" {
			err = errors.New("decoded request has no model")
		}
		return json.RawMessage(out), err
	})
}

// TestRequestPrior replays a stored conversation before the input, after
// the instructions (which are never stored).
func TestRequestPrior(t *testing.T) {
	prior := []rs.Item{
		{Type: rs.ItemMessage, Role: rs.RoleUser, Content: rs.TextContent("first")},
		{Type: rs.ItemMessage, Role: rs.RoleAssistant, Content: &rs.Content{Parts: []rs.Part{{Type: rs.PartOutputText, Text: "one"}}}},
	}
	out, _, err := Request([]byte(`{"model":"m","instructions":"sys","previous_response_id":"`+priorRequestID+`","input":"second"}`), prior)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"system:sys", "user:first", "assistant:one", "user:second"}
	if len(got.Messages) != len(want) {
		t.Fatalf("messages %+v, want %v", got.Messages, want)
	}
	for i, m := range got.Messages {
		if m.Role+":"+m.Content != want[i] {
			t.Errorf("message %d is %s:%s, want %s", i, m.Role, m.Content, want[i])
		}
	}
}

// TestRequestInvalid: what the chat form cannot carry gets a
// RequestError naming the field.
func TestRequestInvalid(t *testing.T) {
	var list []struct {
		Name  string          `json:"name"`
		Body  json.RawMessage `json:"body"`
		Param string          `json:"param"`
	}
	if err := json.Unmarshal(read(t, "testdata/invalid/cases.json"), &list); err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		t.Run(c.Name, func(t *testing.T) {
			_, _, err := Request(c.Body, nil)
			var re *RequestError
			if !errors.As(err, &re) {
				t.Fatalf("want *RequestError, got %v", err)
			}
			if re.Param != c.Param {
				t.Errorf("param %q, want %q (%s)", re.Param, c.Param, re.Message)
			}
			if c.Param != "" && !strings.HasPrefix(re.Message, c.Param+": ") {
				t.Errorf("message %q does not name %s", re.Message, c.Param)
			}
		})
	}
}

func TestResponseGolden(t *testing.T) {
	providertest.EachInput(t, "response", ".json", func(t *testing.T, in string, body []byte) {
		r, err := Response(body, answer(t, goldenRequest))
		if err != nil {
			t.Fatal(err)
		}
		out, err := Encode(r, answer(t, goldenRequest).Request)
		if err != nil {
			t.Fatal(err)
		}
		providertest.Golden(t, providertest.GoldenName(in, ".json")+".json", providertest.Indent(t, out))
	})
}

// TestForClientStripsEncrypted: encrypted reasoning reaches the client
// only when it asked for it; the stored response keeps it.
func TestForClientStripsEncrypted(t *testing.T) {
	body := read(t, "testdata/response/tool_calls_reasoning.json")
	a := answer(t, `{"model":"m","input":"x"}`)
	r, err := Response(body, a)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Encode(r, a.Request)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(out, []byte("sig-abc")) {
		t.Errorf("encrypted content sent without include: %s", out)
	}
	if r.Output[0].EncryptedContent == nil || *r.Output[0].EncryptedContent != "sig-abc" {
		t.Errorf("stored response lost the encrypted content: %+v", r.Output[0])
	}
}

func TestStreamGolden(t *testing.T) {
	providertest.EachInput(t, "stream", ".jsonl", func(t *testing.T, in string, script []byte) {
		s := NewStream(answer(t, streamRequest))
		out := providertest.RunScript(t, s, script)
		if !s.Done() {
			t.Error("stream not done at the end of the script")
		}
		if err := CheckEvents(out); err != nil {
			t.Error(err)
		}
		providertest.Golden(t, providertest.GoldenName(in, ".jsonl")+".sse", out)
	})
}

// TestStreamMatchesResponse: the response a stream completes with is the
// one the same answer gets whole.
func TestStreamMatchesResponse(t *testing.T) {
	s := NewStream(answer(t, goldenRequest))
	providertest.RunScript(t, s, read(t, "testdata/stream/reasoning_tools.jsonl"))
	whole := `{"id":"c2","object":"chat.completion","created":1,"model":"up","choices":[{"index":0,"message":{"role":"assistant",` +
		`"content":"Calling.","reasoning_content":"Thinking.","reasoning_encrypted_content":"sig-1","tool_calls":[` +
		`{"id":"call_1","type":"function","function":{"name":"shell","arguments":"{\"cmd\":\"ls\"}"}},` +
		`{"id":"call_2","type":"function","function":{"name":"read","arguments":"{}"}}]},"finish_reason":"tool_calls"}],` +
		`"usage":{"prompt_tokens":30,"completion_tokens":9,"total_tokens":39,"completion_tokens_details":{"reasoning_tokens":2}}}`
	r, err := Response([]byte(whole), answer(t, goldenRequest))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(s.Result())
	want, _ := json.Marshal(r)
	if !bytes.Equal(got, want) {
		t.Errorf("streamed response\n%s\nwhole response\n%s", got, want)
	}
}

func TestStreamResultNilOnFailure(t *testing.T) {
	s := NewStream(answer(t, streamRequest))
	providertest.RunScript(t, s, read(t, "testdata/stream/error_midway.jsonl"))
	if s.Result() != nil {
		t.Error("a failed stream has a result to store")
	}
	if out := s.Finish(); out != nil {
		t.Errorf("Finish after the end wrote %s", out)
	}
}

func TestConversation(t *testing.T) {
	a := answer(t, `{"model":"m","input":"again"}`)
	r, err := Response(read(t, "testdata/response/text.json"), a)
	if err != nil {
		t.Fatal(err)
	}
	prior := []rs.Item{{Type: rs.ItemMessage, Role: rs.RoleUser, Content: rs.TextContent("hi")}}
	conv := Conversation(prior, a.Request, r)
	if len(conv) != 3 || conv[1].Role != rs.RoleUser || conv[1].Content.Text != "again" || conv[2].ID != "msg_test1" {
		t.Errorf("conversation %+v", conv)
	}
	// The conversation is valid input for the next turn.
	if _, err := ToChat(&rs.Request{Model: "m", Input: &rs.Input{Items: conv}}, nil); err != nil {
		t.Errorf("stored conversation does not translate: %v", err)
	}
}
