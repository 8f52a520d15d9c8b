package messages

import (
	"encoding/json"
	"net/http"

	ant "github.com/tollgate-dev/tollgate/internal/schema/anthropic"
)

// ErrorType is Anthropic's error type for an HTTP status.
func ErrorType(status int) string {
	switch status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return ant.ErrInvalidRequest
	case http.StatusUnauthorized:
		return ant.ErrAuthentication
	case http.StatusForbidden:
		return ant.ErrPermission
	case http.StatusNotFound:
		return ant.ErrNotFound
	case http.StatusRequestEntityTooLarge:
		return ant.ErrRequestTooLarge
	case http.StatusTooManyRequests:
		return ant.ErrRateLimit
	case http.StatusServiceUnavailable, 529:
		return ant.ErrOverloaded
	case http.StatusGatewayTimeout:
		return ant.ErrTimeout
	}
	if status >= 400 && status < 500 {
		return ant.ErrInvalidRequest
	}
	return ant.ErrAPI
}

// ErrorBody is the Anthropic error body for a status and message:
// {"type":"error","error":{"type":"...","message":"..."}}.
func ErrorBody(status int, message string) []byte {
	b, _ := json.Marshal(ant.ErrorResponse{Type: "error", Error: ant.ErrorBody{Type: ErrorType(status), Message: message}})
	return b
}

// FromOpenAIError converts an OpenAI error body the gateway produced (or a
// vendor returned) into Anthropic's shape, keeping the message.
func FromOpenAIError(status int, body []byte) []byte {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	msg := http.StatusText(status)
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		msg = e.Error.Message
	}
	return ErrorBody(status, msg)
}
