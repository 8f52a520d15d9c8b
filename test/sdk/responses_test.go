package sdk_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// native is true for the vendors that speak the Responses API, to which
// /v1/responses is relayed natively (OpenAI, Azure OpenAI).
func native(model string) bool { return openaiFormat(model) }

func responsesText(s string) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfString: openai.String(s)}
}

var responsesWeather = responses.ToolParamOfFunction("get_weather",
	map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}, false)

// TestOpenAISDKResponsesThroughEveryVendor: openai-go's Responses client
// → proxy (/v1/responses, translated to the canonical chat form) → every
// vendor adapter → mock vendor: plain, stream, tools with the tool result
// sent back through previous_response_id, GET and DELETE.
func TestOpenAISDKResponsesThroughEveryVendor(t *testing.T) {
	g := startGateway(t)
	c := openaiClient(g)
	ctx := context.Background()
	for model := range vendorModels {
		t.Run(model, func(t *testing.T) {
			t.Run("plain", func(t *testing.T) {
				resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model, Instructions: openai.String("be brief"),
					Input: responsesText("hello gateway"), MaxOutputTokens: openai.Int(64)})
				if err != nil {
					t.Fatal(err)
				}
				if resp.OutputText() != "hello gateway" || resp.Status != responses.ResponseStatusCompleted || resp.Model != model {
					t.Errorf("response %q %s %s", resp.OutputText(), resp.Status, resp.Model)
				}
				if resp.Usage.InputTokens == 0 || resp.Usage.OutputTokens == 0 || resp.Usage.TotalTokens != resp.Usage.InputTokens+resp.Usage.OutputTokens {
					t.Errorf("usage %+v", resp.Usage)
				}
			})
			t.Run("stream", func(t *testing.T) {
				s := c.Responses.NewStreaming(ctx, responses.ResponseNewParams{Model: model, Input: responsesText("one two three")})
				var seq int64
				var text strings.Builder
				var last responses.ResponseStreamEventUnion
				for s.Next() {
					ev := s.Current()
					if ev.SequenceNumber != seq {
						t.Errorf("event %s has sequence_number %d, want %d", ev.Type, ev.SequenceNumber, seq)
					}
					seq++
					if d, ok := ev.AsAny().(responses.ResponseTextDeltaEvent); ok {
						text.WriteString(d.Delta)
					}
					last = ev
				}
				if err := s.Err(); err != nil {
					t.Fatal(err)
				}
				if last.Type != "response.completed" || last.Response.OutputText() != text.String() || text.String() != "one two three" {
					t.Fatalf("last event %s, text %q, deltas %q", last.Type, last.Response.OutputText(), text.String())
				}
				if last.Response.Usage.OutputTokens == 0 {
					t.Errorf("streamed usage %+v", last.Response.Usage)
				}
				got, err := c.Responses.Get(ctx, last.Response.ID, responses.ResponseGetParams{})
				if err != nil || got.OutputText() != "one two three" {
					t.Fatalf("GET of the streamed response: %v %+v", err, got)
				}
			})
			t.Run("tools", func(t *testing.T) {
				resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model, Input: responsesText("weather in Paris?"),
					Tools: []responses.ToolUnionParam{responsesWeather}})
				if err != nil {
					t.Fatal(err)
				}
				var call responses.ResponseFunctionToolCall
				for _, it := range resp.Output {
					if it.Type == "function_call" {
						call = it.AsFunctionCall()
					}
				}
				if call.Name != "get_weather" || call.CallID == "" || !strings.Contains(call.Arguments, "Paris") {
					t.Fatalf("function call %+v in %s", call, resp.RawJSON())
				}
				// The tools are declared again, as agents do (Bedrock refuses
				// tool results without them).
				next, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model, PreviousResponseID: openai.String(resp.ID),
					Tools: []responses.ToolUnionParam{responsesWeather},
					Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
						{OfFunctionCallOutput: &responses.ResponseInputItemFunctionCallOutputParam{CallID: openai.String(call.CallID),
							Output: responses.ResponseInputItemFunctionCallOutputOutputUnionParam{OfString: openai.String("sunny, 21C")}}}}}})
				if err != nil {
					t.Fatal(err)
				}
				if next.ID == resp.ID || next.Status != responses.ResponseStatusCompleted {
					t.Errorf("continuation %s %s", next.ID, next.Status)
				}
				rec, _ := g.up.Last()
				if native(model) {
					// The vendor holds the chain: it gets the continuation
					// as the client wrote it, on the Responses API.
					if rec.Path != "/v1/responses" && rec.Path != "/openai/v1/responses" || !strings.Contains(string(rec.Body), "sunny, 21C") ||
						!strings.Contains(string(rec.Body), `"previous_response_id":"`+resp.ID+`"`) {
						t.Errorf("the vendor was not sent the continuation natively: %s %s", rec.Path, rec.Body)
					}
				} else if !strings.Contains(string(rec.Body), "sunny, 21C") || !strings.Contains(string(rec.Body), "weather in Paris?") {
					t.Errorf("the vendor was not sent the conversation with the tool result: %s", rec.Body)
				}
			})
			t.Run("get and delete", func(t *testing.T) {
				resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: model, Input: responsesText("keep this")})
				if err != nil {
					t.Fatal(err)
				}
				got, err := c.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{})
				if err != nil || got.ID != resp.ID || got.OutputText() != "keep this" {
					t.Fatalf("GET: %v %+v", err, got)
				}
				if err := c.Responses.Delete(ctx, resp.ID); err != nil {
					t.Fatal(err)
				}
				_, err = c.Responses.Get(ctx, resp.ID, responses.ResponseGetParams{})
				var apiErr *openai.Error
				if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
					t.Fatalf("GET after DELETE: %v", err)
				}
			})
		})
	}
}

// TestOpenAISDKResponsesStoreFalse: nothing is kept, so nothing continues.
func TestOpenAISDKResponsesStoreFalse(t *testing.T) {
	c := openaiClient(startGateway(t))
	ctx := context.Background()
	resp, err := c.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt", Input: responsesText("forget me"), Store: openai.Bool(false)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(resp.RawJSON(), `"store":false`) {
		t.Errorf("store:false answered %s", resp.RawJSON())
	}
	_, err = c.Responses.New(ctx, responses.ResponseNewParams{Model: "gpt", Input: responsesText("x"), PreviousResponseID: openai.String(resp.ID)})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadRequest || apiErr.Code != "previous_response_not_found" || apiErr.Param != "previous_response_id" {
		t.Fatalf("continuing a store:false response: %v", err)
	}
}

// TestOpenAISDKResponsesAcrossReplicas: a conversation started on one
// replica continues on another; the response state is in the limits'
// Redis, which both use.
func TestOpenAISDKResponsesAcrossReplicas(t *testing.T) {
	rd := testredis.Start(t)
	gws := startReplicas(t, 2, func(cfg *config.Config) {
		cfg.Limits = config.LimitsStore{Type: config.StoreRedis,
			Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
	})
	ctx := context.Background()
	c1, c2 := openaiClient(gws[0]), openaiClient(gws[1])
	for model := range vendorModels {
		t.Run(model, func(t *testing.T) {
			first, err := c1.Responses.New(ctx, responses.ResponseNewParams{Model: model, Input: responsesText("remember 42")})
			if err != nil {
				t.Fatal(err)
			}
			second, err := c2.Responses.New(ctx, responses.ResponseNewParams{Model: model, Input: responsesText("which number?"),
				PreviousResponseID: openai.String(first.ID)})
			if err != nil {
				t.Fatal(err)
			}
			rec, _ := gws[1].up.Last()
			switch {
			case native(model):
				// Replica 2 found the chain's backend in Redis and sent
				// the continuation there.
				if !strings.Contains(string(rec.Body), `"previous_response_id":"`+first.ID+`"`) {
					t.Errorf("replica 2 did not continue the native chain: %s", rec.Body)
				}
			case !strings.Contains(string(rec.Body), "remember 42"):
				t.Errorf("replica 2 did not replay the conversation: %s", rec.Body)
			}
			got, err := c1.Responses.Get(ctx, second.ID, responses.ResponseGetParams{})
			if err != nil || got.OutputText() != "which number?" {
				t.Fatalf("GET on replica 1 of replica 2's response: %v", err)
			}
		})
	}
}
