package openai

import (
	"errors"

	"github.com/tollgate-dev/tollgate/internal/schema/jsonform"
)

// EmbeddingsRequest is a POST /v1/embeddings body.
type EmbeddingsRequest struct {
	Model          string         `json:"model"`
	Input          EmbeddingInput `json:"input"`
	EncodingFormat string         `json:"encoding_format,omitempty"`
	Dimensions     *int64         `json:"dimensions,omitempty"`
	User           string         `json:"user,omitempty"`
}

// EmbeddingInput is "input": a string or an array of strings. Token-array
// inputs are refused by UnmarshalJSON (no vendor but OpenAI accepts them).
type EmbeddingInput []string

// UnmarshalJSON reads a string or an array of strings.
func (in *EmbeddingInput) UnmarshalJSON(b []byte) error {
	many, err := jsonform.OneOrMany(b, func(s string) string { return s })
	if err != nil {
		return errors.New("input must be a string or an array of strings")
	}
	*in = many
	return nil
}

// EmbeddingsResponse is an embeddings list.
type EmbeddingsResponse struct {
	Object string          `json:"object"`
	Data   []Embedding     `json:"data"`
	Model  string          `json:"model"`
	Usage  EmbeddingsUsage `json:"usage"`
}

// Embedding is one vector.
type Embedding struct {
	Object    string    `json:"object"`
	Index     int       `json:"index"`
	Embedding []float64 `json:"embedding"`
}

// EmbeddingsUsage is the usage of an embeddings call.
type EmbeddingsUsage struct {
	PromptTokens int64 `json:"prompt_tokens"`
	TotalTokens  int64 `json:"total_tokens"`
}
