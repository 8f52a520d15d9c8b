package proxy

import (
	"net/http"
	"strconv"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// clientAPI is one API the gateway serves to clients, as a codec around the
// one pipeline: it turns the client's request body into the canonical form
// (OpenAI chat completions or embeddings JSON) and writes the canonical
// answer, stream and errors back in the client's own shape. Auth, limits,
// routing, attempts, fallback and settlement are shared by every API; a new
// client API (the Responses API) is one more implementation of this
// interface and one line in ServeHTTP, not a second pipeline.
type clientAPI interface {
	// name labels the API in the access log ("" for the plain OpenAI API).
	name() string
	// parse checks a client body and turns it into the canonical request
	// (the body upstream adapters read, and the fields the gateway routes
	// and accounts by).
	parse(body []byte) (*parsed, *apiError)
	// usageInStream is true when the client's stream carries usage even if
	// the canonical request did not ask for it (Anthropic's message_delta).
	usageInStream() bool
	// answer turns a canonical non-streamed answer into the client's,
	// naming the public model served.
	answer(canonical []byte, model string) ([]byte, error)
	// passThrough is true when answers are the canonical bytes as they
	// are (so a large one can be relayed as it arrives).
	passThrough() bool
	// stream starts the conversion of one canonical stream.
	stream(model string) streamCodec
	// writeError answers e in the client's error shape.
	writeError(w http.ResponseWriter, e *apiError)
}

// streamCodec converts one canonical stream for a client.
type streamCodec interface {
	// chunk returns the bytes to write for one canonical chunk (none when
	// the chunk carries nothing for this client); an error when it cannot
	// be read, after which fail ends the stream.
	chunk(data []byte) ([]byte, error)
	// done ends a stream that completed.
	done() []byte
	// fail is the terminal error event of a stream cut short after bytes
	// were sent (status is the one a non-streamed answer would have had).
	fail(status int, msg, code string) []byte
}

// openaiAPI serves /v1/chat/completions and /v1/embeddings: the canonical
// form itself, relayed as is.
type openaiAPI struct{ operation providers.Operation }

var (
	chatAPI       clientAPI = openaiAPI{providers.OpChat}
	embeddingsAPI clientAPI = openaiAPI{providers.OpEmbeddings}
)

func (openaiAPI) name() string                             { return "" }
func (a openaiAPI) parse(body []byte) (*parsed, *apiError) { return parseRequest(a.operation, body) }
func (openaiAPI) passThrough() bool                        { return true }
func (openaiAPI) usageInStream() bool                      { return false }
func (openaiAPI) answer(canonical []byte, model string) ([]byte, error) {
	return renameModel(canonical, model), nil
}
func (openaiAPI) stream(model string) streamCodec               { return &sseCodec{model: model} }
func (openaiAPI) writeError(w http.ResponseWriter, e *apiError) { writeError(w, e) }

var (
	sseData = []byte("data: ")
	sseEnd  = []byte("\n\n")
	sseDone = []byte("data: [DONE]\n\n")
)

// sseCodec writes OpenAI's data: events naming the public model, [DONE]
// at the end and an error object (and no [DONE]) when the stream failed.
type sseCodec struct {
	model string
	buf   []byte
}

func (c *sseCodec) chunk(data []byte) ([]byte, error) {
	if c.model != "" {
		data = renameModel(data, c.model)
	}
	c.buf = append(append(append(c.buf[:0], sseData...), data...), sseEnd...)
	return c.buf, nil
}

func (*sseCodec) done() []byte { return sseDone }

func (*sseCodec) fail(_ int, msg, code string) []byte { return terminalEvent(msg, code) }

// jsonContentType is the Content-Type value of every whole JSON answer,
// shared (net/http replaces a Header's value slices, never writes into
// them).
var jsonContentType = []string{"application/json"}

// writeAnswer writes a whole JSON answer, b, with its length and status:
// every answer the gateway writes in one piece (not a stream) goes so.
func writeAnswer(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, err := w.Write(b)
	return err
}
