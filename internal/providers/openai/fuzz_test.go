package openai

import (
	"encoding/json"
	"testing"
)

// FuzzScan: Scan never panics; what it accepts has a non-negative output
// bound named by its field, and the bound is the largest integer any
// output-length member holds.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[],"max_tokens":1,"max_tokens":5000}`,
		`{"model":"m","max_completion_tokens":1,"max_tokens":5000}`,
		`{"model":"m","max_output_tokens":9223372036854775807}`,
		`{"model":"m","max_tokens":9223372036854775808}`,
		`{"model":"m","max_tokens":-1}`, `{"model":"m","max_tokens":-0}`, `{"model":"m","max_tokens":1e400}`,
		`{"model":"m","max_tokens":1.5e3}`, `{"model":"m","max_tokens":5000.0}`, `{"model":"m","max_tokens":null}`,
		`{"model":"m","thinking":{"type":"enabled","budget_tokens":1,"budget_tokens":99999}}`,
		`{"model":"m","thinking":{"budget_tokens":1E+9}}`, `{"model":"m","thinking":null}`, `{"model":"m","thinking":[]}`,
		`{"model":"m","stream":true,"stream_options":{"include_usage":true,"include_usage":false}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fs, err := Scan(b)
		if err != nil {
			return
		}
		if fs.MaxTokens < 0 || (fs.MaxTokens > 0 && fs.MaxTokensField == "") {
			t.Fatalf("bound %d from %q", fs.MaxTokens, fs.MaxTokensField)
		}
		var top map[string]json.RawMessage
		if json.Unmarshal(b, &top) != nil {
			return
		}
		for _, k := range []string{"max_tokens", "max_completion_tokens", "max_output_tokens"} {
			var n int64
			if raw, ok := top[k]; ok && json.Unmarshal(raw, &n) == nil && n > fs.MaxTokens {
				t.Fatalf("%s %d above the bound judged %d", k, n, fs.MaxTokens)
			}
		}
	})
}
