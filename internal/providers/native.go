package providers

import (
	"context"
	"io"
	"net/http"
)

// API is a client API that some vendors speak natively: a request in it
// can be relayed to them as the client wrote it instead of through the
// canonical form.
type API string

const (
	// APIMessages is Anthropic's Messages API (POST /v1/messages).
	APIMessages API = "messages"
	// APIResponses is OpenAI's Responses API (POST /v1/responses).
	APIResponses API = "responses"
	// APICompletions is OpenAI's legacy completions API (POST
	// /v1/completions: a prompt, fill-in-the-middle with suffix), which
	// has no canonical form: only upstreams that serve it can.
	APICompletions API = "completions"
)

// Native is implemented by adapters that relay one or more client APIs
// natively. For a native request, Request.Body is the client's body in
// that API's form, already naming the upstream model; the adapter adds
// only its endpoint and headers (the vendor credential last), and reads
// the answer only for its usage: the bytes go back to the client as the
// upstream sent them.
type Native interface {
	// NativeAPIs lists the client APIs the adapter relays natively.
	NativeAPIs() []API
	// NativeRequest builds the upstream request of a native request.
	NativeRequest(ctx context.Context, api API, r *Request) (*http.Request, error)
	// NativeUsage reads the usage of a whole 2xx native answer.
	NativeUsage(api API, body []byte) (Usage, error)
	// NativeStream reads a 2xx native stream event by event.
	NativeStream(api API, body io.Reader) EventStream
	// NativeError maps a non-2xx native answer like Error does, with
	// Error.Raw set to the upstream's own body when the client may be
	// shown it as is.
	NativeError(api API, status int, h http.Header, body []byte) *Error
}

// Speaks reports whether a speaks api natively.
func Speaks(a Adapter, api API) bool {
	n, ok := a.(Native)
	if !ok {
		return false
	}
	for _, x := range n.NativeAPIs() {
		if x == api {
			return true
		}
	}
	return false
}

// Event is one server-sent event of a native stream, as the upstream sent
// it.
type Event struct {
	// Name is the "event:" field ("" for none).
	Name string
	// Data is the event's data (its data: lines joined with "\n").
	Data []byte
	// Usage is set on an event that carries usage: the usage of the
	// answer so far, complete on the last such event.
	Usage *Usage
}

// EventStream decodes a native stream.
type EventStream interface {
	// Next returns the next event; io.EOF at the stream's normal end; an
	// *Error for an error event in the stream; any other error for a
	// broken stream.
	Next() (Event, error)
}
