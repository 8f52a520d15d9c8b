package embedding

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	oa "github.com/tollgate-dev/tollgate/internal/schema/openai"
)

// TestListDecodesWithTheOfficialSDK: what List writes, openai-go reads
// back as the same vectors (to float32 precision) in either format.
func TestListDecodesWithTheOfficialSDK(t *testing.T) {
	vectors := [][]float64{{0.5, -0.25, 1e-7, 3.4e38}, {}, {-1, 0, 1}}
	for _, format := range []string{Float, Base64} {
		t.Run(format, func(t *testing.T) {
			b, err := List("m", vectors, &oa.EmbeddingsUsage{PromptTokens: 3, TotalTokens: 3}, Options{Format: format})
			if err != nil {
				t.Fatal(err)
			}
			if format == Base64 && !strings.Contains(string(b), `"embedding":"AAAAP`) {
				t.Errorf("base64 list %s", b)
			}
			var resp openai.CreateEmbeddingResponse
			if err := json.Unmarshal(b, &resp); err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != len(vectors) || resp.Usage.TotalTokens != 3 || resp.Model != "m" {
				t.Fatalf("decoded %+v", resp)
			}
			for i, want := range vectors {
				got := resp.Data[i].Embedding
				if resp.Data[i].Index != int64(i) || len(got) != len(want) {
					t.Fatalf("vector %d = %v, want %v", i, got, want)
				}
				for j := range want {
					if got[j] != float64(float32(want[j])) && format == Base64 || got[j] != want[j] && format == Float {
						t.Errorf("vector %d[%d] = %v, want %v", i, j, got[j], want[j])
					}
				}
			}
		})
	}
}

func TestBase64RoundTrip(t *testing.T) {
	v := []float64{1, -2.5, 0.1}
	got, err := DecodeBase64(EncodeBase64(v))
	if err != nil || len(got) != 3 || got[0] != 1 || got[1] != -2.5 || got[2] != float64(float32(0.1)) {
		t.Fatalf("%v %v", got, err)
	}
	if EncodeBase64([]float64{1}) != "AACAPw==" { // 1.0f little-endian: 00 00 80 3f
		t.Errorf("EncodeBase64(1) = %s", EncodeBase64([]float64{1}))
	}
	for _, bad := range []string{"!!", "AAA="} {
		if _, err := DecodeBase64(bad); err == nil {
			t.Errorf("DecodeBase64(%q) accepted", bad)
		}
	}
}

func TestShorten(t *testing.T) {
	got := Shorten([]float64{3, 4, 12}, 2)
	if len(got) != 2 || math.Abs(got[0]-0.6) > 1e-12 || math.Abs(got[1]-0.8) > 1e-12 {
		t.Errorf("Shorten = %v", got)
	}
	long := []float64{1, 2}
	if got := Shorten(long, 5); len(got) != 2 || got[0] != 1 {
		t.Errorf("a shorter vector is kept: %v", got)
	}
	if got := Shorten([]float64{0, 0, 0}, 2); len(got) != 2 || got[0] != 0 {
		t.Errorf("zero vector: %v", got)
	}
}

func TestParseOptions(t *testing.T) {
	cases := map[string]struct {
		body string
		want Options
		err  string
	}{
		"default":    {`{"model":"m","input":"x"}`, Options{Format: Float}, ""},
		"base64":     {`{"encoding_format":"base64","dimensions":256}`, Options{Format: Base64, Dimensions: 256}, ""},
		"float":      {`{"encoding_format":"float"}`, Options{Format: Float}, ""},
		"bad format": {`{"encoding_format":"binary"}`, Options{}, "encoding_format"},
		"zero dims":  {`{"dimensions":0}`, Options{}, "dimensions"},
		"huge dims":  {`{"dimensions":99999999999}`, Options{}, "dimensions"},
		"not JSON":   {`{`, Options{}, "not a valid"},
	}
	for name, c := range cases {
		got, err := ParseOptions([]byte(c.body))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err %v, want %q", name, err, c.err)
		case c.err == "" && (err != nil || got != c.want):
			t.Errorf("%s: %+v %v, want %+v", name, got, err, c.want)
		}
	}
}
