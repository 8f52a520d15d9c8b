package proxy

import (
	"errors"
	"io"
	"net/http"

	"github.com/tollgate-dev/tollgate/internal/jsonguard"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// parsed is the light parse of a client request: the few top-level fields
// the gateway routes and accounts by. The body itself goes upstream as is.
type parsed struct {
	op     providers.Operation
	body   []byte
	fields openai.Fields
	// estimate is the estimated input tokens (limits.EstimateTokens).
	estimate int64
	// native is the client's own body when its API can be relayed
	// natively (see nativeAPI), with its top-level fields; nil otherwise.
	native       []byte
	nativeFields openai.Fields
	// canonErr is set when the body could not be put in the canonical
	// form (body is then nil): only a native backend can serve it, and
	// any other answers canonErr.
	canonErr *apiError
	// pin is the label of the only backend that may serve the request (a
	// continuation of a native response chain); "" for any.
	pin string
}

// parseRequest validates a body without decoding it whole: it must be valid
// JSON with no duplicate member at any depth (checked by an iterative
// scanner with a depth bound), an object with a non-empty string "model",
// and "messages" (chat) or "input" (embeddings).
func parseRequest(op providers.Operation, body []byte) (*parsed, *apiError) {
	f, aerr := scanBody(body)
	if aerr != nil {
		return nil, aerr
	}
	if f.Model == "" {
		return nil, badRequest("You must provide a model parameter.", "model")
	}
	if len(f.Model) > 256 {
		return nil, badRequest("The model name is too long.", "model")
	}
	if f.PayloadBytes == 0 {
		if op == providers.OpEmbeddings {
			return nil, badRequest("You must provide an input parameter.", "input")
		}
		return nil, badRequest("You must provide a messages parameter.", "messages")
	}
	if op == providers.OpEmbeddings && f.Stream {
		return nil, badRequest("Embeddings cannot be streamed.", "stream")
	}
	return &parsed{op: op, body: body, fields: f, estimate: limits.EstimateTokens(body)}, nil
}

// scanBody checks a body like any (checkJSON) and scans its top level,
// the first step of every client API's parse.
func scanBody(body []byte) (openai.Fields, *apiError) {
	if aerr := checkJSON(body); aerr != nil {
		return openai.Fields{}, aerr
	}
	f, err := openai.Scan(body)
	if err != nil {
		return openai.Fields{}, invalidBody(err)
	}
	return f, nil
}

// checkJSON refuses a body that is empty, not valid JSON, or has an
// object with two members of one name: the gateway and the upstream could
// read different ones, so the body is refused rather than judged.
func checkJSON(body []byte) *apiError {
	if len(body) == 0 {
		return badRequest("The request body is empty; send a JSON object.", "")
	}
	err := jsonguard.Check(body)
	if err == nil {
		return nil
	}
	var je *jsonguard.Error
	if errors.As(err, &je) && je.Duplicate != "" {
		return badRequest("The request body has more than one \""+je.Duplicate+"\" member at "+je.Path+
			"; send each member once.", je.Path)
	}
	return badRequest("The request body is not valid JSON: "+truncate(err.Error(), 256)+".", "")
}

// readBody reads the request body within limit: a declared Content-Length
// over the limit is refused before reading, and a body that grows past it
// is cut by http.MaxBytesReader.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, *apiError) {
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	rd := http.MaxBytesReader(w, r.Body, limit)
	var buf []byte
	if r.ContentLength > 0 {
		buf = make([]byte, r.ContentLength)
		n, err := io.ReadFull(rd, buf)
		if err != nil {
			return nil, bodyReadError(err)
		}
		buf = buf[:n]
		// A body longer than declared is a broken client; MaxBytesReader
		// and the server's own framing make this read return EOF.
		return buf, nil
	}
	buf, err := io.ReadAll(rd)
	if err != nil {
		return nil, bodyReadError(err)
	}
	return buf, nil
}

func bodyReadError(err error) *apiError {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return errTooLarge
	}
	return &apiError{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "body_read_failed",
		Message: "The request body could not be read completely."}
}
