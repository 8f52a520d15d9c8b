package proxy

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/anthropic"
	"github.com/tollgate-dev/tollgate/internal/providers/bedrock"
	"github.com/tollgate-dev/tollgate/internal/providers/gemini"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// The upstream usage parsers with hostile counts (seed corpora under
// testdata/fuzz: negatives, math.MaxInt64, math.MinInt64, sums that
// overflow): each vendor's parser may refuse a body but never panics, its
// sums never wrap to negative from non-negative counts, and the proxy's
// clamp always yields counts in [0, bound] with cached ≤ input and
// reasoning ≤ output.

func checkUsage(t *testing.T, u providers.Usage, counts ...int64) {
	t.Helper()
	nonNegative := true
	for _, c := range counts {
		nonNegative = nonNegative && c >= 0
	}
	if nonNegative && (u.InputTokens < 0 || u.OutputTokens < 0) {
		t.Fatalf("non-negative counts %v wrapped to %+v", counts, u)
	}
	const bound = 1 << 20
	c, _ := plausibleUsage(u, bound)
	for _, v := range []int64{c.InputTokens, c.OutputTokens, c.CachedInputTokens, c.CacheWriteTokens, c.ReasoningTokens} {
		if v < 0 || v > bound {
			t.Fatalf("clamped usage %+v out of [0, %d] (from %+v)", c, bound, u)
		}
	}
	if c.CachedInputTokens > c.InputTokens || c.ReasoningTokens > c.OutputTokens {
		t.Fatalf("clamped usage %+v: parts above totals", c)
	}
	if cost := costUSD(pricingForFuzz, c); cost < 0 {
		t.Fatalf("negative cost %v from %+v", cost, c)
	}
}

var pricingForFuzz = config.Pricing{InputPerMillion: 3, OutputPerMillion: 15, CachedInputPerMillion: 0.3, CacheWritePerMillion: 3.75}

func FuzzUsageOpenAI(f *testing.F) {
	f.Add(int64(10), int64(3), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, in, out, cached, reasoning int64) {
		body := fmt.Sprintf(`{"object":"chat.completion","choices":[],"usage":{"prompt_tokens":%d,"completion_tokens":%d,`+
			`"prompt_tokens_details":{"cached_tokens":%d},"completion_tokens_details":{"reasoning_tokens":%d}}}`, in, out, cached, reasoning)
		u, err := openai.ParseUsage([]byte(body))
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		checkUsage(t, u, in, out)
		if s, ok := openai.ScanUsage([]byte(body)); !ok || s != u {
			t.Fatalf("ScanUsage %+v %v, ParseUsage %+v", s, ok, u)
		}
	})
}

// fuzzUsage fuzzes a vendor's answer parser with the four counts written
// into format, an answer body, each in its place.
func fuzzUsage(f *testing.F, format string, parse func(body []byte) (providers.Usage, error)) {
	f.Add(int64(10), int64(3), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, a, b, c, d int64) {
		u, err := parse(fmt.Appendf(nil, format, a, b, c, d))
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		checkUsage(t, u, a, b, c, d)
	})
}

// FuzzUsageAnthropic: input, output, cache read and cache write tokens.
func FuzzUsageAnthropic(f *testing.F) {
	fuzzUsage(f, `{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hi"}],`+
		`"stop_reason":"end_turn","usage":{"input_tokens":%d,"output_tokens":%d,"cache_read_input_tokens":%d,"cache_creation_input_tokens":%d}}`,
		func(body []byte) (providers.Usage, error) {
			_, u, err := anthropic.FromMessage(body, time.Unix(0, 0))
			return u, err
		})
}

// FuzzUsageBedrock: input, output, cache read and cache write tokens.
func FuzzUsageBedrock(f *testing.F) {
	fuzzUsage(f, `{"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn",`+
		`"usage":{"inputTokens":%d,"outputTokens":%d,"cacheReadInputTokens":%d,"cacheWriteInputTokens":%d}}`,
		func(body []byte) (providers.Usage, error) {
			_, u, err := bedrock.FromConverse(body, "m", time.Unix(0, 0))
			return u, err
		})
}

// FuzzUsageGemini: prompt, candidates, cached and thoughts tokens.
func FuzzUsageGemini(f *testing.F) {
	fuzzUsage(f, `{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP"}],`+
		`"usageMetadata":{"promptTokenCount":%d,"candidatesTokenCount":%d,"cachedContentTokenCount":%d,"thoughtsTokenCount":%d}}`,
		func(body []byte) (providers.Usage, error) {
			_, u, err := gemini.FromGenerate(body, "m", time.Unix(0, 0))
			return u, err
		})
}

// TestCostPricesCacheReadsAndWrites: of the input, cache reads go at the
// cached price and cache writes at the cache-write price (each the input
// price when unset); reads and writes together never count more than the
// input.
func TestCostPricesCacheReadsAndWrites(t *testing.T) {
	anthropicSonnet := config.Pricing{InputPerMillion: 3, OutputPerMillion: 15, CachedInputPerMillion: 0.3, CacheWritePerMillion: 3.75}
	for _, tc := range []struct {
		name  string
		price config.Pricing
		usage providers.Usage
		want  float64
	}{
		{"reads and writes", anthropicSonnet, providers.Usage{InputTokens: 1_000_000, CachedInputTokens: 300_000, CacheWriteTokens: 200_000, OutputTokens: 100_000},
			(500_000*3 + 300_000*0.3 + 200_000*3.75 + 100_000*15) / 1e6},
		{"write price unset", config.Pricing{InputPerMillion: 3}, providers.Usage{InputTokens: 1_000_000, CacheWriteTokens: 400_000}, 3},
		{"no cache", anthropicSonnet, providers.Usage{InputTokens: 2_000_000}, 6},
		{"more cached than input", anthropicSonnet, providers.Usage{InputTokens: 1_000_000, CachedInputTokens: 800_000, CacheWriteTokens: 800_000},
			(800_000*0.3 + 200_000*3.75) / 1e6},
	} {
		if got := costUSD(tc.price, tc.usage); math.Abs(got-tc.want) > 1e-9 {
			t.Errorf("%s: cost %v, want %v", tc.name, got, tc.want)
		}
	}
}
