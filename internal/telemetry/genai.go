package telemetry

import (
	"bytes"
	"encoding/json"
	"strings"

	"go.opentelemetry.io/otel/attribute"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// Attribute and event names: the GenAI semantic conventions' where they
// have one, tollgate.* for the gateway's own.
const (
	AttrOperationName    = "gen_ai.operation.name"
	AttrProviderName     = "gen_ai.provider.name"
	AttrRequestModel     = "gen_ai.request.model"
	AttrResponseModel    = "gen_ai.response.model"
	AttrInputTokens      = "gen_ai.usage.input_tokens"
	AttrOutputTokens     = "gen_ai.usage.output_tokens"
	AttrFinishReasons    = "gen_ai.response.finish_reasons"
	AttrInputMessages    = "gen_ai.input.messages"
	AttrOutputMessages   = "gen_ai.output.messages"
	AttrTimeToFirstToken = "gen_ai.server.time_to_first_token"
	AttrErrorType        = "error.type"

	AttrConsumer    = "tollgate.consumer"
	AttrBackend     = "tollgate.backend"
	AttrAttempt     = "tollgate.attempt"
	AttrAttemptKind = "tollgate.attempt.kind" // retry or fallback
	AttrReason      = "tollgate.reason"
	AttrDecision    = "tollgate.limit.decision"
	AttrDowngradeTo = "tollgate.limit.downgrade_to"
	AttrStream      = "tollgate.stream"

	EventFirstToken = "gen_ai.first_token"
	EventLimit      = "tollgate.limit"
	EventRejected   = "tollgate.rejected"
)

// ProviderName is the gen_ai.provider.name of a vendor API.
func ProviderName(t config.ProviderType) string {
	switch t {
	case config.ProviderOpenAI, config.ProviderOpenAICompatible:
		return "openai"
	case config.ProviderAzureOpenAI:
		return "azure.ai.openai"
	case config.ProviderAnthropic:
		return "anthropic"
	case config.ProviderGemini:
		return "gcp.gemini"
	case config.ProviderBedrock:
		return "aws.bedrock"
	}
	return "tollgate.mock"
}

// params are the request parameters the conventions name.
type params struct {
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	MaxOutputTokens     *int64          `json:"max_output_tokens"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	TopK                *float64        `json:"top_k"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	Seed                *int64          `json:"seed"`
	N                   *int64          `json:"n"`
	Stop                json.RawMessage `json:"stop"`
	StopSequences       json.RawMessage `json:"stop_sequences"`
}

// requestParams reads the canonical request's parameters; a body it
// cannot read yields none (the gateway checked it already).
func requestParams(body []byte) []attribute.KeyValue {
	var p params
	if json.Unmarshal(body, &p) != nil {
		return nil
	}
	var out []attribute.KeyValue
	for _, m := range []*int64{p.MaxTokens, p.MaxCompletionTokens, p.MaxOutputTokens} {
		if m != nil {
			out = append(out, attribute.Int64("gen_ai.request.max_tokens", *m))
			break
		}
	}
	floats := []struct {
		key string
		v   *float64
	}{{"gen_ai.request.temperature", p.Temperature}, {"gen_ai.request.top_p", p.TopP}, {"gen_ai.request.top_k", p.TopK},
		{"gen_ai.request.frequency_penalty", p.FrequencyPenalty}, {"gen_ai.request.presence_penalty", p.PresencePenalty}}
	for _, f := range floats {
		if f.v != nil {
			out = append(out, attribute.Float64(f.key, *f.v))
		}
	}
	if p.Seed != nil {
		out = append(out, attribute.Int64("gen_ai.request.seed", *p.Seed))
	}
	if p.N != nil && *p.N != 1 {
		out = append(out, attribute.Int64("gen_ai.request.choice.count", *p.N))
	}
	if stop := stopSequences(p.Stop, p.StopSequences); len(stop) > 0 {
		out = append(out, attribute.StringSlice("gen_ai.request.stop_sequences", stop))
	}
	return out
}

func stopSequences(raws ...json.RawMessage) []string {
	for _, raw := range raws {
		var one string
		if json.Unmarshal(raw, &one) == nil && one != "" {
			return []string{one}
		}
		var many []string
		if json.Unmarshal(raw, &many) == nil && len(many) > 0 {
			return many
		}
	}
	return nil
}

// inputMessages is the prompt of a canonical request: its "messages" (chat)
// or "input" (embeddings) JSON, as sent.
func inputMessages(body []byte) []byte {
	var b struct {
		Messages json.RawMessage `json:"messages"`
		Input    json.RawMessage `json:"input"`
	}
	if json.Unmarshal(body, &b) != nil {
		return nil
	}
	if len(b.Messages) > 0 {
		return b.Messages
	}
	return b.Input
}

// answer is what the span reads of a canonical chat answer or chunk.
type answer struct {
	Model   string `json:"model"`
	Choices []struct {
		FinishReason *string `json:"finish_reason"`
		Message      *struct {
			Content *string `json:"content"`
		} `json:"message"`
		Delta *struct {
			Content *string `json:"content"`
		} `json:"delta"`
	} `json:"choices"`
}

func (s *Span) readAnswer(raw []byte) {
	var a answer
	if json.Unmarshal(raw, &a) != nil {
		return
	}
	s.take(&a)
}

// readChunk reads a stream chunk; most chunks carry only a delta, which is
// decoded only when the content is captured or the chunk names a finish
// reason or the response model is still unknown.
func (s *Span) readChunk(data []byte) {
	if !s.t.capture && s.respModel != "" && !bytes.Contains(data, []byte(`"finish_reason":"`)) {
		return
	}
	var a answer
	if json.Unmarshal(data, &a) != nil {
		return
	}
	s.take(&a)
}

func (s *Span) take(a *answer) {
	if s.respModel == "" {
		s.respModel = a.Model
	}
	for _, ch := range a.Choices {
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = append(s.finish, *ch.FinishReason)
		}
		if !s.t.capture {
			continue
		}
		var text *string
		switch {
		case ch.Message != nil:
			text = ch.Message.Content
		case ch.Delta != nil:
			text = ch.Delta.Content
		}
		if text != nil && len(s.output) < s.t.maxText {
			s.output = append(s.output, (*text)[:min(len(*text), s.t.maxText-len(s.output))]...)
		}
	}
}

// outputMessages is the captured completion as the conventions' output
// message list.
func outputMessages(text []byte) string {
	b, err := json.Marshal([]map[string]any{{"role": "assistant", "parts": []map[string]string{{"type": "text", "content": validUTF8(text)}}}})
	if err != nil {
		return ""
	}
	return string(b)
}

// capText cuts b at max bytes (on a rune boundary).
func capText(b []byte, max int) string {
	if len(b) > max {
		b = b[:max]
	}
	return validUTF8(b)
}

// validUTF8 drops invalid bytes (a rune cut by the cap among them).
func validUTF8(b []byte) string { return strings.ToValidUTF8(string(b), "") }
