package bedrock

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
)

// frame is one event-stream message in a test file: string headers and a
// JSON payload.
type frame struct {
	Headers map[string]string `json:"headers"`
	Payload json.RawMessage   `json:"payload"`
}

// encodeFrames reads testdata frames and encodes them in the binary
// framing (prelude, headers, payload, CRCs) Bedrock sends.
func encodeFrames(t testing.TB, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var frames []frame
	if err := json.Unmarshal(raw, &frames); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var buf bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, f := range frames {
		var m eventstream.Message
		for k, v := range f.Headers {
			m.Headers.Set(k, eventstream.StringValue(v))
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, f.Payload); err != nil {
			t.Fatal(err)
		}
		m.Payload = compact.Bytes()
		if err := enc.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}
