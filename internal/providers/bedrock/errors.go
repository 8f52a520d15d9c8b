package bedrock

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// MapError maps a Bedrock error answer: the error type is in the
// x-amzn-ErrorType header ("ThrottlingException:http://...") and the body
// is {"message":"..."}.
func MapError(status int, h http.Header, body []byte, now time.Time) *providers.Error {
	var b struct {
		Message  string `json:"message"`
		MessageU string `json:"Message"`
	}
	_ = json.Unmarshal(body, &b)
	msg := b.Message
	if msg == "" {
		msg = b.MessageU
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	typ, _, _ := strings.Cut(h.Get("X-Amzn-Errortype"), ":")
	return fromErrorType(status, typ, msg, vendorkit.RetryAfter(h, now))
}

// fromErrorType maps an exception name (HTTP answers name it
// "ThrottlingException", stream frames "throttlingException"); status is
// 0 inside a stream.
func fromErrorType(status int, typ, msg string, ra time.Duration) *providers.Error {
	e := &providers.Error{Status: status, Message: "bedrock: " + msg, RetryAfter: ra}
	switch strings.ToLower(typ) {
	case "throttlingexception", "toomanyrequestsexception", "servicequotaexceededexception", "modelnotreadyexception":
		e.Status, e.Type, e.Code, e.Class = http.StatusTooManyRequests, "rate_limit_error", "rate_limit_exceeded", providers.ClassRateLimited
	case "serviceunavailableexception", "modelstreamerrorexception":
		e.Status, e.Type, e.Code, e.Class = http.StatusServiceUnavailable, "server_error", "upstream_unavailable", providers.ClassServerError
	case "modeltimeoutexception":
		e.Status, e.Type, e.Code, e.Class = http.StatusGatewayTimeout, "server_error", "upstream_timeout", providers.ClassTimeout
	case "accessdeniedexception", "unrecognizedclientexception", "invalidsignatureexception", "expiredtokenexception",
		"incompletesignatureexception", "missingauthenticationtokenexception":
		e.Status, e.Type, e.Code, e.Class = http.StatusBadGateway, "upstream_error", "upstream_credential_rejected", providers.ClassServerError
		e.Message = "bedrock: the gateway's vendor credential was rejected or lacks access to this model"
	case "resourcenotfoundexception":
		e.Status, e.Type, e.Code, e.Class = http.StatusNotFound, "invalid_request_error", "model_not_found", providers.ClassFatal
	case "validationexception":
		e.Status, e.Type, e.Code, e.Class = http.StatusBadRequest, "invalid_request_error", "invalid_request", providers.ClassFatal
		if isContextTooLong(msg) {
			e.Code = "context_length_exceeded"
			e.Message = "bedrock: the request exceeds the model's context window: " + msg
		}
	default:
		byStatus(e)
	}
	return e
}

// byStatus maps an answer whose type is unknown by its status alone.
func byStatus(e *providers.Error) {
	switch {
	case e.Status == http.StatusTooManyRequests:
		e.Type, e.Code, e.Class = "rate_limit_error", "rate_limit_exceeded", providers.ClassRateLimited
	case e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden:
		e.Status, e.Type, e.Code, e.Class = http.StatusBadGateway, "upstream_error", "upstream_credential_rejected", providers.ClassServerError
		e.Message = "bedrock: the gateway's vendor credential was rejected or lacks access to this model"
	case e.Status == http.StatusServiceUnavailable:
		e.Type, e.Code, e.Class = "server_error", "upstream_unavailable", providers.ClassServerError
	case e.Status >= 400 && e.Status < 500:
		e.Type, e.Code, e.Class = "invalid_request_error", "invalid_request", providers.ClassFatal
	default:
		e.Status, e.Type, e.Code, e.Class = http.StatusBadGateway, "server_error", "upstream_error", providers.ClassServerError
	}
}

func isContextTooLong(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "too long") || strings.Contains(m, "too many input tokens") ||
		strings.Contains(m, "context window") || strings.Contains(m, "context length")
}
