package proxy

import (
	"bufio"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// Issue 12 item 1: a request with max_tokens 2^63-1 held in flight, then a
// burst of 50, against 3,000 tokens an hour: admission reserves at most
// the model's maxOutputTokens for the held one, and the burst gets exactly
// what is left, on the Local and on the Redis store.
func TestOverflowMaxTokensCannotBypassLimit(t *testing.T) {
	const limit, modelMax = 3000, 1000
	for _, store := range []string{"local", "redis"} {
		t.Run(store, func(t *testing.T) {
			up := mockup.New(t)
			prov := upstreamProvider("a", up)
			// The held stream waits for the whole burst: no idle cut meanwhile.
			prov.Timeouts.Idle = config.D(time.Minute)
			cfg, key := baseConfig(t, []config.Provider{prov}, config.Backend{Provider: "a", UpstreamModel: "m"})
			cfg.Models = []config.Model{{Name: "m", Provider: "a", UpstreamModel: "m", MaxOutputTokens: modelMax}}
			cfg.Policies = []config.Policy{{Name: "tok", Limits: []config.Limit{{Window: config.D(time.Hour), Tokens: limit}}}}
			cfg.Consumers[0].Policies = []string{"tok"}
			if store == "redis" {
				rd := testredis.Start(t)
				cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
					Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
			}
			cfg.Default()
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			g := startGateway(t, cfg, withLimitOpts(frozen()))
			hold := map[string]string{"x-mock-chunks": "2", "x-mock-step": "held"}

			huge := chatBody(true, `,"max_tokens":`+strconv.FormatInt(math.MaxInt64, 10))
			held := g.do(t, http.MethodPost, "/v1/chat/completions", key, huge, hold)
			if held.StatusCode != 200 {
				t.Fatalf("held request: %d %s", held.StatusCode, readAll(t, held))
			}
			heldBody := bufio.NewReader(held.Body)
			readEvent(t, heldBody)
			heldEst := limits.EstimateTokens([]byte(huge)) + modelMax

			body := chatBody(true, `,"max_tokens":100`)
			per := limits.EstimateTokens([]byte(body)) + 100
			fit := int((limit - heldEst) / per)
			admitted, limited := burst(t, 50, func(int) *http.Response {
				return g.do(t, http.MethodPost, "/v1/chat/completions", key, body, hold)
			})
			if len(admitted) != fit || limited != 50-fit {
				t.Errorf("admitted %d, limited %d; want exactly %d and %d (limit %d, held %d, each %d)",
					len(admitted), limited, fit, 50-fit, limit, heldEst, per)
			}
			for range len(admitted) + 1 {
				up.Step("held") <- struct{}{}
			}
			finishStreams(t, admitted)
			rest, _ := io.ReadAll(heldBody)
			held.Body.Close()
			if !strings.HasSuffix(string(rest), "data: [DONE]\n\n") {
				t.Errorf("the held stream did not finish: %q", rest)
			}
		})
	}
}
