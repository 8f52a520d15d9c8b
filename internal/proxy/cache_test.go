package proxy

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// cachedGateway has the response cache on, two consumers (keys returned
// in order team-a, team-b) on a priced route and a policy of 4 requests
// an hour for team-a.
func cachedGateway(t *testing.T, scope string) (*gw, *mockup.Server, string, string) {
	t.Helper()
	cfg, up, keyA, keyB := cachedConfig(t, scope, nil)
	return startGateway(t, cfg), up, keyA, keyB
}

// cachedConfig is cachedGateway's config, its limits (and so its cache)
// in rd when not nil.
func cachedConfig(t *testing.T, scope string, rd *testredis.Server) (*config.Config, *mockup.Server, string, string) {
	t.Helper()
	up := mockup.New(t)
	cfg, keyA := baseConfig(t, []config.Provider{upstreamProvider("p", up)},
		config.Backend{Provider: "p", UpstreamModel: "u", Pricing: config.Pricing{InputPerMillion: 1000, OutputPerMillion: 2000}})
	keyB, kb := newKey(t)
	cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "team-b", Keys: []config.Key{kb}})
	cfg.Policies = []config.Policy{{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 4}}}}
	cfg.Consumers[0].Policies = []string{"std"}
	cfg.ResponseCache = config.ResponseCache{Enabled: true, Scope: scope}
	if rd != nil {
		cfg.Limits = config.LimitsStore{Type: config.StoreRedis, FailureMode: config.FailClosed,
			Redis: &config.Redis{Addresses: []string{rd.Addr}, Timeout: config.D(2 * time.Second)}}
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	return cfg, up, keyA, keyB
}

// firstMiss sends the chat body as key to g, the cache's first sight of
// it, and wants a 200 the cache missed; it returns the answer.
func firstMiss(t *testing.T, g *gw, key, body string) string {
	t.Helper()
	resp := g.do(t, "POST", "/v1/chat/completions", key, body, nil)
	answer := readAll(t, resp)
	if resp.StatusCode != http.StatusOK || resp.Header.Get(HeaderCache) != "miss" {
		t.Fatalf("%s, first sight: %d %s %q", g.url, resp.StatusCode, resp.Header.Get(HeaderCache), answer)
	}
	return answer
}

// TestCacheRedisTwoReplicas: two replicas sharing a real Redis share the
// cache: an answer one stored is served by the other, byte for byte,
// whole and streamed, at no cost; the hits count against the shared
// request limit; another consumer and a no-store request are never
// served it.
func TestCacheRedisTwoReplicas(t *testing.T) {
	rd := testredis.Start(t)
	cfg, up, keyA, keyB := cachedConfig(t, "", rd)
	r0, r1 := startGateway(t, cfg), startGateway(t, cfg)
	for _, stream := range []bool{false, true} {
		n0 := up.Count()
		firstBody := firstMiss(t, r0, keyA, chatBody(stream, ""))
		hit := r1.do(t, "POST", "/v1/chat/completions", keyA, chatBody(stream, ""), nil)
		if hitBody := readAll(t, hit); hit.Header.Get(HeaderCache) != "hit" || hitBody != firstBody {
			t.Fatalf("stream %v: replica 1: %d %s\n%q\n%q", stream, hit.StatusCode, hit.Header.Get(HeaderCache), hitBody, firstBody)
		}
		if got := up.Count() - n0; got != 1 {
			t.Fatalf("stream %v: %d upstream requests, want 1", stream, got)
		}
		other := r1.do(t, "POST", "/v1/chat/completions", keyB, chatBody(stream, ""), nil)
		if readAll(t, other); other.Header.Get(HeaderCache) != "miss" || up.Count()-n0 != 2 {
			t.Fatalf("team-b: %s, %d upstream", other.Header.Get(HeaderCache), up.Count()-n0)
		}
	}
	// team-b's no-store request goes upstream and stores nothing.
	n0 := up.Count()
	ns := r0.do(t, "POST", "/v1/chat/completions", keyB, chatBody(false, ""), map[string]string{"Cache-Control": "no-store"})
	if readAll(t, ns); ns.Header.Get(HeaderCache) != "bypass" || up.Count() != n0+1 {
		t.Fatalf("no-store: %s, %d upstream", ns.Header.Get(HeaderCache), up.Count()-n0)
	}
	// team-a made 2 misses on replica 0 and 2 hits on replica 1 of its 4
	// requests an hour, counted in the shared Redis: a fifth is refused
	// on either replica.
	for i, g := range []*gw{r0, r1} {
		if r := g.do(t, "POST", "/v1/chat/completions", keyA, chatBody(false, ""), nil); r.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("replica %d, fifth request: %d %s", i, r.StatusCode, readAll(t, r))
		}
	}
	hits := 0
	for _, line := range strings.Split(r1.logs.String(), "\n") {
		if strings.Contains(line, `"cached":true`) {
			hits++
			if !strings.Contains(line, `"cost_usd":0,`) || !strings.Contains(line, `"backend":"cache"`) {
				t.Fatalf("a hit was charged: %s", line)
			}
		}
	}
	if hits != 2 {
		t.Fatalf("%d hits logged on replica 1, want 2", hits)
	}
}

func TestCacheHit(t *testing.T) {
	g, up, keyA, keyB := cachedGateway(t, "")
	for _, stream := range []bool{false, true} {
		n0 := up.Count()
		firstBody := firstMiss(t, g, keyA, chatBody(stream, ""))
		// The same request written another way is the same request.
		again := strings.Replace(chatBody(stream, ""), `{"model":"m",`, "{ \"model\" : \"m\" ,\n", 1)
		hit := g.do(t, "POST", "/v1/chat/completions", keyA, again, nil)
		hitBody := readAll(t, hit)
		if hit.Header.Get(HeaderCache) != "hit" || hitBody != firstBody {
			t.Fatalf("stream %v: second: %s\n%q\n%q", stream, hit.Header.Get(HeaderCache), hitBody, firstBody)
		}
		if stream && (hit.Header.Get("Content-Type") != "text/event-stream" || len(events(hitBody)) < 3) {
			t.Fatalf("a stream was not replayed as one: %s %q", hit.Header.Get("Content-Type"), hitBody)
		}
		if got := up.Count() - n0; got != 1 {
			t.Fatalf("stream %v: %d upstream requests, want 1", stream, got)
		}
		// Another consumer is never served team-a's answer.
		other := g.do(t, "POST", "/v1/chat/completions", keyB, chatBody(stream, ""), nil)
		readAll(t, other)
		if other.Header.Get(HeaderCache) != "miss" || up.Count()-n0 != 2 {
			t.Fatalf("team-b: %s, %d upstream", other.Header.Get(HeaderCache), up.Count()-n0)
		}
	}
	// The hits counted against team-a's 4 requests an hour: 2 misses, 2
	// hits, so a fifth is refused.
	if r := g.do(t, "POST", "/v1/chat/completions", keyA, chatBody(false, ""), nil); r.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("fifth request: %d %s", r.StatusCode, readAll(t, r))
	}
	// Hits cost nothing and are flagged in the log and the metrics.
	var hits int
	for _, line := range strings.Split(g.logs.String(), "\n") {
		if strings.Contains(line, `"cached":true`) {
			hits++
			if !strings.Contains(line, `"cost_usd":0,`) || !strings.Contains(line, `"input_tokens":0,`) || !strings.Contains(line, `"backend":"cache"`) {
				t.Fatalf("a hit was charged: %s", line)
			}
		} else if strings.Contains(line, `"msg":"request"`) && strings.Contains(line, `"status":200`) && strings.Contains(line, `"cost_usd":0,`) {
			t.Fatalf("a miss cost nothing: %s", line)
		}
	}
	if hits != 2 {
		t.Fatalf("%d cached log lines, want 2", hits)
	}
	if n := counterValue(t, g, "tollgate_response_cache_lookups_total", `result="hit"`); n != 2 {
		t.Fatalf("hit metric %v", n)
	}
	if n := counterValue(t, g, "tollgate_cost_usd_total", `backend="cache"`); n != 0 {
		t.Fatalf("cost of hits %v", n)
	}
}

// TestCacheControl: no-store neither reads nor writes the cache;
// no-cache does not read it but refreshes it.
func TestCacheControl(t *testing.T) {
	g, up, _, keyB := cachedGateway(t, "")
	body := chatBody(false, "")
	readAll(t, g.do(t, "POST", "/v1/chat/completions", keyB, body, nil))
	r := g.do(t, "POST", "/v1/chat/completions", keyB, body, map[string]string{"Cache-Control": "no-store"})
	readAll(t, r)
	if r.Header.Get(HeaderCache) != "bypass" || up.Count() != 2 {
		t.Fatalf("no-store: %s, %d upstream", r.Header.Get(HeaderCache), up.Count())
	}
	r = g.do(t, "POST", "/v1/chat/completions", keyB, body, map[string]string{"Cache-Control": "max-age=0, no-cache"})
	readAll(t, r)
	if r.Header.Get(HeaderCache) != "miss" || up.Count() != 3 {
		t.Fatalf("no-cache: %s, %d upstream", r.Header.Get(HeaderCache), up.Count())
	}
	r = g.do(t, "POST", "/v1/chat/completions", keyB, body, nil)
	readAll(t, r)
	if r.Header.Get(HeaderCache) != "hit" || up.Count() != 3 {
		t.Fatalf("after: %s, %d upstream", r.Header.Get(HeaderCache), up.Count())
	}
	// A failed answer is not stored.
	fail := map[string]string{"X-Mock-Status": "400"}
	readAll(t, g.do(t, "POST", "/v1/chat/completions", keyB, chatBody(false, `,"user":"x"`), fail))
	r = g.do(t, "POST", "/v1/chat/completions", keyB, chatBody(false, `,"user":"x"`), nil)
	readAll(t, r)
	if r.Header.Get(HeaderCache) != "miss" {
		t.Fatalf("a failure was cached: %s", r.Header.Get(HeaderCache))
	}
}

// TestCacheShared: with scope Shared, consumers share answers.
func TestCacheShared(t *testing.T) {
	g, up, keyA, keyB := cachedGateway(t, config.CacheScopeShared)
	a := readAll(t, g.do(t, "POST", "/v1/chat/completions", keyA, chatBody(false, ""), nil))
	r := g.do(t, "POST", "/v1/chat/completions", keyB, chatBody(false, ""), nil)
	if b := readAll(t, r); b != a || r.Header.Get(HeaderCache) != "hit" || up.Count() != 1 {
		t.Fatalf("shared: %s %d", r.Header.Get(HeaderCache), up.Count())
	}
}
