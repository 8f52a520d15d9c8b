package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
)

// A consumer's own vendor key (BYOK) for provider b: its requests to b
// carry its key, never the provider's; they count against its request
// limit but cost $0; the key is in no log line.
func TestBYOK(t *testing.T) {
	const own = "sk-own-key-of-team-a"
	tr := newTrioWith(t, nil, func(c *config.Config) {
		c.Consumers[0].BYOK = []config.BYOKKey{{Provider: "b", APIKey: own}}
		c.Policies = []config.Policy{{Name: "two", Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 2}}}}
		c.Consumers[0].Policies = []string{"two"}
	})
	body := chatBody(false, `,"provider":{"only":["b"]}`)
	resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, mockUsage)
	var v struct {
		Usage struct {
			Cost   *float64 `json:"cost"`
			IsBYOK bool     `json:"is_byok"`
		} `json:"usage"`
	}
	out := okJSON(t, resp, &v)
	if v.Usage.Cost == nil || *v.Usage.Cost != 0 || !v.Usage.IsBYOK || resp.Header.Get(HeaderBYOK) != "true" || resp.Header.Get(HeaderCost) != "0" {
		t.Errorf("cost %v byok %v headers %v: %s", v.Usage.Cost, v.Usage.IsBYOK, resp.Header, out)
	}
	last, _ := tr.ub.Last()
	if got := last.Header.Get("Authorization"); got != "Bearer "+own {
		t.Errorf("b got Authorization %q", got)
	}
	// Provider a has no key of the consumer's: the provider's own key, priced.
	resp = tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, chatBody(false, ""), mockUsage)
	if out := readAll(t, resp); resp.StatusCode != 200 || resp.Header.Get(HeaderBYOK) != "" || resp.Header.Get(HeaderCost) != "0.02" {
		t.Errorf("a: status %d byok %q cost %q: %s", resp.StatusCode, resp.Header.Get(HeaderBYOK), resp.Header.Get(HeaderCost), out)
	}
	if last, _ := tr.ua.Last(); last.Header.Get("Authorization") != "Bearer sk-vendor-a" {
		t.Errorf("a got Authorization %q", last.Header.Get("Authorization"))
	}
	// The BYOK request counted: the third request of the minute is refused.
	resp = tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, nil)
	if out := readAll(t, resp); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third: status %d: %s", resp.StatusCode, out)
	}
	logs := tr.g.logs.String()
	if strings.Contains(logs, own) || !strings.Contains(logs, `"byok":true`) {
		t.Errorf("logs hold the key or miss the byok flag:\n%s", logs)
	}
}

func TestBYOKValidation(t *testing.T) {
	cfg, _ := baseConfig(t, []config.Provider{{Name: "a", Type: config.ProviderMock}}, config.Backend{Provider: "a"})
	cfg.Consumers[0].BYOK = []config.BYOKKey{{Provider: "a", APIKey: "k"}, {Provider: "nope", APIKey: "k"}}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "takes no API key") || !strings.Contains(err.Error(), `unknown provider "nope"`) {
		t.Errorf("validate: %v", err)
	}
	cfg.BYOKHeaderKeys = &config.BYOKHeaderKeys{Providers: []string{"a", "gone"}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `byokHeaderKeys.providers[0]: provider "a" of type Mock takes no API key`) ||
		!strings.Contains(err.Error(), `byokHeaderKeys.providers[1]: unknown provider "gone"`) {
		t.Errorf("validate header keys: %v", err)
	}
	r := cfg.Redacted("x")
	if r.Consumers[0].BYOK[0].APIKey != "x" || cfg.Consumers[0].BYOK[0].APIKey != "k" {
		t.Errorf("redacted %q, original %q", r.Consumers[0].BYOK[0].APIKey, cfg.Consumers[0].BYOK[0].APIKey)
	}
}

// A consumer whose every backend of the route is its own key (BYOK) is
// never refused for cost, however tight its budget and however large its
// requests' priced estimates: admission reserves nothing against the
// budget. Its requests and tokens limits still hold, and the budget still
// refuses its calls to a backend the gateway pays for.
func TestBYOKNeverExhaustsTheBudget(t *testing.T) {
	tr := newTrioWith(t, nil, func(c *config.Config) {
		c.Consumers[0].BYOK = []config.BYOKKey{{Provider: "a", APIKey: "sk-own-a"}, {Provider: "b", APIKey: "sk-own-b"}}
		c.Routes[1].Backends[0].Pricing = config.Pricing{InputPerMillion: 1, OutputPerMillion: 2}
		c.Policies = []config.Policy{{Name: "tight", Budget: &config.Budget{AmountUSD: 0.0001, Window: config.BudgetMonth},
			Limits: []config.Limit{{Window: config.D(time.Minute), Requests: 7}, {Window: config.D(time.Hour), Tokens: 9000}}}}
		c.Consumers[0].Policies = []string{"tight"}
	})
	// Each request reserves 1000 output tokens (0.02 USD priced on a, two
	// hundred times the budget) and settles the 1500 tokens reported.
	body := chatBody(false, `,"max_tokens":1000`)
	for i := range 6 {
		resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, mockUsage)
		if out := readAll(t, resp); resp.StatusCode != 200 || resp.Header.Get(HeaderBYOK) != "true" || resp.Header.Get(HeaderCost) != "0" {
			t.Fatalf("request %d: status %d byok %q cost %q: %s", i, resp.StatusCode, resp.Header.Get(HeaderBYOK), resp.Header.Get(HeaderCost), out)
		}
	}
	// 9000 tokens are spent: the seventh is refused by the tokens limit,
	// not the budget.
	resp := tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, body, mockUsage)
	if out := readAll(t, resp); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(out, "9000 tokens per 1h") {
		t.Errorf("seventh: status %d: %s", resp.StatusCode, out)
	}
	// A call to a backend it has no key for is priced and refused by the
	// budget.
	resp = tr.g.do(t, http.MethodPost, "/v1/chat/completions", tr.key, strings.Replace(body, `"model":"m"`, `"model":"other"`, 1), mockUsage)
	if out := readAll(t, resp); resp.StatusCode != http.StatusTooManyRequests || errorCode(t, out) != "insufficient_quota" || tr.uc.Count() != 0 {
		t.Errorf("other (no own key): status %d c=%d: %s", resp.StatusCode, tr.uc.Count(), out)
	}
}
