package proxy

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/tollgate-dev/tollgate/internal/activity"
	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/testredis"
)

type generation struct {
	Data activity.Record `json:"data"`
}

// chatText sends one chat call whose user message is text (echoed by the
// mock) and returns its generation id and the answer the client got.
func chatText(t *testing.T, g *gw, key, text string, stream bool, hdr map[string]string) (string, string) {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"model": "m", "stream": stream, "messages": []any{map[string]any{"role": "user", "content": text}}})
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, string(b), hdr)
	answer := readAll(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("chat: %d %s", resp.StatusCode, answer)
	}
	return resp.Header.Get(activity.HeaderGenerationID), answer
}

func bodiesOf(t *testing.T, g *gw, key, id string) (*activity.Record, int) {
	t.Helper()
	var got generation
	c := getJSON(t, g, "/v1/generation?include=bodies&id="+id, key, &got)
	return &got.Data, c
}

// Nothing is captured unless opted in: the record says so, the lookup
// that asks for bodies has none, and the admin's neither.
func TestCaptureOffByDefault(t *testing.T) {
	g, key, _, _ := activityGateway(t, nil)
	id, _ := chatText(t, g, key, "nothing to keep here", false, nil)
	rec, c := bodiesOf(t, g, key, id)
	if c != http.StatusOK || rec.BodiesCaptured || rec.Bodies != nil {
		t.Fatalf("lookup: %d %+v", c, rec)
	}
	adm, err := g.s.Generation(t.Context(), id)
	if err != nil || adm.Bodies != nil || adm.BodiesCaptured {
		t.Fatalf("admin lookup: %v %+v", err, adm)
	}
	if c := getJSON(t, g, "/v1/generation?include=headers&id="+id, key, &generation{}); c != http.StatusBadRequest {
		t.Errorf("include=headers: %d, want 400", c)
	}
}

// A consumer that opts in gets its request and answer kept, streams as
// their raw events, each cut at the cap with a flag; another consumer
// neither reads them nor is captured; they expire at the capture's
// retention while the record stays.
func TestCaptureConsumerOptIn(t *testing.T) {
	const cap = 2048
	g, key, other, clock := activityGateway(t, func(c *config.Config) {
		c.Consumers[0].Capture = &config.BodyCapture{Enabled: true, MaxBytes: cap, Retention: config.D(time.Hour)}
	})
	id, answer := chatText(t, g, key, "keep these words", false, nil)
	rec, c := bodiesOf(t, g, key, id)
	if c != http.StatusOK || !rec.BodiesCaptured || rec.Bodies == nil {
		t.Fatalf("lookup: %d %+v", c, rec)
	}
	b := rec.Bodies
	if !strings.Contains(b.Request, `"content":"keep these words"`) || b.RequestTruncated || b.Response != answer || b.ResponseTruncated {
		t.Errorf("bodies: %+v (answer %s)", b, answer)
	}
	if strings.Contains(b.Request+b.Response, key) {
		t.Error("the capture holds the key")
	}
	if want := clock.Load()/1e6 + time.Hour.Milliseconds(); b.ExpiresAt < want-1000 || b.ExpiresAt > want+1000 {
		t.Errorf("expires at %d, want about %d", b.ExpiresAt, want)
	}
	// The other consumer cannot read it, and is not captured itself.
	if _, code := bodiesOf(t, g, other, id); code != http.StatusNotFound {
		t.Errorf("team-b reads team-a's bodies: %d", code)
	}
	oid, _ := chatText(t, g, other, "not kept", false, nil)
	if r, _ := bodiesOf(t, g, other, oid); r.BodiesCaptured || r.Bodies != nil {
		t.Errorf("team-b was captured: %+v", r)
	}
	// Lists never carry bodies.
	var l struct {
		Data []map[string]any `json:"data"`
	}
	if getJSON(t, g, "/v1/activity", key, &l); len(l.Data) != 1 || l.Data[0]["bodies"] != nil || l.Data[0]["bodies_captured"] != true {
		t.Errorf("list: %+v", l.Data)
	}

	// A stream: the raw events, up to the cap.
	sid, sanswer := chatText(t, g, key, "stream me", true, nil)
	if r, _ := bodiesOf(t, g, key, sid); r.Bodies == nil || r.Bodies.Response != sanswer || !strings.Contains(r.Bodies.Response, "data: [DONE]") {
		t.Errorf("stream capture: %+v", r.Bodies)
	}
	// Longer than the cap: cut, flagged.
	long := strings.Repeat("lorem ipsum ", 400)
	lid, lanswer := chatText(t, g, key, long, false, nil)
	lr, _ := bodiesOf(t, g, key, lid)
	if lb := lr.Bodies; lb == nil || !lb.RequestTruncated || !lb.ResponseTruncated || len(lb.Request) != cap || len(lb.Response) != cap ||
		!strings.HasPrefix(lanswer, lb.Response) {
		t.Errorf("long capture: %+v", lr.Bodies)
	}
	// Past the capture's retention the bodies are gone, the record is not.
	clock.Add(int64(time.Hour + time.Minute))
	r, c := bodiesOf(t, g, key, id)
	if c != http.StatusOK || r.Bodies != nil || !r.BodiesCaptured {
		t.Errorf("after the capture's retention: %d %+v", c, r)
	}
	if adm, err := g.s.Generation(t.Context(), id); err != nil || adm.Bodies != nil {
		t.Errorf("admin after the retention: %v %+v", err, adm)
	}
}

// The gateway's capture applies to every consumer but one that opts out;
// its cap bounds a consumer's larger one.
func TestCaptureGatewayWide(t *testing.T) {
	g, key, other, _ := activityGateway(t, func(c *config.Config) {
		c.Activity.Capture = &config.BodyCapture{Enabled: true, MaxBytes: 64}
		c.Consumers[0].Capture = &config.BodyCapture{Enabled: true, MaxBytes: 4096}
		c.Consumers[1].Capture = &config.BodyCapture{Enabled: false}
	})
	id, _ := chatText(t, g, key, strings.Repeat("x", 200), false, nil)
	if r, _ := bodiesOf(t, g, key, id); r.Bodies == nil || len(r.Bodies.Request) != 64 || !r.Bodies.RequestTruncated {
		t.Errorf("team-a: %+v", r.Bodies)
	}
	oid, _ := chatText(t, g, other, "opted out", false, nil)
	if r, _ := bodiesOf(t, g, other, oid); r.BodiesCaptured || r.Bodies != nil {
		t.Errorf("team-b opted out yet was captured: %+v", r)
	}
}

// A capture is masked by the consumer's guardrails: the card the client
// got back in its answer, and the secret of a refused request, are never
// kept.
func TestCaptureMaskedByGuardrails(t *testing.T) {
	g, key, _, _ := activityGateway(t, func(c *config.Config) {
		c.Consumers[0].Capture = &config.BodyCapture{Enabled: true}
		c.Guardrails = []config.Guardrail{{Name: "pii", Rules: []config.GuardrailRule{
			{Detector: "CreditCard", Action: "Mask"}, {Detector: "Secret", Action: "Block"}}}}
	})
	id, answer := chatText(t, g, key, "my card is "+testCard, false, nil)
	if !strings.Contains(answer, testCard) {
		t.Fatalf("the client's answer lost its card: %s", answer)
	}
	r, _ := bodiesOf(t, g, key, id)
	if r.Bodies == nil || strings.Contains(r.Bodies.Request+r.Bodies.Response, "4111") ||
		!placeholderRe.MatchString(r.Bodies.Request) || !placeholderRe.MatchString(r.Bodies.Response) {
		t.Errorf("masked capture: %+v", r.Bodies)
	}
	resp := g.do(t, http.MethodPost, "/v1/chat/completions", key, `{"model":"m","messages":[{"role":"user","content":"my key is AKIAIOSFODNN7EXAMPLE"}]}`, nil)
	readAll(t, resp)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("secret: %d", resp.StatusCode)
	}
	br, _ := bodiesOf(t, g, key, resp.Header.Get(activity.HeaderGenerationID))
	if br.Bodies == nil || strings.Contains(br.Bodies.Request, "AKIA") || !strings.Contains(br.Bodies.Request, "my key is [") {
		t.Errorf("blocked capture: %+v", br.Bodies)
	}
}

// With limits in Redis the bodies live in Redis, under one key expiring
// at the capture's retention, read from another replica; the record and
// the streams never hold them.
func TestCaptureInRedis(t *testing.T) {
	rd := testredis.Start(t)
	gws, key, _ := redisReplicas(t, 2, rd, config.Policy{Name: "std", Limits: []config.Limit{{Window: config.D(time.Hour), Requests: 100}}}, config.FailClosed)
	for _, g := range gws {
		cfg := *g.s.Config()
		cfg.Consumers = append([]config.Consumer(nil), cfg.Consumers...)
		cfg.Consumers[0].Capture = &config.BodyCapture{Enabled: true, Retention: config.D(30 * time.Minute)}
		if err := g.s.Load(&cfg); err != nil {
			t.Fatal(err)
		}
	}
	id, answer := chatText(t, gws[0], key, "kept in redis 7f3a", false, nil)
	var r *activity.Record
	eventually(t, 10*time.Second, "the bodies on the other replica", func() bool {
		var c int
		r, c = bodiesOf(t, gws[1], key, id)
		return c == http.StatusOK && r.Bodies != nil
	})
	if r.Bodies.Response != answer || !strings.Contains(r.Bodies.Request, "kept in redis 7f3a") {
		t.Errorf("bodies from redis: %+v", r.Bodies)
	}
	rc := redis.NewClient(&redis.Options{Addr: rd.Addr})
	t.Cleanup(func() { _ = rc.Close() })
	keys, err := rc.Keys(t.Context(), "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	holders := 0
	for _, k := range keys {
		var v string
		switch rc.Type(t.Context(), k).Val() {
		case "string":
			v = rc.Get(t.Context(), k).Val()
		case "stream":
			for _, m := range rc.XRange(t.Context(), k, "-", "+").Val() {
				b, _ := json.Marshal(m.Values)
				v += string(b)
			}
		}
		if !strings.Contains(v, "7f3a") {
			continue
		}
		holders++
		if !strings.HasSuffix(k, "body/"+id) {
			t.Errorf("%s holds the body", k)
		}
		if ttl := rc.PTTL(t.Context(), k).Val(); ttl <= 29*time.Minute || ttl > 30*time.Minute {
			t.Errorf("%s expires in %s, want 30m", k, ttl)
		}
	}
	if holders != 1 {
		t.Errorf("%d keys hold the body, want 1", holders)
	}
}

// A configured app header names the app before X-Title; without it the
// attribution headers still do.
func TestAppHeader(t *testing.T) {
	g, key, _, _ := activityGateway(t, func(c *config.Config) { c.Activity.AppHeader = "X-Acme-App" })
	id, _ := chat(t, g, key, "m", false, map[string]string{"X-Acme-App": "acme-cli", "X-Title": "Other"})
	var got generation
	if getJSON(t, g, "/v1/generation?id="+id, key, &got); got.Data.App != "acme-cli" {
		t.Errorf("app from the configured header: %q", got.Data.App)
	}
	id, _ = chat(t, g, key, "m", false, map[string]string{"X-Title": "Other"})
	if getJSON(t, g, "/v1/generation?id="+id, key, &got); got.Data.App != "Other" {
		t.Errorf("app without the configured header: %q", got.Data.App)
	}
}
