package responses

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
	rs "github.com/tollgate-dev/tollgate/internal/schema/responses"
)

// Answer describes the response being built: its id (NewID), the public
// model name, the creation time and the request it answers (echoed in the
// response object as OpenAI does).
type Answer struct {
	ID        string
	Model     string
	CreatedAt int64
	Request   *rs.Request
	// Store is what the gateway does with the response (the request's
	// store, or false when the gateway does not keep responses).
	Store bool
	// Clock gives completed_at (Unix seconds); nil means time.Now.
	Clock func() int64
}

func (a *Answer) now() int64 {
	if a.Clock != nil {
		return a.Clock()
	}
	return time.Now().Unix()
}

// NewID returns a fresh response id, "resp_" and 48 hex digits.
func NewID() string {
	var b [24]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return "resp_" + hex.EncodeToString(b[:])
}

// suffix is the part of a response id its item ids share.
func (a *Answer) suffix() string { return strings.TrimPrefix(a.ID, "resp_") }

func (a *Answer) messageID() string   { return "msg_" + a.suffix() }
func (a *Answer) reasoningID() string { return "rs_" + a.suffix() }
func (a *Answer) callID(n int) string { return "fc_" + a.suffix() + "_" + strconv.Itoa(n) }

// Skeleton is the response object with the request's settings echoed,
// in_progress and without output: the start of every answer.
func (a *Answer) Skeleton() *rs.Response {
	r := &rs.Response{
		ID:                a.ID,
		Object:            "response",
		CreatedAt:         a.CreatedAt,
		Status:            rs.ResponseInProgress,
		Model:             a.Model,
		Output:            []rs.Item{},
		ParallelToolCalls: true,
		Store:             a.Store,
		Text:              rs.TextConfig{Format: &rs.TextFormat{Type: rs.FormatText}},
		ToolChoice:        rs.ToolChoice{Mode: oa.ToolChoiceAuto},
		Tools:             []rs.Tool{},
		Truncation:        "disabled",
		ServiceTier:       "default",
		Metadata:          map[string]string{},
	}
	in := a.Request
	if in == nil {
		return r
	}
	r.Instructions = in.Instructions
	r.MaxOutputTokens = in.MaxOutputTokens
	r.MaxToolCalls = in.MaxToolCalls
	if in.ParallelToolCalls != nil {
		r.ParallelToolCalls = *in.ParallelToolCalls
	}
	r.PreviousResponseID = optional(in.PreviousResponseID)
	r.PromptCacheKey = optional(in.PromptCacheKey)
	r.SafetyIdentifier = optional(in.SafetyIdentifier)
	r.User = optional(in.User)
	if in.Reasoning != nil {
		r.Reasoning = rs.Reasoning{Effort: in.Reasoning.Effort, Summary: in.Reasoning.Summary}
	}
	r.Temperature, r.TopP = in.Temperature, in.TopP
	if in.Text != nil {
		r.Text.Verbosity = in.Text.Verbosity
		if in.Text.Format != nil {
			r.Text.Format = in.Text.Format
		}
	}
	if in.ToolChoice != nil {
		r.ToolChoice = *in.ToolChoice
	}
	if in.Tools != nil {
		r.Tools = in.Tools
	}
	if in.Truncation != "" {
		r.Truncation = in.Truncation
	}
	if in.Metadata != nil {
		r.Metadata = in.Metadata
	}
	return r
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Response turns a canonical chat.completion body into the response
// object (with every output item, encrypted reasoning included: see
// ForClient).
func Response(body []byte, a Answer) (*rs.Response, error) {
	var in oa.ChatResponse
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, fmt.Errorf("decoding chat completion: %w", err)
	}
	r := a.Skeleton()
	finish := oa.FinishStop
	if len(in.Choices) > 0 {
		c := in.Choices[0]
		r.Output = a.outputItems(&c.Message)
		finish = c.FinishReason
	}
	a.finish(r, finish, in.Usage)
	return r, nil
}

// outputItems are an assistant message's items: reasoning, the message,
// then one function_call per tool call.
func (a *Answer) outputItems(m *oa.Message) []rs.Item {
	out := []rs.Item{}
	if m.ReasoningContent != "" || m.ReasoningEncryptedContent != "" {
		out = append(out, a.reasoningItem(m.ReasoningContent, m.ReasoningEncryptedContent))
	}
	if text := m.Content.String(); text != "" || m.Refusal != "" {
		var parts []rs.Part
		if text != "" {
			parts = append(parts, rs.Part{Type: rs.PartOutputText, Text: text})
		}
		if m.Refusal != "" {
			parts = append(parts, rs.Part{Type: rs.PartRefusal, Refusal: m.Refusal})
		}
		out = append(out, a.messageItem(parts, rs.StatusCompleted))
	}
	for i, tc := range m.ToolCalls {
		out = append(out, a.callItem(i, tc.ID, tc.Function.Name, tc.Function.Arguments, rs.StatusCompleted))
	}
	return out
}

func (a *Answer) reasoningItem(text, encrypted string) rs.Item {
	it := rs.Item{Type: rs.ItemReasoning, ID: a.reasoningID(), Summary: []rs.Part{}}
	if text != "" {
		it.Content = &rs.Content{Parts: []rs.Part{{Type: rs.PartReasoningText, Text: text}}}
	}
	if encrypted != "" {
		it.EncryptedContent = &encrypted
	}
	return it
}

func (a *Answer) messageItem(parts []rs.Part, status string) rs.Item {
	if parts == nil {
		parts = []rs.Part{}
	}
	return rs.Item{Type: rs.ItemMessage, ID: a.messageID(), Status: status, Role: rs.RoleAssistant,
		Content: &rs.Content{Parts: parts}}
}

func (a *Answer) callItem(n int, callID, name, args, status string) rs.Item {
	return rs.Item{Type: rs.ItemFunctionCall, ID: a.callID(n), Status: status, CallID: callID, Name: name,
		Arguments: &args}
}

// finish sets the final status, usage and output_text.
func (a *Answer) finish(r *rs.Response, finishReason string, u *oa.Usage) {
	r.Status = rs.ResponseCompleted
	switch finishReason {
	case oa.FinishLength:
		r.Status, r.IncompleteDetails = rs.ResponseIncomplete, &rs.IncompleteDetails{Reason: rs.IncompleteMaxOutputTokens}
	case oa.FinishContentFilter:
		r.Status, r.IncompleteDetails = rs.ResponseIncomplete, &rs.IncompleteDetails{Reason: rs.IncompleteContentFilter}
	}
	if r.Status == rs.ResponseIncomplete {
		for i := range r.Output {
			if r.Output[i].Type == rs.ItemMessage {
				r.Output[i].Status = rs.StatusIncomplete
			}
		}
	} else {
		done := a.now()
		r.CompletedAt = &done
	}
	r.Usage = usage(u)
	r.OutputText = OutputText(r.Output)
}

// OutputText concatenates the output_text parts of output's messages.
func OutputText(output []rs.Item) string {
	var b strings.Builder
	for _, it := range output {
		if it.Type != rs.ItemMessage || it.Content == nil {
			continue
		}
		for _, p := range it.Content.Parts {
			if p.Type == rs.PartOutputText {
				b.WriteString(p.Text)
			}
		}
	}
	return b.String()
}

// usage converts chat usage; nil stays nil (the upstream reported none).
// Negative figures (a broken upstream) count as 0.
func usage(u *oa.Usage) *rs.Usage {
	if u == nil {
		return nil
	}
	in, out := max(u.PromptTokens, 0), max(u.CompletionTokens, 0)
	return &rs.Usage{
		InputTokens: in,
		InputTokensDetails: rs.InputTokensDetails{CachedTokens: max(u.CachedTokens(), 0),
			CacheWriteTokens: max(u.CacheCreationInputTokens, 0)},
		OutputTokens:        out,
		OutputTokensDetails: rs.OutputTokensDetails{ReasoningTokens: max(u.ReasoningTokens(), 0)},
		TotalTokens:         in + out,
	}
}

// ForClient is the response as the client sees it: encrypted reasoning
// only when the request included reasoning.encrypted_content. The stored
// conversation keeps it either way.
func ForClient(r *rs.Response, in *rs.Request) *rs.Response {
	if in != nil && in.Includes(rs.IncludeReasoningEncrypted) {
		return r
	}
	c := *r
	c.Output = stripEncrypted(r.Output)
	return &c
}

func stripEncrypted(items []rs.Item) []rs.Item {
	out := make([]rs.Item, len(items))
	for i, it := range items {
		if it.Type == rs.ItemReasoning {
			it.EncryptedContent = nil
		}
		out[i] = it
	}
	return out
}

// Encode is the JSON of the client's view of r.
func Encode(r *rs.Response, in *rs.Request) ([]byte, error) {
	b, err := json.Marshal(ForClient(r, in))
	if err != nil {
		return nil, fmt.Errorf("encoding response: %w", err)
	}
	return b, nil
}

func jsonRaw(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encoding content part: %w", err)
	}
	return b, nil
}
