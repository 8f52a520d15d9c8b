package proxy

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/apikey"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

// GET /usage answers one bounded page, read from Redis in pipelined
// batches: 2,300 consumers are three pages, every consumer once, and the
// one that called is counted.
func TestUsagePagedFromRedis(t *testing.T) {
	rd := testredis.Start(t)
	gws, key, _ := redisReplicas(t, 1, rd, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 100}}},
		config.FailClosed, frozen())
	g := gws[0]
	cfg := *g.s.Config()
	cfg.Consumers = append([]config.Consumer(nil), cfg.Consumers...)
	for i := range 2299 {
		h := apikey.Hash(fmt.Sprintf("key-%d", i))
		cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: fmt.Sprintf("c%04d", i), Policies: []string{"std"},
			Keys: []config.Key{{ID: "h" + h[:16], SHA256: h}}})
	}
	if err := g.s.Load(&cfg); err != nil {
		t.Fatal(err)
	}
	if resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, chatBody(false, ""), nil); resp.StatusCode != 200 {
		t.Fatalf("chat: %d %s", resp.StatusCode, readAll(t, resp))
	}
	page := func(q string) (int, config.UsageReport) {
		rec := httptest.NewRecorder()
		g.s.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/usage"+q, nil))
		var rep config.UsageReport
		if rec.Code == http.StatusOK {
			if err := json.Unmarshal(rec.Body.Bytes(), &rep); err != nil {
				t.Fatal(err)
			}
		}
		return rec.Code, rep
	}
	seen := map[string]int{}
	offset, pages := 0, 0
	for {
		code, rep := page(fmt.Sprintf("?offset=%d", offset))
		if code != http.StatusOK || rep.Total != 2300 || len(rep.Consumers) > config.UsagePageMax {
			t.Fatalf("page at %d: %d, total %d, %d consumers", offset, code, rep.Total, len(rep.Consumers))
		}
		pages++
		for _, c := range rep.Consumers {
			seen[c.Name]++
			if c.Name == "team-a" && c.Requests != 1 {
				t.Errorf("team-a: %d requests, want 1", c.Requests)
			}
		}
		if rep.Next == 0 {
			break
		}
		offset = rep.Next
	}
	if pages != 3 || len(seen) != 2300 {
		t.Errorf("%d pages, %d consumers", pages, len(seen))
	}
	for n, k := range seen {
		if k != 1 {
			t.Fatalf("%s on %d pages", n, k)
		}
	}
	if code, rep := page("?limit=5000"); code != http.StatusOK || len(rep.Consumers) != config.UsagePageMax || rep.Next != config.UsagePageMax {
		t.Errorf("limit above the maximum: %d, %d consumers, next %d", code, len(rep.Consumers), rep.Next)
	}
	if code, rep := page("?offset=9999"); code != http.StatusOK || len(rep.Consumers) != 0 || rep.Next != 0 {
		t.Errorf("past the end: %d, %d consumers, next %d", code, len(rep.Consumers), rep.Next)
	}
	for _, q := range []string{"?offset=-1", "?limit=0", "?limit=x"} {
		if code, _ := page(q); code != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, code)
		}
	}
}
