package sdk_test

import (
	"context"
	"math"
	"testing"

	"github.com/openai/openai-go/v3"
)

// TestOpenAISDKEmbeddingsEveryVendor: openai-go asking for base64 vectors
// (what the official Node SDK and LangChain send by default) and fewer
// dimensions gets, from every vendor serving embeddings, the vectors the
// mock vendors hold ([0.5, -0.25, i]) cut to 2 values and scaled to unit
// length, as OpenAI's dimensions does.
func TestOpenAISDKEmbeddingsEveryVendor(t *testing.T) {
	g := startGateway(t)
	c := openaiClient(g)
	norm := math.Hypot(0.5, -0.25)
	want := []float32{float32(0.5 / norm), float32(-0.25 / norm)}
	for _, model := range []string{"gpt", "gpt-eu", "gemini"} {
		for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatBase64, openai.EmbeddingNewParamsEncodingFormatFloat} {
			t.Run(model+"/"+string(format), func(t *testing.T) {
				resp, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{Model: model, Dimensions: openai.Int(2),
					EncodingFormat: format, Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
				if err != nil {
					t.Fatal(err)
				}
				raw := resp.Data[0].JSON.Embedding.Raw()
				if (format == openai.EmbeddingNewParamsEncodingFormatBase64) != (len(raw) > 0 && raw[0] == '"') {
					t.Errorf("%s asked, the answer holds %s", format, raw)
				}
				got := resp.Data[0].Embedding
				if len(resp.Data) != 2 || len(got) != 2 || math.Abs(float64(float32(got[0])-want[0])) > 1e-6 || math.Abs(float64(float32(got[1])-want[1])) > 1e-6 {
					t.Errorf("vectors %+v, want the first %v", resp.Data, want)
				}
			})
		}
	}
}
