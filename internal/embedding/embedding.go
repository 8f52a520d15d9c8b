// Package embedding writes embeddings answers the way OpenAI does for the
// vendors and the Mock provider the gateway translates: vectors as JSON
// floats or, with encoding_format "base64", as the base64 of their
// little-endian float32 bytes (what the official SDKs ask for by default
// and decode), shortened to the requested dimensions.
package embedding

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// Encoding formats.
const (
	Float  = "float"
	Base64 = "base64"
)

// Options are what an embeddings request asks of its vectors.
type Options struct {
	// Format is Float or Base64.
	Format string
	// Dimensions, when positive, is the length asked for.
	Dimensions int
}

// ParseOptions reads encoding_format and dimensions of an embeddings
// request body; a value OpenAI would refuse is an error naming the member.
func ParseOptions(body []byte) (Options, error) {
	var in struct {
		EncodingFormat *string `json:"encoding_format"`
		Dimensions     *int64  `json:"dimensions"`
	}
	if err := json.Unmarshal(body, &in); err != nil {
		return Options{}, fmt.Errorf("request body is not a valid embeddings request: %w", err)
	}
	o := Options{Format: Float}
	if in.EncodingFormat != nil {
		switch *in.EncodingFormat {
		case Float, Base64:
			o.Format = *in.EncodingFormat
		default:
			return Options{}, fmt.Errorf("encoding_format: must be %q or %q, not %q", Float, Base64, *in.EncodingFormat)
		}
	}
	if in.Dimensions != nil {
		if *in.Dimensions < 1 || *in.Dimensions > math.MaxInt32 {
			return Options{}, fmt.Errorf("dimensions: must be a positive integer")
		}
		o.Dimensions = int(*in.Dimensions)
	}
	return o, nil
}

// EncodeBase64 is v as float32 values, little-endian, in standard base64.
func EncodeBase64(v []float64) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(float32(f)))
	}
	return base64.StdEncoding.EncodeToString(b)
}

// DecodeBase64 reads what EncodeBase64 writes.
func DecodeBase64(s string) ([]float64, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("embedding is not base64: %w", err)
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("embedding holds %d bytes, not a whole number of float32 values", len(b))
	}
	out := make([]float64, len(b)/4)
	for i := range out {
		out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
	}
	return out, nil
}

// Shorten is v cut to n values and scaled back to unit length, as
// OpenAI's dimensions shortens text-embedding-3 vectors; v itself when it
// is no longer than n (or n is not positive).
func Shorten(v []float64, n int) []float64 {
	if n <= 0 || len(v) <= n {
		return v
	}
	out := append([]float64(nil), v[:n]...)
	var sum float64
	for _, f := range out {
		sum += f * f
	}
	if norm := math.Sqrt(sum); norm > 0 {
		for i := range out {
			out[i] /= norm
		}
	}
	return out
}

// vector is one entry of the list as written.
type vector struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"`
}

// List writes an embeddings list of vectors (in input order) in o's
// format and dimensions.
func List(model string, vectors [][]float64, usage *oa.EmbeddingsUsage, o Options) ([]byte, error) {
	data := make([]vector, len(vectors))
	for i, v := range vectors {
		v = Shorten(v, o.Dimensions)
		data[i] = vector{Object: "embedding", Index: i, Embedding: v}
		if o.Format == Base64 {
			data[i].Embedding = EncodeBase64(v)
		} else if v == nil {
			data[i].Embedding = []float64{}
		}
	}
	out := struct {
		Object string              `json:"object"`
		Data   []vector            `json:"data"`
		Model  string              `json:"model"`
		Usage  *oa.EmbeddingsUsage `json:"usage,omitempty"`
	}{"list", data, model, usage}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encoding the embeddings list: %w", err)
	}
	return b, nil
}
