package responses

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// sdkServer answers POST /v1/responses with this package's output for a
// canonical answer file, after translating the SDK's request (which must
// translate), and keeps the chat requests it made.
type sdkServer struct {
	t      *testing.T
	answer string // testdata file: .json whole, .jsonl stream script
	mu     sync.Mutex
	chats  []*oa.ChatRequest
}

func (s *sdkServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	in, err := Decode(body)
	if err == nil {
		var chat *oa.ChatRequest
		if chat, err = ToChat(in, nil); err == nil {
			s.mu.Lock()
			s.chats = append(s.chats, chat)
			s.mu.Unlock()
		}
	}
	if err != nil {
		s.t.Errorf("SDK request %s does not translate: %v", body, err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a := Answer{ID: NewID(), Model: in.Model, CreatedAt: time.Now().Unix(), Request: in, Store: in.StoreWanted()}
	if strings.HasSuffix(s.answer, ".jsonl") {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = w.Write(providertest.RunScript(s.t, NewStream(a), read(s.t, s.answer)))
		return
	}
	resp, err := Response(read(s.t, s.answer), a)
	if err != nil {
		s.t.Fatal(err)
	}
	out, err := Encode(resp, in)
	if err != nil {
		s.t.Fatal(err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

func sdkClient(t *testing.T, answer string) (openai.Client, *sdkServer) {
	t.Helper()
	srv := &sdkServer{t: t, answer: answer}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return openai.NewClient(option.WithBaseURL(ts.URL+"/v1"), option.WithAPIKey("k"), option.WithMaxRetries(0),
		option.WithRequestTimeout(10*time.Second)), srv
}

// TestSDKResponse: openai-go reads a translated answer, and its own
// replay of the output (ToParam) translates back to the same chat turn.
func TestSDKResponse(t *testing.T) {
	c, srv := sdkClient(t, "testdata/response/tool_calls_reasoning.json")
	ctx := context.Background()
	params := responses.ResponseNewParams{
		Model:        "gpt-public",
		Instructions: openai.String("Be terse."),
		Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("list files")},
		Include:      []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent},
		Tools: []responses.ToolUnionParam{responses.ToolParamOfFunction("shell",
			map[string]any{"type": "object", "properties": map[string]any{"cmd": map[string]any{"type": "string"}}}, true)},
		MaxOutputTokens: openai.Int(100),
	}
	resp, err := c.Responses.New(ctx, params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(resp.ID, "resp_") || resp.Status != responses.ResponseStatusCompleted || resp.Model != "gpt-public" {
		t.Errorf("response %s %s %s", resp.ID, resp.Status, resp.Model)
	}
	if got := resp.OutputText(); got != "Running it." {
		t.Errorf("OutputText %q", got)
	}
	if len(resp.Output) != 4 {
		t.Fatalf("output has %d items", len(resp.Output))
	}
	rsn := resp.Output[0].AsReasoning()
	if rsn.EncryptedContent != "sig-abc" || len(rsn.Content) != 1 || rsn.Content[0].Text != "Need to run ls." {
		t.Errorf("reasoning %+v", rsn)
	}
	call := resp.Output[2].AsFunctionCall()
	if call.CallID != "call_1" || call.Name != "shell" || call.Arguments != `{"cmd":"ls"}` || call.Status != "completed" {
		t.Errorf("function call %+v", call)
	}
	u := resp.Usage
	if u.InputTokens != 50 || u.OutputTokens != 20 || u.TotalTokens != 70 || u.OutputTokensDetails.ReasoningTokens != 8 ||
		u.InputTokensDetails.CachedTokens != 0 || u.InputTokensDetails.CacheWriteTokens != 10 {
		t.Errorf("usage %+v", u)
	}

	// The next turn replays the output items, as SDK users do.
	var items responses.ResponseInputParam
	items = append(items, responses.ResponseInputItemUnionParam{OfMessage: &responses.EasyInputMessageParam{
		Role: responses.EasyInputMessageRoleUser, Content: responses.EasyInputMessageContentUnionParam{OfString: openai.String("list files")}}})
	for _, it := range resp.Output {
		switch it.Type {
		case "reasoning":
			p := it.AsReasoning().ToParam()
			items = append(items, responses.ResponseInputItemUnionParam{OfReasoning: &p})
		case "message":
			p := it.AsMessage().ToParam()
			items = append(items, responses.ResponseInputItemUnionParam{OfOutputMessage: &p})
		case "function_call":
			p := it.AsFunctionCall().ToParam()
			items = append(items, responses.ResponseInputItemUnionParam{OfFunctionCall: &p})
		}
	}
	items = append(items,
		responses.ResponseInputItemUnionParam{OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{
			CallID: openai.String("call_1"), Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: openai.String("a.txt")}}},
		responses.ResponseInputItemUnionParam{OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{
			CallID: openai.String("call_2"), Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: openai.String("/tmp")}}})
	params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: items}
	if _, err := c.Responses.New(ctx, params); err != nil {
		t.Fatal(err)
	}
	chat := srv.chats[1]
	if len(chat.Messages) != 5 {
		t.Fatalf("second turn has %d chat messages: %+v", len(chat.Messages), chat.Messages)
	}
	asst := chat.Messages[2]
	if asst.Role != oa.RoleAssistant || asst.Content.String() != "Running it." || asst.ReasoningContent != "Need to run ls." ||
		asst.ReasoningEncryptedContent != "sig-abc" || len(asst.ToolCalls) != 2 || asst.ToolCalls[1].ID != "call_2" {
		t.Errorf("replayed assistant turn %+v", asst)
	}
	if m := chat.Messages[4]; m.Role != oa.RoleTool || m.ToolCallID != "call_2" || m.Content.String() != "/tmp" {
		t.Errorf("tool result %+v", m)
	}
}

// TestSDKStream: openai-go reads every event of a translated stream.
func TestSDKStream(t *testing.T) {
	for _, script := range []string{"testdata/stream/reasoning_tools.jsonl", "testdata/stream/text.jsonl", "testdata/stream/error_midway.jsonl"} {
		t.Run(script, func(t *testing.T) {
			c, _ := sdkClient(t, script)
			s := c.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{Model: "gpt-public",
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("go")}})
			var seq int64
			var text, args strings.Builder
			var last responses.ResponseStreamEventUnion
			for s.Next() {
				ev := s.Current()
				if ev.SequenceNumber != seq {
					t.Errorf("event %s has sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
				}
				seq++
				switch e := ev.AsAny().(type) {
				case responses.ResponseTextDeltaEvent:
					text.WriteString(e.Delta)
				case responses.ResponseFunctionCallArgumentsDeltaEvent:
					args.WriteString(e.Delta)
				case responses.ResponseOutputItemDoneEvent:
					if e.Item.ID == "" {
						t.Errorf("item done without id: %s", e.RawJSON())
					}
				}
				last = ev
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			final := last.Response
			switch last.Type {
			case "response.completed":
				if final.OutputText() != text.String() || final.Status != responses.ResponseStatusCompleted {
					t.Errorf("completed output %q, deltas %q", final.OutputText(), text.String())
				}
				var fin strings.Builder
				for _, it := range final.Output {
					if it.Type == "function_call" {
						fin.WriteString(it.AsFunctionCall().Arguments)
					}
				}
				if len(fin.String()) != len(args.String()) {
					t.Errorf("final arguments %q, deltas %q", fin.String(), args.String())
				}
			case "response.failed":
				if final.Error.Code != "server_error" || final.Error.Message == "" || final.Status != "failed" {
					t.Errorf("failed response %+v", final.Error)
				}
			default:
				t.Errorf("stream ended with %s", last.Type)
			}
		})
	}
}
