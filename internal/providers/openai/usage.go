package openai

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

type wireUsage struct {
	PromptTokens        int64 `json:"prompt_tokens"`
	CompletionTokens    int64 `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int64 `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int64 `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

func (w *wireUsage) usage() providers.Usage {
	u := providers.Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens, Reported: true}
	if w.PromptTokensDetails != nil {
		u.CachedInputTokens = w.PromptTokensDetails.CachedTokens
	}
	if w.CompletionTokensDetails != nil {
		u.ReasoningTokens = w.CompletionTokensDetails.ReasoningTokens
	}
	return u
}

// ParseUsage reads the usage of a chat.completion or embeddings list body:
// the body is checked to be valid JSON, then only its top-level "usage"
// member (the last one, as encoding/json reads it) is decoded; choices
// and data are not.
func ParseUsage(body []byte) (providers.Usage, error) {
	if !json.Valid(body) {
		return providers.Usage{}, errors.New("invalid JSON")
	}
	from, to, err := memberValue(body, "usage")
	if err != nil {
		return providers.Usage{}, err
	}
	if from < 0 || string(body[from:to]) == "null" {
		return providers.Usage{}, nil
	}
	u, err := decodeUsage(body[from:to])
	if err != nil {
		return providers.Usage{}, fmt.Errorf("usage: %w", err)
	}
	return u, nil
}

// decodeUsage reads a usage value (valid JSON, not null) as
// json.Unmarshal into wireUsage would, without reflection: the last of a
// repeated member wins, names match case-insensitively as encoding/json's
// do, a null member changes nothing (a null details object clears its
// count), and a value of the wrong type (a fraction, a string, a count
// beyond int64) is an error.
func decodeUsage(b []byte) (providers.Usage, error) {
	u := providers.Usage{Reported: true}
	err := eachRaw(b, func(key, v []byte) error {
		switch {
		case bytes.EqualFold(key, []byte("prompt_tokens")):
			return decodeCount(v, &u.InputTokens)
		case bytes.EqualFold(key, []byte("completion_tokens")):
			return decodeCount(v, &u.OutputTokens)
		case bytes.EqualFold(key, []byte("prompt_tokens_details")):
			return decodeDetail(v, "cached_tokens", &u.CachedInputTokens)
		case bytes.EqualFold(key, []byte("completion_tokens_details")):
			return decodeDetail(v, "reasoning_tokens", &u.ReasoningTokens)
		}
		return nil
	})
	if err != nil {
		return providers.Usage{}, err
	}
	return u, nil
}

// decodeDetail reads a details object's count name into n: null clears
// it (json.Unmarshal sets the struct pointer to nil).
func decodeDetail(v []byte, name string, n *int64) error {
	if string(v) == "null" {
		*n = 0
		return nil
	}
	return eachRaw(v, func(key, v []byte) error {
		if bytes.EqualFold(key, []byte(name)) {
			return decodeCount(v, n)
		}
		return nil
	})
}

// decodeCount reads a JSON integer into n; null leaves it unchanged.
func decodeCount(v []byte, n *int64) error {
	if string(v) == "null" {
		return nil
	}
	if len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9')) {
		return fmt.Errorf("a token count is not a number: %.40s", v)
	}
	x, err := strconv.ParseInt(string(v), 10, 64)
	if err != nil {
		return fmt.Errorf("a token count is not an integer: %.40s", v)
	}
	*n = x
	return nil
}

// eachRaw calls fn with each member of the JSON object b (valid JSON): its
// name unescaped and its raw value. A value that is not an object is an
// error.
func eachRaw(b []byte, fn func(key, value []byte) error) error {
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return ErrNotObject
	}
	i++
	for members := 0; ; members++ {
		i = skipWS(b, i)
		if i >= len(b) {
			return errors.New("unexpected end of JSON object")
		}
		if b[i] == '}' {
			return nil
		}
		if members > 0 {
			if b[i] != ',' {
				return fmt.Errorf("expected ',' at offset %d", i)
			}
			i = skipWS(b, i+1)
		}
		key, next, err := readKeyBytes(b, i)
		if err != nil {
			return err
		}
		i = skipWS(b, next)
		if i >= len(b) || b[i] != ':' {
			return fmt.Errorf("expected ':' at offset %d", i)
		}
		i = skipWS(b, i+1)
		end, err := skipValue(b, i)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:end]); err != nil {
			return err
		}
		i = end
	}
}

// chunkUsage reads a stream chunk's usage; only is true when the chunk has
// no choices (OpenAI's final usage chunk).
func chunkUsage(data []byte) (*providers.Usage, bool, error) {
	var v struct {
		Usage   *wireUsage        `json:"usage"`
		Choices []json.RawMessage `json:"choices"`
	}
	if err := json.Unmarshal(data, &v); err != nil {
		return nil, false, err
	}
	if v.Usage == nil {
		return nil, false, nil
	}
	u := v.Usage.usage()
	return &u, len(v.Choices) == 0, nil
}

// hasTopLevelError reports whether a chunk is an error object
// ({"error":{...}}) rather than a completion chunk.
func hasTopLevelError(data []byte) bool {
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipWS(data, i+1)
	return bytes.HasPrefix(data[i:], []byte(`"error"`))
}

type wireError struct {
	Error *struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    any    `json:"code"`
	} `json:"error"`
}

func decodeError(body []byte) (msg, typ, code string) {
	var w wireError
	if json.Unmarshal(body, &w) != nil || w.Error == nil {
		return "", "", ""
	}
	switch c := w.Error.Code.(type) {
	case string:
		code = c
	case float64:
		code = strconv.FormatInt(int64(c), 10)
	}
	return w.Error.Message, w.Error.Type, code
}

// streamError maps an error event inside a 200 stream.
func streamError(data []byte, apiKey string) *providers.Error {
	msg, typ, code := decodeError(data)
	if msg == "" {
		msg = "upstream stream reported an error"
	}
	e := &providers.Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_stream_error",
		Message: redact(msg, apiKey), Class: providers.ClassServerError}
	if code == "rate_limit_exceeded" || typ == "rate_limit_error" || typ == "tokens" || typ == "requests" {
		e.Status, e.Type, e.Code, e.Class = http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", providers.ClassRateLimited
	}
	return e
}

// MapError maps a non-2xx OpenAI-style answer to what the client sees.
// The vendor's message is kept (minus anything resembling the credential)
// except for credential failures, which are the gateway's problem, not the
// client's.
func MapError(status int, h http.Header, body []byte, apiKey string) *providers.Error {
	msg, typ, code := decodeError(body)
	e := &providers.Error{Status: status, Type: typ, Code: code, Message: redact(msg, apiKey), RetryAfter: vendorkit.RetryAfter(h, time.Now())}
	switch {
	case status == http.StatusTooManyRequests:
		e.Class = providers.ClassRateLimited
		e.Type = cmp.Or(e.Type, "rate_limit_error")
		e.Code = cmp.Or(e.Code, "rate_limit_exceeded")
		e.Message = cmp.Or(e.Message, "the upstream provider is rate limiting requests")
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		e.Class, e.Status = providers.ClassServerError, http.StatusBadGateway
		e.Type, e.Code = "upstream_error", "upstream_auth_failed"
		e.Message = "the upstream provider refused the gateway's credentials"
	case status == http.StatusRequestTimeout:
		e.Class, e.Status = providers.ClassTimeout, http.StatusGatewayTimeout
		e.Type, e.Code = "timeout_error", "upstream_timeout"
		e.Message = cmp.Or(e.Message, "the upstream provider timed out")
	case status >= 500:
		e.Class = providers.ClassServerError
		e.Status = http.StatusBadGateway
		if status == http.StatusServiceUnavailable || status == 529 {
			e.Status = http.StatusServiceUnavailable
		}
		e.Type = "upstream_error"
		e.Code = cmp.Or(e.Code, "upstream_"+strconv.Itoa(status))
		e.Message = cmp.Or(e.Message, fmt.Sprintf("the upstream provider answered %d", status))
	default:
		e.Class = providers.ClassFatal
		e.Type = cmp.Or(e.Type, "invalid_request_error")
		e.Message = cmp.Or(e.Message, fmt.Sprintf("the upstream provider answered %d", status))
	}
	return e
}

// redact removes the credential, and anything shaped like an OpenAI key,
// from a vendor message before a client can see it.
func redact(msg, apiKey string) string {
	if apiKey != "" && strings.Contains(msg, apiKey) {
		msg = strings.ReplaceAll(msg, apiKey, "[redacted]")
	}
	if i := strings.Index(msg, "sk-"); i >= 0 {
		j := i
		for j < len(msg) && msg[j] != ' ' && msg[j] != '.' && msg[j] != ',' && msg[j] != '"' {
			j++
		}
		msg = msg[:i] + "[redacted]" + msg[j:]
	}
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	return msg
}

func redactURL(s string) string {
	if i := strings.Index(s, "@"); i >= 0 {
		if j := strings.Index(s, "://"); j >= 0 && j < i {
			return s[:j+3] + "[redacted]" + s[i:]
		}
	}
	return s
}

// ScanUsage finds the usage object in the last part of a chat.completion
// or embeddings body (the whole body may be too large to hold): the last
// "usage" member whose value is an object. A "usage" inside a JSON string
// has its quotes escaped, so it cannot match. ok is false when the tail
// holds no complete usage object.
func ScanUsage(tail []byte) (providers.Usage, bool) {
	key := []byte(`"usage"`)
	for end := len(tail); end > 0; {
		i := bytes.LastIndex(tail[:end], key)
		if i < 0 {
			return providers.Usage{}, false
		}
		end = i
		j := skipWS(tail, i+len(key))
		if j >= len(tail) || tail[j] != ':' {
			continue
		}
		j = skipWS(tail, j+1)
		if j >= len(tail) || tail[j] != '{' {
			continue
		}
		var w wireUsage
		if json.NewDecoder(bytes.NewReader(tail[j:])).Decode(&w) != nil {
			continue
		}
		return w.usage(), true
	}
	return providers.Usage{}, false
}
