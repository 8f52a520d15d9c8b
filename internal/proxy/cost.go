package proxy

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/openai"
)

// HeaderCost is the call's cost in USD, as charged: a response header on
// a whole answer, a trailer on a stream (its value is known at the end).
const HeaderCost = "X-Tollgate-Cost"

// answerCost is what an answer of usage (the upstream's, checked; else
// the estimate settlement uses) costs on b.
func (c *call) answerCost(b *backend, u providers.Usage, answerBytes, chunks int64) float64 {
	if c.byok {
		return 0
	}
	if u.Reported {
		bound := int64(0)
		if e, ok := c.sn.byName[c.model]; ok {
			bound = e.ContextWindow
		}
		u, _ = plausibleUsage(u, bound)
	} else {
		out := (answerBytes + 3) / 4
		if chunks > 0 {
			out = chunks
		}
		u = providers.Usage{InputTokens: c.estimate, OutputTokens: out}
	}
	return costUSD(c.sn.priceOf(b, c.served), u)
}

// formatCost writes a cost in USD as a JSON number, to 12 decimals
// (float noise beyond them dropped).
func formatCost(usd float64) string {
	s := strings.TrimRight(strconv.FormatFloat(usd, 'f', 12, 64), "0")
	return strings.TrimSuffix(s, ".")
}

// withAnswerMeta returns a JSON answer (or stream chunk) with OpenRouter's
// additions: the cost in its usage object and the provider that served at
// its top level. One that is not an object is returned as is.
func withAnswerMeta(answer []byte, cost string, provider string, byok bool) []byte {
	out, err := openai.SetNested(answer, "usage", "cost", []byte(cost))
	if err != nil {
		return answer
	}
	if byok {
		if out, err = openai.SetNested(out, "usage", "is_byok", []byte("true")); err != nil {
			return answer
		}
	}
	if out, err = openai.SetMember(out, "provider", jsonString(provider)); err != nil {
		return answer
	}
	return out
}

// jsonString is s as a JSON string: quoted as is when it needs no escape
// (a provider's name always), else by encoding/json.
func jsonString(s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s) // a string: cannot fail
			return b
		}
	}
	return append(append(append(make([]byte, 0, len(s)+2), '"'), s...), '"')
}
