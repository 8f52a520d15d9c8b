package gemini

import (
	"encoding/json"
	"fmt"
	"strings"

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
	name := "models/" + strings.TrimPrefix(model, "models/")
	out := &batchEmbedRequest{Requests: make([]embedRequest, len(in.Input))}
	for i, text := range in.Input {
		out.Requests[i] = embedRequest{Model: name, Content: content{Parts: []part{{Text: text}}}, OutputDimensionality: in.Dimensions}
	}
	return out, nil
}

// fromBatchEmbed builds the embeddings list. Gemini reports no token
// usage for embeddings, so Usage.Reported is false.
func fromBatchEmbed(body []byte, model string) ([]byte, providers.Usage, error) {
	var in batchEmbedResponse
	if err := json.Unmarshal(body, &in); err != nil {
		return nil, providers.Usage{}, fmt.Errorf("gemini: decoding embeddings: %w", err)
	}
	out := oa.EmbeddingsResponse{Object: "list", Model: model, Data: make([]oa.Embedding, len(in.Embeddings))}
	for i, e := range in.Embeddings {
		out.Data[i] = oa.Embedding{Object: "embedding", Index: i, Embedding: e.Values}
	}
	enc, err := json.Marshal(out)
	if err != nil {
		return nil, providers.Usage{}, fmt.Errorf("gemini: encoding embeddings: %w", err)
	}
	return enc, providers.Usage{}, nil
}
