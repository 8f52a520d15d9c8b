package gemini

import (
	"bytes"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

// FuzzStream feeds arbitrary bytes to the SSE stream decoder: it may fail,
// never panic or loop. Seeds are the golden stream inputs.
func FuzzStream(f *testing.F) {
	providertest.AddSeeds(f, "stream", ".sse")
	f.Add([]byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\"}}\n\n"))
	f.Add([]byte("data: {\"type\":\"message_start\"}\n\n"))
	f.Add([]byte("data: {\"type\":\"error\"}\n\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		providertest.DrainFuzzed(t, NewStream(bytes.NewReader(in), "m", providertest.Now), len(in))
	})
}

// FuzzRequest translates arbitrary request bodies: errors are fine, panics
// are not.
func FuzzRequest(f *testing.F) {
	providertest.AddSeeds(f, "request", ".json")
	f.Fuzz(func(t *testing.T, in []byte) {
		_, _ = toGenerate(in)
		_, _, _ = FromGenerate(in, "m", providertest.Now)
	})
}
