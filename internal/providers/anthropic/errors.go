package anthropic

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// StatusOverloaded is Anthropic's "overloaded" status.
const StatusOverloaded = 529

// MapError maps a non-2xx Anthropic answer. The vendor's message is kept
// except for credential failures, which get the gateway's own message.
func MapError(status int, h http.Header, body []byte, now time.Time) *providers.Error {
	var er ant.ErrorResponse
	if err := json.Unmarshal(body, &er); err != nil || er.Error.Type == "" {
		er.Error = ant.ErrorBody{Type: typeForStatus(status), Message: http.StatusText(status)}
	}
	return fromErrorBody(status, er.Error, vendorkit.RetryAfter(h, now))
}

func typeForStatus(status int) string {
	switch {
	case status == http.StatusTooManyRequests:
		return ant.ErrRateLimit
	case status == StatusOverloaded:
		return ant.ErrOverloaded
	case status == http.StatusUnauthorized:
		return ant.ErrAuthentication
	case status == http.StatusForbidden:
		return ant.ErrPermission
	case status == http.StatusNotFound:
		return ant.ErrNotFound
	case status >= 500:
		return ant.ErrAPI
	default:
		return ant.ErrInvalidRequest
	}
}

// fromErrorBody maps an error type (and status, 0 inside a stream).
func fromErrorBody(status int, b ant.ErrorBody, ra time.Duration) *providers.Error {
	msg := "anthropic: " + b.Message
	e := &providers.Error{Status: status, Message: msg, RetryAfter: ra}
	switch b.Type {
	case ant.ErrRateLimit:
		e.Status, e.Type, e.Code, e.Class = http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", providers.ClassRateLimited
	case ant.ErrOverloaded:
		e.Status, e.Type, e.Code, e.Class = http.StatusServiceUnavailable, "server_error", "upstream_overloaded", providers.ClassServerError
	case ant.ErrAuthentication, ant.ErrPermission:
		e.Status, e.Type, e.Code, e.Class = http.StatusBadGateway, "upstream_error", "upstream_credential_rejected", providers.ClassServerError
		e.Message = "anthropic: the gateway's vendor credential was rejected by the upstream provider"
	case ant.ErrNotFound:
		e.Status, e.Type, e.Code, e.Class = http.StatusNotFound, "invalid_request_error", "model_not_found", providers.ClassFatal
	case ant.ErrRequestTooLarge:
		e.Status, e.Type, e.Code, e.Class = http.StatusRequestEntityTooLarge, "invalid_request_error", "request_too_large", providers.ClassFatal
	case ant.ErrTimeout:
		e.Status, e.Type, e.Code, e.Class = http.StatusGatewayTimeout, "server_error", "upstream_timeout", providers.ClassTimeout
	case ant.ErrInvalidRequest:
		e.Status, e.Type, e.Code, e.Class = http.StatusBadRequest, "invalid_request_error", "invalid_request", providers.ClassFatal
		if isContextTooLong(b.Message) {
			e.Code = "context_length_exceeded"
			e.Message = "anthropic: the request exceeds the model's context window: " + b.Message
		}
	default: // api_error and unknown types
		switch {
		case status == http.StatusServiceUnavailable || status == StatusOverloaded:
			e.Status = http.StatusServiceUnavailable
		case status == 0 || status >= 500:
			e.Status = http.StatusBadGateway
		}
		e.Type, e.Code, e.Class = "server_error", "upstream_error", providers.ClassServerError
		if e.Status < 500 {
			e.Type, e.Code, e.Class = "invalid_request_error", "upstream_error", providers.ClassFatal
		}
	}
	return e
}

func isContextTooLong(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "prompt is too long") || strings.Contains(m, "context window") ||
		strings.Contains(m, "context length") || strings.Contains(m, "too many tokens")
}
