package gemini

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/embedding"
	"github.com/tollgate-dev/tollgate/internal/providers"
	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// toBatchEmbed translates an embeddings request into batchEmbedContents.
func toBatchEmbed(body []byte, model string) (*batchEmbedRequest, error) {
	var in oa.EmbeddingsRequest
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, badRequest("request body is not a valid embeddings request: %v", err)
	}
	if len(in.Input) == 0 {
		return nil, badRequest("input must not be empty")
	}
	if _, err := embedding.ParseOptions(body); err != nil {
		return nil, badRequest("%v", err)
	}
	name := "models/" + strings.TrimPrefix(model, "models/")
	out := &batchEmbedRequest{Requests: make([]embedRequest, len(in.Input))}
	for i, text := range in.Input {
		out.Requests[i] = embedRequest{Model: name, Content: content{Parts: []part{{Text: text}}}, OutputDimensionality: in.Dimensions}
	}
	return out, nil
}

// fromBatchEmbed builds the embeddings list in the encoding_format and
// dimensions the request (req, canonical) asked for. Gemini reports no
// token usage for embeddings, so Usage.Reported is false.
func fromBatchEmbed(body []byte, model string, req []byte) ([]byte, providers.Usage, error) {
	var in batchEmbedResponse
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, providers.Usage{}, fmt.Errorf("gemini: decoding embeddings: %w", err)
	}
	o, err := embedding.ParseOptions(req)
	if err != nil {
		return nil, providers.Usage{}, fmt.Errorf("gemini: %w", err)
	}
	vectors := make([][]float64, len(in.Embeddings))
	for i, e := range in.Embeddings {
		vectors[i] = e.Values
	}
	enc, err := embedding.List(model, vectors, &oa.EmbeddingsUsage{}, o)
	if err != nil {
		return nil, providers.Usage{}, fmt.Errorf("gemini: %w", err)
	}
	return enc, providers.Usage{}, nil
}
