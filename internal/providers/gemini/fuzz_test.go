package gemini

import (
	"io"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/providertest"
)

// FuzzStream feeds arbitrary bytes to the SSE stream decoder: it may fail,
// never panic or loop. Seeds are the golden stream inputs.
func FuzzStream(f *testing.F) {
	providertest.FuzzSSEStream(f, func(body io.Reader) providers.Stream { return NewStream(body, "m", providertest.Now) })
}

// FuzzRequest translates arbitrary request bodies: errors are fine, panics
// are not.
func FuzzRequest(f *testing.F) {
	providertest.FuzzRequest(f, func(t *testing.T, in []byte) {
		_, _ = toGenerate(in)
		_, _, _ = FromGenerate(in, "m", providertest.Now)
	})
}
