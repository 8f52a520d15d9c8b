package proxy

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/activity"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

type activityList struct {
	Data []activity.Record `json:"data"`
	Next string            `json:"next_cursor"`
}

// activityGateway serves routes "m" and "m2" to team-a (key) and team-b
// (other), with a clock the test moves.
func activityGateway(t *testing.T, tune func(*config.Config)) (g *gw, key, other string, clock *atomic.Int64) {
	t.Helper()
	up := mockup.New(t)
	cfg, key := baseConfig(t, []config.Provider{upstreamProvider("a", up)}, config.Backend{Provider: "a", UpstreamModel: "m"})
	cfg.Routes = append(cfg.Routes, config.Route{Model: "m2", Backends: []config.Backend{{Provider: "a", UpstreamModel: "m2"}}})
	other, k := newKey(t)
	cfg.Consumers = append(cfg.Consumers, config.Consumer{Name: "team-b", Keys: []config.Key{k}})
	if tune != nil {
		tune(cfg)
	}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	clock = &atomic.Int64{}
	clock.Store(time.Now().UnixNano())
	g = startGateway(t, cfg, func(o *Options) { o.Now = func() time.Time { return time.Unix(0, clock.Load()) } })
	return g, key, other, clock
}

func getJSON(t *testing.T, g *gw, path, key string, v any) int {
	t.Helper()
	resp := g.do(t, http.MethodGet, path, key, "", nil)
	body := readAll(t, resp)
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			t.Fatalf("%s: %v: %s", path, err, body)
		}
	}
	return resp.StatusCode
}

// chat sends one chat call and returns its generation id.
func chat(t *testing.T, g *gw, key, model string, stream bool, hdr map[string]string) (string, int) {
	t.Helper()
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, `{"model":"`+model+`","messages":[{"role":"user","content":"one two three"}]`+map[bool]string{true: `,"stream":true`}[stream]+`}`, hdr)
	readAll(t, resp)
	id := resp.Header.Get(activity.HeaderGenerationID)
	if !activity.ValidID(id) {
		t.Fatalf("answer %d carries generation id %q", resp.StatusCode, id)
	}
	return id, resp.StatusCode
}

// Every answer names its generation; the lookup returns the record to the
// consumer that made it only, with tokens, cost, latency and the app.
func TestGenerationLookup(t *testing.T) {
	g, key, other, _ := activityGateway(t, nil)
	id, code := chat(t, g, key, "m", true, map[string]string{"HTTP-Referer": "https://acme.example/app", "X-Title": "Acme Coder"})
	if code != http.StatusOK {
		t.Fatalf("chat: %d", code)
	}
	var got struct{ Data activity.Record }
	if c := getJSON(t, g, "/v1/generation?id="+id, key, &got); c != http.StatusOK {
		t.Fatalf("lookup: %d", c)
	}
	r := got.Data
	if r.ID != id || r.Consumer != "team-a" || r.Model != "m" || r.Status != 200 || !r.Stream || r.App != "Acme Coder" ||
		r.AppURL != "https://acme.example/app" || r.OutputTokens != mockOut || r.InputTokens == 0 || r.LatencyMS <= 0 || r.Backend == "" {
		t.Errorf("record: %+v", r)
	}
	if c := getJSON(t, g, "/v1/generation?id="+id, other, &got); c != http.StatusNotFound {
		t.Errorf("another consumer's lookup: %d, want 404", c)
	}
	for _, bad := range []string{"", "gen-x", "resp_1", id + "0"} {
		if c := getJSON(t, g, "/v1/generation?id="+bad, key, &got); c != http.StatusNotFound {
			t.Errorf("lookup %q: %d, want 404", bad, c)
		}
	}
	if resp := g.do(t, http.MethodGet, "/v1/generation?id="+id, "", "", nil); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unauthenticated lookup: %d", resp.StatusCode)
	}
	// An error answer carries a generation too, and is recorded.
	id2, code := chat(t, g, key, "not-a-model", false, nil)
	if code < 400 {
		t.Fatalf("unknown model: %d", code)
	}
	if c := getJSON(t, g, "/v1/generation?id="+id2, key, &got); c != http.StatusOK || got.Data.Status != code || got.Data.Error == "" {
		t.Errorf("error record: %d %+v", c, got.Data)
	}
	// The app falls back to the referer's host.
	id3, _ := chat(t, g, key, "m", false, map[string]string{"HTTP-Referer": "https://tool.example/x"})
	if getJSON(t, g, "/v1/generation?id="+id3, key, &got); got.Data.App != "tool.example" {
		t.Errorf("app from referer: %q", got.Data.App)
	}
}

// The activity API filters by model, status, app and time, pages newest
// first, shows a consumer only its own calls, and forgets after the
// retention.
func TestActivityFiltersPagingRetention(t *testing.T) {
	g, key, other, clock := activityGateway(t, nil)
	var ids []string
	for i := range 5 {
		model := "m"
		if i%2 == 1 {
			model = "m2"
		}
		id, _ := chat(t, g, key, model, false, map[string]string{"X-Title": "app" + strconv.Itoa(i%2)})
		ids = append(ids, id)
	}
	bad, _ := chat(t, g, key, "nope", false, nil)
	chat(t, g, other, "m", false, nil)

	var l activityList
	if c := getJSON(t, g, "/v1/activity", key, &l); c != 200 || len(l.Data) != 6 || l.Data[0].ID != bad || l.Data[5].ID != ids[0] {
		t.Fatalf("all: %d %d records %+v", c, len(l.Data), l)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{
		{"model=m2", 2}, {"model=m", 3}, {"status=error", 1}, {"status=ok", 5}, {"status=200", 5}, {"status=2xx", 5},
		{"app=app1", 2}, {"app=app0&model=m", 3}, {"app=none", 0},
		{"from=" + strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), 0},
		{"to=" + time.Now().Add(-time.Hour).Format(time.RFC3339), 0},
	} {
		if c := getJSON(t, g, "/v1/activity?"+tc.q, key, &l); c != 200 || len(l.Data) != tc.want {
			t.Errorf("%s: %d, %d records, want %d", tc.q, c, len(l.Data), tc.want)
		}
	}
	// Paging: two by two, newest first, every record once.
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 5; page++ {
		if c := getJSON(t, g, "/v1/activity?limit=2&cursor="+cursor, key, &l); c != 200 {
			t.Fatalf("page %d: %d", page, c)
		}
		for _, r := range l.Data {
			if seen[r.ID] {
				t.Errorf("page %d repeats %s", page, r.ID)
			}
			seen[r.ID] = true
		}
		if cursor = l.Next; cursor == "" {
			break
		}
	}
	if len(seen) != 6 {
		t.Errorf("paging saw %d records, want 6", len(seen))
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=100000", "status=teapot", "from=yesterday", "cursor=zz"} {
		if c := getJSON(t, g, "/v1/activity?"+q, key, &l); c != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, c)
		}
	}
	if getJSON(t, g, "/v1/activity", other, &l); len(l.Data) != 1 || l.Data[0].Consumer != "team-b" {
		t.Errorf("team-b sees %+v", l.Data)
	}
	// Past the retention nothing is listed or looked up.
	clock.Add(int64(activity.DefaultRetention + time.Minute))
	if getJSON(t, g, "/v1/activity", key, &l); len(l.Data) != 0 {
		t.Errorf("after the retention: %d records", len(l.Data))
	}
	if c := getJSON(t, g, "/v1/generation?id="+ids[0], key, &struct{}{}); c != http.StatusNotFound {
		t.Errorf("lookup after the retention: %d", c)
	}
}

// Two replicas sharing Redis: a generation served by one is looked up and
// listed on the other; the other consumer still cannot see it.
func TestGenerationAcrossReplicas(t *testing.T) {
	rd := testredis.Start(t)
	gws, key, _ := redisReplicas(t, 2, rd, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 100}}}, config.FailClosed)
	var ids []string
	for i := range 3 {
		id, code := chat(t, gws[0], key, "m", i == 1, map[string]string{"X-Title": "replicated"})
		if code != 200 {
			t.Fatalf("chat %d: %d", i, code)
		}
		ids = append(ids, id)
	}
	var got struct{ Data activity.Record }
	// Records are written in the background: the other replica sees them
	// a moment later.
	eventually(t, 10*time.Second, "the generation on the other replica", func() bool {
		return getJSON(t, gws[1], "/v1/generation?id="+ids[2], key, &got) == 200
	})
	if got.Data.ID != ids[2] || got.Data.App != "replicated" || got.Data.OutputTokens != mockOut {
		t.Errorf("record on replica 2: %+v", got.Data)
	}
	var l activityList
	eventually(t, 10*time.Second, "the activity on the other replica", func() bool {
		return getJSON(t, gws[1], "/v1/activity?app=replicated&limit=2", key, &l) == 200 && len(l.Data) == 2 && l.Next != ""
	})
	if l.Data[0].ID != ids[2] || l.Data[1].ID != ids[1] || !l.Data[1].Stream {
		t.Errorf("page 1: %+v", l.Data)
	}
	if getJSON(t, gws[1], "/v1/activity?limit=2&cursor="+l.Next, key, &l); len(l.Data) != 1 || l.Data[0].ID != ids[0] {
		t.Errorf("page 2: %+v", l.Data)
	}
	page, err := gws[1].s.Activity(t.Context(), activity.Filter{})
	if err != nil || len(page.Data) != 3 {
		t.Errorf("admin view: %v, %d records", err, len(page.Data))
	}
}
