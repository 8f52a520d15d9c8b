package limits

import (
	"strings"
	"testing"
)

func TestEstimateTokens(t *testing.T) {
	img := `data:image/png;base64,` + strings.Repeat("A", 40000)
	tests := map[string]struct {
		body string
		want int64
	}{
		"empty":         {``, 3},
		"one message":   {`{"messages":[{"role":"user","content":"hi"}]}`, 12 + 4 + 3},
		"two messages":  {`{"messages":[{"role":"system","content":"x"},{"role":"user","content":"y"}]}`, 19 + 8 + 3},
		"embeddings":    {`{"input":"hello world"}`, 6 + 3},
		"inline image":  {`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"` + img + `"}}]}]}`, 0},
		"unterminated":  {`;base64,AAAA`, 0},
		"rounded up":    {`abcde`, 2 + 3},
		"exact quarter": {`abcd`, 1 + 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := EstimateTokens([]byte(tc.body))
			switch name {
			case "inline image":
				// The 40000 base64 bytes count as one image, not 10000 tokens.
				if got < imageTokens || got > imageTokens+100 {
					t.Errorf("image estimate = %d, want about %d", got, imageTokens)
				}
			case "unterminated":
				if got != 3+2+imageTokens { // ";base64," is 8 bytes: 2 tokens
					t.Errorf("got %d", got)
				}
			default:
				if got != tc.want {
					t.Errorf("EstimateTokens(%q) = %d, want %d", tc.body, got, tc.want)
				}
			}
		})
	}
	if got := EstimateText(-5, -1); got != requestOverhead {
		t.Errorf("negative sizes: %d", got)
	}
}

func FuzzEstimateTokens(f *testing.F) {
	f.Add([]byte(`{"messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`;base64,;base64,"`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if n := EstimateTokens(b); n < requestOverhead || n > int64(len(b))+requestOverhead+imageTokens*int64(len(b)) {
			t.Errorf("EstimateTokens out of range: %d for %d bytes", n, len(b))
		}
	})
}
