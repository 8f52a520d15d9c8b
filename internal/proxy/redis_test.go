package proxy

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// redisReplicas starts n gateways serving one config whose limits live in
// rd: replicas of one AIGateway. opts apply to every replica.
func redisReplicas(t *testing.T, n int, rd *testredis.Server, p config.Policy, mode config.FailureMode, opts ...limits.Option) ([]*gw, string, *mockup.Server) {
	t.Helper()
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Policies = []config.Policy{p}
	cfg.Consumers[0].Policies = []string{p.Name}
	// A generous store timeout: the race detector on a shared machine must
	// not be mistaken for a Redis outage.
	cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: mode,
		Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var gws []*gw
	for range n {
		g := startGateway(t, cfg, withLimitOpts(opts...))
		gws = append(gws, g)
	}
	return gws, key, up
}

// Row 26: two replicas on one Redis enforce one global limit.
func TestRedisTwoReplicasOneLimit(t *testing.T) {
	rd := testredis.Start(t)
	gws, key, _ := redisReplicas(t, 2, rd, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 5}}},
		config.FailClosed, frozen())
	ok, limited := 0, 0
	for i := range 8 {
		resp := gws[i%2].do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
		body := readAll(t, resp)
		switch resp.StatusCode {
		case 200:
			ok++
		case http.StatusTooManyRequests:
			limited++
		default:
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
	}
	if ok != 5 || limited != 3 {
		t.Errorf("admitted %d, limited %d; want 5 and 3 across both replicas", ok, limited)
	}
	// Both replicas report the same shared usage. Settlements are written
	// in the background: a replica's /usage flushes its own queue, the
	// other replica's lands a moment later.
	var a, b config.ConsumerUsage
	eventually(t, 5*time.Second, "both replicas' settlements", func() bool {
		a, b = usageOf(t, gws[0].s, "team-a"), usageOf(t, gws[1].s, "team-a")
		return a.OutputTokens == 5*mockOut && b.OutputTokens == a.OutputTokens
	})
	if a.Requests != 5 || a.Requests != b.Requests || a.InputTokens != b.InputTokens || a.OutputTokens != 5*mockOut {
		t.Errorf("usage differs or is wrong: %+v vs %+v", a, b)
	}
}

// Row 26: a concurrent burst of 50 over two replicas against a small token
// limit admits exactly what fits, because admission reserves the estimate.
func TestRedisBurstAdmitsOnlyWhatFits(t *testing.T) {
	rd := testredis.Start(t)
	body := chatBody(true, `,"max_tokens":100`)
	per := limits.EstimateTokens([]byte(body)) + 100
	const fit = 7
	gws, key, up := redisReplicas(t, 2, rd, config.Policy{Name: "tok", Limits: []config.Limit{{Window: config.D(time.Hour), Tokens: fit*per + per/2}}},
		config.FailClosed, frozen())
	// Admitted streams hold at their first chunk until released, so no
	// settlement frees room during the burst.
	hdr := map[string]string{"x-mock-chunks": "2", "x-mock-step": "burst"}
	admitted, limited := burst(t, 50, func(i int) *http.Response {
		return gws[i%2].do(t, http.MethodPost, "/v1/chat/completions", key, body, hdr)
	})
	if len(admitted) != fit || limited != 50-fit {
		t.Errorf("admitted %d, limited %d; want exactly %d and %d", len(admitted), limited, fit, 50-fit)
	}
	for range admitted {
		up.Step("burst") <- struct{}{}
	}
	finishStreams(t, admitted)
	// Settlements are written in the background, each replica's own: wait
	// for both replicas' to land, then check the totals exactly.
	var u config.ConsumerUsage
	eventually(t, 5*time.Second, "both replicas' settlements", func() bool {
		u = usageOf(t, gws[0].s, "team-a")
		return u.OutputTokens <= fit*2
	})
	if u.Requests != fit || u.OutputTokens != fit*2 {
		t.Errorf("usage after the burst %+v, want %d requests of 2 output tokens", u, fit)
	}
}

// Row 25: Redis SIGKILLed: fail open serves (degraded), fail closed answers
// 503; both recover when Redis is back.
func TestRedisDownAndBack(t *testing.T) {
	p := config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 1000}}}
	for _, mode := range []config.FailureMode{config.FailOpen, config.FailClosed} {
		t.Run(string(mode), func(t *testing.T) {
			rd := testredis.Start(t)
			gws, key, _ := redisReplicas(t, 1, rd, p, mode, limits.WithBackoff(10*time.Millisecond))
			g := gws[0]
			chat := func() (*http.Response, string) {
				resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil)
				return resp, readAll(t, resp)
			}
			if resp, body := chat(); resp.StatusCode != 200 || resp.Header.Get(limits.HeaderDegraded) != "" {
				t.Fatalf("healthy: %d %v %s", resp.StatusCode, resp.Header, body)
			}
			rd.Kill()
			resp, body := chat()
			switch mode {
			case config.FailOpen:
				if resp.StatusCode != 200 || resp.Header.Get(limits.HeaderDegraded) != "degraded" {
					t.Fatalf("fail open: %d %v %s", resp.StatusCode, resp.Header, body)
				}
			case config.FailClosed:
				if resp.StatusCode != http.StatusServiceUnavailable || errorCode(t, body) != "ratelimit_unavailable" ||
					resp.Header.Get("Retry-After") == "" || resp.Header.Get(limits.HeaderDegraded) != "degraded" {
					t.Fatalf("fail closed: %d %v %s", resp.StatusCode, resp.Header, body)
				}
			}
			code, _, ubody := usageReportOf(t, g.s)
			var e struct {
				Error struct{ Code string } `json:"error"`
			}
			if code != http.StatusServiceUnavailable || json.Unmarshal([]byte(ubody), &e) != nil || e.Error.Code != "usage_unavailable" {
				t.Errorf("/usage with Redis down: %d %s", code, ubody)
			}
			rd.Restart()
			eventually(t, 10*time.Second, "recovery after Redis returns", func() bool {
				resp, _ := chat()
				return resp.StatusCode == 200 && resp.Header.Get(limits.HeaderDegraded) == ""
			})
			if code, _, ubody := usageReportOf(t, g.s); code != 200 {
				t.Errorf("/usage after recovery: %d %s", code, ubody)
			}
		})
	}
}
