package openai

import (
	"encoding/json"
	"testing"

	"github.com/tollgate-dev/tollgate/internal/providers"
)

// parseUsageReference is ParseUsage as it was before decodeUsage: the
// last top-level usage member decoded by encoding/json. decodeUsage must
// agree with it.
func parseUsageReference(body []byte) (providers.Usage, bool) {
	if !json.Valid(body) {
		return providers.Usage{}, false
	}
	from, to, err := memberValue(body, "usage")
	if err != nil {
		return providers.Usage{}, false
	}
	if from < 0 || string(body[from:to]) == "null" {
		return providers.Usage{}, true
	}
	var w wireUsage
	if json.Unmarshal(body[from:to], &w) != nil {
		return providers.Usage{}, false
	}
	return w.usage(), true
}

var usageSeeds = []string{
	`{"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}`,
	`{"id":"x","choices":[{"message":{"content":"usage"}}],"usage":{"prompt_tokens":9,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}`,
	`{"usage":null}`, `{}`, `{"usage":{}}`, `{"usage":[]}`, `{"usage":"x"}`, `{"usage":7}`,
	`{"usage":{"prompt_tokens":1.5}}`, `{"usage":{"prompt_tokens":1e2}}`, `{"usage":{"prompt_tokens":"9"}}`,
	`{"usage":{"prompt_tokens":9223372036854775808}}`, `{"usage":{"prompt_tokens":-9223372036854775808}}`,
	`{"usage":{"prompt_tokens":-3,"completion_tokens":-0}}`, `{"usage":{"prompt_tokens":null,"completion_tokens":true}}`,
	`{"usage":{"prompt_tokens":1,"prompt_tokens":2}}`, `{"usage":{"Prompt_Tokens":5,"COMPLETION_TOKENS":6}}`,
	`{"usage":{"prompt_tokens":5,"PROMPT_TOKENS":6}}`, `{"usage":{"prompt_\u0074okens":5}}`,
	`{"usage":{"prompt_tokens_details":{"cached_tokens":5},"prompt_tokens_details":null}}`,
	`{"usage":{"prompt_tokens_details":{"cached_tokens":5},"prompt_tokens_details":{}}}`,
	`{"usage":{"prompt_tokens_details":[1]}}`, `{"usage":{"prompt_tokens_details":{"cached_tokens":[]}}}`,
	`{"usage":{"completion_tokens_details":{"reasoning_tokens":3,"reasoning_tokens":null}}}`,
	`{"usage":{"prompt_tokens":1},"usage":{"completion_tokens":2}}`, `{"usage":{"prompt_tokens":1},"usage":null}`,
	`{"usage":{"ſrompt_tokens":1,"prompt_toKens":2}}`, `{"usage":{"prompt_tokens":1}} `, `[{"usage":{}}]`, `{"usage":{"prompt_tokens":1}`,
	` { "usage" : { "prompt_tokens" : 12 , "completion_tokens" : 3 } } `,
}

// TestParseUsageAgreesWithEncodingJSON: the hand decoder reads every seed
// as encoding/json does (the same counts, an error exactly when it errs).
func TestParseUsageAgreesWithEncodingJSON(t *testing.T) {
	for _, s := range usageSeeds {
		checkUsageAgrees(t, []byte(s))
	}
}

func FuzzParseUsage(f *testing.F) {
	for _, s := range usageSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { checkUsageAgrees(t, body) })
}

func checkUsageAgrees(t *testing.T, body []byte) {
	t.Helper()
	want, ok := parseUsageReference(body)
	got, err := ParseUsage(body)
	if ok != (err == nil) {
		t.Fatalf("%s: ParseUsage error %v, encoding/json ok %t", body, err, ok)
	}
	if ok && got != want {
		t.Fatalf("%s: ParseUsage %+v, encoding/json %+v", body, got, want)
	}
}
