package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	tr "github.com/tollgate-dev/tollgate/internal/translate/responses"
)

func responsesClient(base string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{option.WithBaseURL(base), option.WithAPIKey("k"),
		option.WithMaxRetries(0), option.WithRequestTimeout(10 * time.Second)}, opts...)...)
}

// TestResponsesSDK: the official SDK reads the mock's answers, streams
// and errors, and previous_response_id continues only ids it issued.
func TestResponsesSDK(t *testing.T) {
	s := New(t)
	ctx := context.Background()
	c := responsesClient(s.URL + "/v1")
	resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hello mock upstream")}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() != "hello mock upstream" || resp.Status != "completed" || resp.Usage.InputTokens != 10 ||
		resp.Usage.OutputTokens != 3 {
		t.Errorf("response %q %s %+v", resp.OutputText(), resp.Status, resp.Usage)
	}
	next, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model", PreviousResponseID: openai.String(resp.ID),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("again")}})
	if err != nil || next.PreviousResponseID != resp.ID {
		t.Fatalf("continuation: %v %+v", err, next)
	}
	_, err = c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model", PreviousResponseID: openai.String("resp_elsewhere"),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "previous_response_not_found" || apiErr.Param != "previous_response_id" {
		t.Errorf("unknown previous response: %v", err)
	}
	got, err := c.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{})
	if err != nil || got.ID != resp.ID || got.OutputText() != resp.OutputText() {
		t.Errorf("get: %v %+v", err, got)
	}
	if err := c.Responses.Delete(ctx, resp.ID); err != nil {
		t.Errorf("delete: %v", err)
	}
	if _, err := c.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{}); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Errorf("get after delete: %v", err)
	}
	unstored, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model", Store: openai.Bool(false),
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}})
	if err != nil || !strings.Contains(unstored.RawJSON(), `"store":false`) {
		t.Fatalf("store false: %v", err)
	}
	if _, err := c.Responses.Get(ctx, unstored.ID, responses.ResponseGetParams{}); err == nil {
		t.Error("a store:false response was kept")
	}

	// Tools: the first function is called until a result comes back.
	tools := []responses.ToolUnionParam{responses.ToolParamOfFunction("get_weather", map[string]any{"type": "object"}, false)}
	call, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model", Tools: tools,
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("weather?")}})
	if err != nil {
		t.Fatal(err)
	}
	fc := call.Output[0].AsFunctionCall()
	if fc.Name != "get_weather" || fc.Arguments != `{"city":"Paris"}` || fc.CallID == "" {
		t.Fatalf("function call %+v", fc)
	}
	p := fc.ToParam()
	done, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model", Tools: tools,
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			{OfMessage: &responses.EasyInputMessageParam{Role: "user", Content: responses.EasyInputMessageContentUnionParam{OfString: openai.String("weather?")}}},
			{OfFunctionCall: &p},
			{OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{CallID: openai.String(fc.CallID),
				Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: openai.String("sunny")}}},
		}}})
	if err != nil || done.Output[0].Type != "message" {
		t.Fatalf("after the tool result: %v %+v", err, done)
	}

	// Fault headers.
	_, err = c.Responses.New(ctx, responses.ResponseNewParams{Model: "up-model",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("x")}}, option.WithHeader("x-mock-status", "503"))
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 {
		t.Errorf("x-mock-status: %v", err)
	}
}

func TestResponsesStream(t *testing.T) {
	s := New(t)
	c := responsesClient(s.URL + "/v1")
	for _, tc := range []struct {
		name  string
		tools bool
	}{{"text", false}, {"function call", true}} {
		t.Run(tc.name, func(t *testing.T) {
			params := responses.ResponseNewParams{Model: "up-model",
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("one two three")}}
			if tc.tools {
				params.Tools = []responses.ToolUnionParam{responses.ToolParamOfFunction("f", map[string]any{"type": "object"}, false)}
			}
			st := c.Responses.NewStreaming(context.Background(), params)
			var deltas strings.Builder
			var last responses.ResponseStreamEventUnion
			seq := int64(0)
			for st.Next() {
				ev := st.Current()
				if ev.SequenceNumber != seq {
					t.Errorf("%s has sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
				}
				seq++
				if ev.Type == "response.output_text.delta" || ev.Type == "response.function_call_arguments.delta" {
					deltas.WriteString(ev.Delta)
				}
				last = ev
			}
			if err := st.Err(); err != nil {
				t.Fatal(err)
			}
			if last.Type != "response.completed" {
				t.Fatalf("last event %s", last.Type)
			}
			want := last.Response.OutputText()
			if tc.tools {
				want = last.Response.Output[0].AsFunctionCall().Arguments
			}
			if deltas.String() != want {
				t.Errorf("deltas %q, final %q", deltas.String(), want)
			}
		})
	}
}

// TestResponsesStreamGrammar checks the raw event sequence, with and
// without faults.
func TestResponsesStreamGrammar(t *testing.T) {
	s := New(t)
	for _, h := range []map[string]string{
		{}, {"x-mock-chunks": "5"}, {"x-mock-error-frame": "2"}, {"x-mock-error-frame": "first"}, {"x-mock-no-usage": "1"},
	} {
		body := `{"model":"up-model","stream":true,"input":"a b c"}`
		req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/responses", strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if err := tr.CheckEvents(b); err != nil {
			t.Errorf("headers %v: %v\n%s", h, err, b)
		}
		if h["x-mock-error-frame"] != "" && !strings.Contains(string(b), "event: error\n") {
			t.Errorf("headers %v: no error event", h)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/responses", strings.NewReader(`{"model":"m","stream":true,"input":"a b c d"}`))
	req.Header.Set("x-mock-drop-after", "2")
	res, err := http.DefaultClient.Do(req)
	if err == nil {
		b, _ := io.ReadAll(res.Body)
		_ = res.Body.Close()
		if strings.Contains(string(b), "response.completed") {
			t.Error("a dropped stream completed")
		}
	}
}

// TestResponsesAzure: Azure's v1 path (api-key header) and its preview
// path (api-version required).
func TestResponsesAzure(t *testing.T) {
	s := New(t)
	ctx := context.Background()
	v1 := responsesClient(s.URL+"/openai/v1", option.WithHeader("api-key", "k"))
	resp, err := v1.Responses.New(ctx, responses.ResponseNewParams{Model: "my-deployment",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi azure")}})
	if err != nil || resp.OutputText() != "hi azure" || resp.Model != "my-deployment" {
		t.Fatalf("v1: %v %+v", err, resp)
	}
	// What openai-go's azure.WithEndpoint sends for /responses (no
	// deployment in the path): /openai/responses?api-version=.
	preview := responsesClient(s.URL+"/openai", option.WithQuery("api-version", "2025-04-01-preview"), option.WithHeader("api-key", "k"),
		option.WithHeaderDel("authorization"))
	if _, err := preview.Responses.New(ctx, responses.ResponseNewParams{Model: "my-deployment",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}}); err != nil {
		t.Errorf("preview path: %v", err)
	}
	last, _ := s.Last()
	if last.Path != "/openai/responses" || !strings.Contains(last.Query, "api-version=2025-04-01-preview") {
		t.Errorf("preview request went to %s?%s", last.Path, last.Query)
	}
	noKey := responsesClient(s.URL + "/openai/v1")
	var apiErr *openai.Error
	if _, err := noKey.Responses.New(ctx, responses.ResponseNewParams{Model: "d",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}}); !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Errorf("without api-key: %v", err)
	}
}
