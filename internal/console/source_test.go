package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/limits"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
)

type keys struct{ a, b, disabled, expired, admin string }

// testConfig has two providers, a model served by both (route "duo"), a
// glob route, and consumers with different allowed models.
func testConfig(t *testing.T) (*config.Config, keys) {
	t.Helper()
	var ks keys
	var ka, kb, kd, ke, kadm config.Key
	ks.a, ka = proxytest.Key(t)
	ks.b, kb = proxytest.Key(t)
	ks.disabled, kd = proxytest.Key(t)
	ks.expired, ke = proxytest.Key(t)
	ks.admin, kadm = proxytest.Key(t)
	past := time.Now().Add(-time.Hour)
	ke.NotAfter = &past
	cfg := &config.Config{Version: config.SchemaVersion, Gateway: config.GatewayMeta{Name: "gw"},
		Auth:      config.Auth{Mode: config.AuthAPIKey},
		Providers: []config.Provider{{Name: "alpha", Type: config.ProviderMock}, {Name: "beta", Type: config.ProviderMock}},
		Models: []config.Model{
			{Name: "small", Provider: "alpha", ContextWindow: 8000, Pricing: config.Pricing{InputPerMillion: 1, OutputPerMillion: 2},
				Capabilities: []config.Capability{config.CapChat, config.CapStreaming}},
			{Name: "big", Provider: "beta", ContextWindow: 200000, Pricing: config.Pricing{InputPerMillion: 5, OutputPerMillion: 15},
				Capabilities: []config.Capability{config.CapChat, config.CapVision}},
			{Name: "duo", Provider: "alpha", Pricing: config.Pricing{InputPerMillion: 2, OutputPerMillion: 4}},
		},
		Routes: []config.Route{
			{Model: "duo", Backends: []config.Backend{{Provider: "alpha", UpstreamModel: "d"}, {Provider: "beta", UpstreamModel: "d", Priority: 1}}},
			{Model: "routed-only", Backends: []config.Backend{{Provider: "beta", UpstreamModel: "r", Pricing: config.Pricing{InputPerMillion: 7}}}},
		},
		Policies: []config.Policy{{Name: "daily", Budget: &config.Budget{AmountUSD: 100, Window: config.BudgetDay}}},
		Consumers: []config.Consumer{
			{Name: "team-a", Keys: []config.Key{ka}, AllowedModels: []string{"small", "d*"}, Policies: []string{"daily"}},
			{Name: "team-b", Keys: []config.Key{kb}},
			{Name: "gone", Keys: []config.Key{kd}, Disabled: true},
			{Name: "rotated", Keys: []config.Key{ke}},
		},
		Console: config.Console{Enabled: true, AdminKeys: []config.Key{kadm}},
	}
	cfg.Default() // as every config a console reads (the proxy's) is
	return cfg, ks
}

func authReq(key string) *http.Request {
	r := httptest.NewRequest("GET", "/console/api/session", nil)
	if key != "" {
		r.Header.Set("Authorization", "Bearer "+key)
	}
	return r
}

func TestAuthenticateFromConfig(t *testing.T) {
	cfg, ks := testConfig(t)
	d := FromConfig(cfg, nil)
	cases := map[string]struct {
		header string
		want   Principal
		ok     bool
	}{
		"consumer key":         {"Bearer " + ks.a, Principal{Consumer: "team-a"}, true},
		"lower-case bearer":    {"bearer " + ks.b, Principal{Consumer: "team-b"}, true},
		"admin key":            {"Bearer " + ks.admin, Principal{Admin: true}, true},
		"disabled consumer":    {"Bearer " + ks.disabled, Principal{}, false},
		"expired key":          {"Bearer " + ks.expired, Principal{}, false},
		"no key":               {"", Principal{}, false},
		"not bearer":           {"Basic " + ks.a, Principal{}, false},
		"unknown key":          {"Bearer tg-aaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", Principal{}, false},
		"right id, wrong key":  {"Bearer " + flipLast(ks.a), Principal{}, false},
		"any string":           {"Bearer hello", Principal{}, false},
		"oversized":            {"Bearer " + string(make([]byte, 600)), Principal{}, false},
		"key plus extra chars": {"Bearer " + ks.a + "x", Principal{}, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := authReq("")
			if c.header != "" {
				r.Header.Set("Authorization", c.header)
			}
			p, ok := d.Auth.Authenticate(r)
			if ok != c.ok || p != c.want {
				t.Fatalf("got %+v %v, want %+v %v", p, ok, c.want, c.ok)
			}
		})
	}
}

func modelIDs(ms []ModelInfo) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func TestCatalogueFilteredByAllowedModels(t *testing.T) {
	cfg, _ := testConfig(t)
	d := FromConfig(cfg, nil)
	if got := modelIDs(d.Catalog.Models(Principal{Consumer: "team-a"})); !slices.Equal(got, []string{"duo", "small"}) {
		t.Fatalf("team-a sees %v", got)
	}
	all := d.Catalog.Models(Principal{Consumer: "team-b"})
	if got := modelIDs(all); !slices.Equal(got, []string{"big", "duo", "routed-only", "small"}) {
		t.Fatalf("team-b sees %v", got)
	}
	if got := modelIDs(d.Catalog.Models(Principal{Admin: true})); len(got) != 4 {
		t.Fatalf("admin sees %v", got)
	}
	if got := d.Catalog.Models(Principal{Consumer: "nobody"}); len(got) != 0 {
		t.Fatalf("an unknown consumer sees %v", modelIDs(got))
	}
	byID := map[string]ModelInfo{}
	for _, m := range all {
		byID[m.ID] = m
	}
	if m := byID["big"]; m.Provider != "beta" || m.ContextWindow != 200000 || m.InputPerMillion != 5 || m.OutputPerMillion != 15 ||
		!slices.Equal(m.Capabilities, []string{"chat", "vision"}) {
		t.Fatalf("big: %+v", m)
	}
	if m := byID["duo"]; !slices.Equal(m.Providers, []string{"alpha", "beta"}) {
		t.Fatalf("duo providers %v", m.Providers)
	}
	if m := byID["routed-only"]; m.Provider != "beta" || m.InputPerMillion != 7 {
		t.Fatalf("routed-only: %+v", m)
	}
}

// fromConfigWithLimits is FromConfig over a limits engine of cfg, closed
// when t ends.
func fromConfigWithLimits(t *testing.T, cfg *config.Config) (*limits.Engine, Deps) {
	t.Helper()
	eng, err := limits.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	return eng, FromConfig(cfg, eng)
}

// spend admits and settles one request of a consumer in the engine, and
// records it in the Recorder as the proxy would.
func spend(t *testing.T, eng *limits.Engine, rec *Recorder, consumer, model, provider string, in, out int64, cost float64) {
	t.Helper()
	ctx := context.Background()
	tk, denial, err := eng.Admit(ctx, limits.Call{Consumer: consumer, Model: model, InputTokens: in, MaxOutputTokens: out})
	if err != nil || denial != nil {
		t.Fatalf("admit: %v %+v", err, denial)
	}
	u := providers.Usage{InputTokens: in, OutputTokens: out, Reported: true}
	if err := tk.Settle(ctx, u, cost); err != nil {
		t.Fatalf("settle: %v", err)
	}
	rec.Record(consumer, model, provider, u, cost)
}

func TestUsageFromLimitsSplitByProvider(t *testing.T) {
	cfg, _ := testConfig(t)
	eng, d := fromConfigWithLimits(t, cfg)
	spend(t, eng, d.Recorder, "team-a", "small", "alpha", 100, 20, 0.25)
	spend(t, eng, d.Recorder, "team-a", "duo", "alpha", 30, 10, 0.5)
	spend(t, eng, d.Recorder, "team-a", "duo", "beta", 70, 30, 1.5)
	spend(t, eng, d.Recorder, "team-b", "big", "beta", 1000, 500, 3)
	// Counted by the limits but never seen by this replica's recorder
	// (another replica served it): duo has two providers, so it stays
	// unattributed.
	tk, _, err := eng.Admit(context.Background(), limits.Call{Consumer: "team-b", Model: "duo", InputTokens: 5, MaxOutputTokens: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := tk.Settle(context.Background(), providers.Usage{InputTokens: 5, OutputTokens: 5, Reported: true}, 0.1); err != nil {
		t.Fatal(err)
	}

	rep, err := d.Usage.Usage(context.Background(), Principal{Consumer: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Source != "limits" || len(rep.Windows) != 1 || rep.Windows[0].Window != "Day" || rep.Windows[0].Consumer != "team-a" {
		t.Fatalf("report %+v", rep)
	}
	want := map[string]UsageRow{
		"small/alpha": {Consumer: "team-a", Model: "small", Provider: "alpha", Requests: 1, InputTokens: 100, OutputTokens: 20, CostUSD: 0.25},
		"duo/alpha":   {Consumer: "team-a", Model: "duo", Provider: "alpha", Requests: 1, InputTokens: 30, OutputTokens: 10, CostUSD: 0.5},
		"duo/beta":    {Consumer: "team-a", Model: "duo", Provider: "beta", Requests: 1, InputTokens: 70, OutputTokens: 30, CostUSD: 1.5},
	}
	checkRows(t, rep.Rows, want)

	rep, err = d.Usage.Usage(context.Background(), Principal{Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	want["big/beta"] = UsageRow{Consumer: "team-b", Model: "big", Provider: "beta", Requests: 1, InputTokens: 1000, OutputTokens: 500, CostUSD: 3}
	want["duo/"] = UsageRow{Consumer: "team-b", Model: "duo", Provider: "", Requests: 1, InputTokens: 5, OutputTokens: 5, CostUSD: 0.1}
	checkRows(t, rep.Rows, want)
	if len(rep.Windows) != 2 {
		t.Fatalf("admin windows %+v: want the two consumers with usage", rep.Windows)
	}
}

func checkRows(t *testing.T, rows []UsageRow, want map[string]UsageRow) {
	t.Helper()
	got := map[string]UsageRow{}
	for _, r := range rows {
		r.CostUSD = float64(int64(r.CostUSD*1e6+0.5)) / 1e6
		got[r.Model+"/"+r.Provider+"@"+r.Consumer] = r
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows %+v, want %d", len(got), rows, len(want))
	}
	for k, w := range want {
		if g := got[k+"@"+w.Consumer]; g != w {
			t.Errorf("%s: got %+v, want %+v", k, g, w)
		}
	}
}

func TestUsageFromRecorderWithoutLimits(t *testing.T) {
	cfg, _ := testConfig(t)
	cfg.Auth.Mode = config.AuthNone
	d := FromConfig(cfg, nil)
	d.Recorder.Record("team-a", "small", "alpha", providers.Usage{InputTokens: 4, OutputTokens: 6}, 0.01)
	d.Recorder.Record("", "big", "beta", providers.Usage{InputTokens: 1, OutputTokens: 1}, 0)
	d.Recorder.Record("team-b", "big", "beta", providers.Usage{InputTokens: 9, OutputTokens: 1}, 0)

	rep, err := d.Usage.Usage(context.Background(), Principal{Consumer: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Source != "recorder" || len(rep.Windows) != 1 || rep.Windows[0].Window != "Day" {
		t.Fatalf("report %+v", rep)
	}
	checkRows(t, rep.Rows, map[string]UsageRow{"small/alpha": {Consumer: "team-a", Model: "small", Provider: "alpha", Requests: 1, InputTokens: 4, OutputTokens: 6, CostUSD: 0.01}})

	rep, err = d.Usage.Usage(context.Background(), Principal{Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Rows) != 3 {
		t.Fatalf("admin rows %+v: want team-a, team-b and the anonymous caller", rep.Rows)
	}
}

func TestConsoleFollowsReloadsAndEnabled(t *testing.T) {
	cfg, ks := testConfig(t)
	cur := cfg
	d := FromFunc(func() (*config.Config, *limits.Engine) { return cur, nil })
	if !d.Enabled() {
		t.Fatal("enabled config reported disabled")
	}
	if _, ok := d.Auth.Authenticate(authReq(ks.a)); !ok {
		t.Fatal("team-a's key refused")
	}
	next, ks2 := testConfig(t) // every key rotated
	next.Console.Enabled = false
	cur = next
	if d.Enabled() {
		t.Fatal("disabled config reported enabled")
	}
	if _, ok := d.Auth.Authenticate(authReq(ks.a)); ok {
		t.Fatal("a key of the old config still works after the reload")
	}
	if p, ok := d.Auth.Authenticate(authReq(ks2.a)); !ok || p.Consumer != "team-a" {
		t.Fatal("the new config's key is refused")
	}
	cur = nil
	if d.Enabled() {
		t.Fatal("no config reported enabled")
	}
	if _, ok := d.Auth.Authenticate(authReq(ks2.a)); ok {
		t.Fatal("authenticated with no config")
	}
}

// TestHandlerOverConfig runs the real adapters behind the handler: a
// consumer's usage answer names nobody else, whatever the store holds.
func TestHandlerOverConfig(t *testing.T) {
	cfg, ks := testConfig(t)
	eng, d := fromConfigWithLimits(t, cfg)
	spend(t, eng, d.Recorder, "team-a", "small", "alpha", 10, 10, 0.1)
	spend(t, eng, d.Recorder, "team-b", "big", "beta", 10, 10, 0.1)
	ts := httptest.NewServer(New(d))
	t.Cleanup(ts.Close)
	f := &fixture{url: ts.URL}
	_, body := f.get(t, "GET", "/console/api/usage", ks.b)
	u := decodeUsage(t, body)
	if len(u.Rows) != 1 || u.Rows[0].Consumer != "team-b" || u.Principal.Consumer != "team-b" {
		t.Fatalf("team-b got %s", body)
	}
	_, body = f.get(t, "GET", "/console/api/models", ks.a)
	if strings.Contains(string(body), `"id":"big"`) {
		t.Fatalf("team-a's catalogue lists a model it may not use: %s", body)
	}
}

// flipLast changes a key's last character: same lookup id, wrong secret.
func flipLast(k string) string {
	if strings.HasSuffix(k, "a") {
		return k[:len(k)-1] + "b"
	}
	return k[:len(k)-1] + "a"
}
