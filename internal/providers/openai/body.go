package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Fields are the top-level members of an OpenAI request body that the
// gateway needs. Scan finds them without decoding the rest of the body:
// messages, tools and content parts pass through byte for byte.
type Fields struct {
	// Model is the decoded "model" string; ModelStart/ModelEnd span its raw
	// JSON value (quotes included) so it can be replaced in place.
	Model                string
	ModelStart, ModelEnd int
	// Stream is the "stream" flag.
	Stream bool
	// IncludeUsage is stream_options.include_usage.
	IncludeUsage bool
	// HasStreamOptions is true when the body has a stream_options member.
	HasStreamOptions bool
	// MaxTokens is the largest of the fields that bound the answer's
	// length (see outputFields), or 0 when none is set; MaxTokensField
	// names the field it came from.
	MaxTokens      int64
	MaxTokensField string
	// PayloadBytes is the raw size of "messages", "input", "prompt" and
	// "suffix" (what the model reads), used to estimate input tokens.
	PayloadBytes int
	// Members counts top-level members; End is the offset of the closing '}'.
	Members int
	End     int
}

// ErrNotObject is returned when the body is not a JSON object.
var ErrNotObject = errors.New("request body must be a JSON object")

// Scan reads the top level of a JSON object. It does not validate nested
// values (callers run json.Valid first) but never panics and never recurses,
// so hostile input cannot exhaust the stack. Duplicate model, stream or
// stream_options members are refused: upstream parsers disagree about which
// one wins, and the gateway must authorise the model the vendor will see.
func Scan(b []byte) (Fields, error) {
	f := Fields{ModelStart: -1, ModelEnd: -1}
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return f, ErrNotObject
	}
	i++
	var seen [3]bool // model, stream, stream_options
	for {
		i = skipWS(b, i)
		if i >= len(b) {
			return f, errors.New("unexpected end of JSON object")
		}
		if b[i] == '}' {
			f.End = i
			if j := skipWS(b, i+1); j != len(b) {
				return f, errors.New("unexpected data after JSON object")
			}
			return f, nil
		}
		if f.Members > 0 {
			if b[i] != ',' {
				return f, fmt.Errorf("expected ',' at offset %d", i)
			}
			i = skipWS(b, i+1)
		}
		kb, next, err := readKeyBytes(b, i)
		if err != nil {
			return f, err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return f, fmt.Errorf("expected ':' at offset %d", i)
		}
		i = skipWS(b, i+1)
		start := i
		end, err := skipValue(b, i)
		if err != nil {
			return f, err
		}
		raw := b[start:end]
		// The key is compared as bytes (no string is allocated per member).
		if d := dupIndex(kb); d >= 0 {
			if seen[d] {
				return f, fmt.Errorf("duplicate %q member", kb)
			}
			seen[d] = true
		}
		switch string(kb) {
		case "model":
			if raw[0] != '"' {
				return f, errors.New(`"model" must be a string`)
			}
			s, err := unquote(raw)
			if err != nil {
				return f, fmt.Errorf(`"model": %w`, err)
			}
			f.Model, f.ModelStart, f.ModelEnd = s, start, end
		case "stream":
			switch string(raw) {
			case "true":
				f.Stream = true
			case "false", "null":
			default:
				return f, errors.New(`"stream" must be a boolean`)
			}
		case "stream_options":
			f.HasStreamOptions = true
			if raw[0] == '{' {
				f.IncludeUsage = bytes.Contains(raw, []byte(`"include_usage"`)) && includeUsage(raw)
			} else if string(raw) != "null" {
				return f, errors.New(`"stream_options" must be an object`)
			}
		case "max_tokens", "max_completion_tokens", "max_output_tokens":
			if err := f.outputLimit(string(kb), raw); err != nil {
				return f, err
			}
		case "thinking":
			if err := f.thinking(raw); err != nil {
				return f, err
			}
		case "messages", "input", "prompt", "suffix":
			f.PayloadBytes += len(raw)
		}
		i = end
		f.Members++
	}
}

// outputLimit records one output-length field: every field an upstream
// may read as the answer's bound counts, and the largest is the one that
// limits and estimates judge (an upstream that reads another one reads a
// smaller bound). A value that is not a JSON integer in int64 is refused:
// upstreams disagree on 1e3, 5.0 or 1e400, so the gateway does not guess.
func (f *Fields) outputLimit(key string, raw []byte) error {
	if string(raw) == "null" {
		return nil
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil || n < 0 {
		return fmt.Errorf("%q must be a non-negative integer", key)
	}
	if f.MaxTokensField == "" || n > f.MaxTokens {
		f.MaxTokens, f.MaxTokensField = n, key
	}
	return nil
}

// thinking reads Anthropic's thinking.budget_tokens (extended thinking
// writes up to that many tokens before the answer).
func (f *Fields) thinking(raw []byte) error {
	if raw[0] != '{' {
		if string(raw) == "null" {
			return nil
		}
		return errors.New(`"thinking" must be an object`)
	}
	var th struct {
		BudgetTokens json.RawMessage `json:"budget_tokens"`
	}
	if err := json.Unmarshal(raw, &th); err != nil {
		return errors.New(`"thinking" must be an object`)
	}
	if len(th.BudgetTokens) == 0 {
		return nil
	}
	return f.outputLimit("thinking.budget_tokens", th.BudgetTokens)
}

// includeUsage decodes stream_options (small) to read include_usage.
func includeUsage(raw []byte) bool {
	var so struct {
		IncludeUsage bool `json:"include_usage"`
	}
	return json.Unmarshal(raw, &so) == nil && so.IncludeUsage
}

// Rewrite returns a copy of body with the model replaced and, when
// forceUsage is set, stream_options.include_usage set to true. body is not
// modified.
func Rewrite(body []byte, f *Fields, model string, forceUsage bool) ([]byte, error) {
	if f.ModelStart < 0 {
		return nil, errors.New(`request body has no "model"`)
	}
	q, err := json.Marshal(model)
	if err != nil {
		return nil, fmt.Errorf("encoding model name: %w", err)
	}
	addUsage := forceUsage && !f.IncludeUsage
	const usageMember = `,"stream_options":{"include_usage":true}`
	out := make([]byte, 0, len(body)+len(q)+len(usageMember))
	out = append(out, body[:f.ModelStart]...)
	out = append(out, q...)
	if !addUsage || f.HasStreamOptions {
		out = append(out, body[f.ModelEnd:]...)
		if addUsage {
			// The rare body with a stream_options object lacking
			// include_usage=true.
			return SetNested(out, "stream_options", "include_usage", []byte("true"))
		}
		return out, nil
	}
	// Insert the member before the closing brace.
	out = append(out, body[f.ModelEnd:f.End]...)
	out = append(out, usageMember...)
	out = append(out, body[f.End:]...)
	return out, nil
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// dupIndex is the index in Scan's seen of a member that may appear once.
func dupIndex(kb []byte) int {
	switch string(kb) {
	case "model":
		return 0
	case "stream":
		return 1
	case "stream_options":
		return 2
	}
	return -1
}

// readKeyBytes reads an object key at b[i] and returns it unescaped: a
// slice of b when it has no escape (the usual case, with no allocation).
func readKeyBytes(b []byte, i int) ([]byte, int, error) {
	if i >= len(b) || b[i] != '"' {
		return nil, i, fmt.Errorf("expected a member name at offset %d", i)
	}
	end, err := skipString(b, i)
	if err != nil {
		return nil, i, err
	}
	raw := b[i:end]
	if bytes.IndexByte(raw, '\\') < 0 {
		return raw[1 : len(raw)-1], end, nil
	}
	s, err := unquote(raw)
	return []byte(s), end, err
}

func unquote(raw []byte) (string, error) {
	if bytes.IndexByte(raw, '\\') < 0 && len(raw) >= 2 {
		return string(raw[1 : len(raw)-1]), nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", errors.New("invalid string")
	}
	return s, nil
}

// skipString returns the offset just past the string starting at b[i].
func skipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return i, errors.New("unterminated string")
}

// skipValue returns the offset just past the value starting at b[i],
// iteratively, whatever its nesting depth.
func skipValue(b []byte, i int) (int, error) {
	if i >= len(b) {
		return i, errors.New("missing value")
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e, err := skipString(b, j)
				if err != nil {
					return i, err
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1, nil
				}
			}
		}
		return i, errors.New("unterminated object or array")
	default:
		j := i
		for j < len(b) && !isDelim(b[j]) {
			j++
		}
		if j == i {
			return i, fmt.Errorf("unexpected %q at offset %d", b[i], i)
		}
		return j, nil
	}
}

func isDelim(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\r', '\n':
		return true
	}
	return false
}

// reasoningStateKey is the gateway's canonical extension for reasoning
// state a vendor needs back (schema/openai Message.ReasoningEncryptedContent):
// no OpenAI-speaking server knows it, so it never goes to one.
var reasoningStateKey = []byte(`"reasoning_encrypted_content"`)

// StripReasoningState returns body without the reasoning_encrypted_content
// member of its messages; body itself when it has none (the usual case,
// checked without decoding).
func StripReasoningState(body []byte) ([]byte, error) {
	if !bytes.Contains(body, reasoningStateKey) {
		return body, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return nil, fmt.Errorf("decoding request body: %w", err)
	}
	if len(top["messages"]) == 0 {
		return body, nil
	}
	var msgs []map[string]json.RawMessage
	if err := json.Unmarshal(top["messages"], &msgs); err != nil {
		// Not a list of message objects: nothing of the gateway's to remove.
		return body, nil //nolint:nilerr // the body is the client's to send as is
	}
	for _, m := range msgs {
		delete(m, "reasoning_encrypted_content")
	}
	raw, err := json.Marshal(msgs)
	if err != nil {
		return nil, fmt.Errorf("encoding messages: %w", err)
	}
	top["messages"] = raw
	out, err := json.Marshal(top)
	if err != nil {
		return nil, fmt.Errorf("encoding request body: %w", err)
	}
	return out, nil
}
