package console_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/proxy/proxytest"
	mockup "github.com/tollgate-dev/tollgate/test/upstream"
)

// Mock replies of the two chat columns (harness_test.go's providers).
const (
	replyGPT    = "Tollgate routes one OpenAI-compatible API to every vendor, with keys, budgets and fallbacks."
	replyClaude = "Side by side, the same prompt shows how models differ in tone, speed and price."
)

// chatRequest sends one streamed chat completion with key and extra
// headers (the app attribution headers) and returns the status.
func chatRequest(t *testing.T, g *gateway, key, model string, headers map[string]string) int {
	t.Helper()
	// Streamed, so the gateway measures time to first token and throughput.
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hello"}],"stream":true}`, model)
	req, err := proxytest.NewRequest(t.Context(), http.MethodPost, g.url+"/v1/chat/completions", key, body, headers)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chat %s: %v", model, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 {
		t.Logf("chat %s: %d %s", model, resp.StatusCode, b)
	}
	return resp.StatusCode
}

// sentBody is one request the page sent to /v1/chat/completions
// (recorded by a wrapper around fetch that the test installs).
type sentBody struct {
	Model    string `json:"model"`
	Messages []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	} `json:"messages"`
	MaxTokens int      `json:"max_tokens"`
	Stop      []string `json:"stop"`
}

func sentBodies(t *testing.T, ctx context.Context) []sentBody {
	t.Helper()
	var out []sentBody
	if err := json.Unmarshal([]byte(evalString(t, ctx, `JSON.stringify(window.__bodies)`)), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// transcript is "role: text | …", a message with parts written as its
// text and "+image" per image_url part.
func (b sentBody) transcript() string {
	var out []string
	for _, m := range b.Messages {
		var text string
		if json.Unmarshal(m.Content, &text) != nil {
			var parts []struct {
				Type     string `json:"type"`
				Text     string `json:"text"`
				ImageURL struct {
					URL string `json:"url"`
				} `json:"image_url"`
			}
			_ = json.Unmarshal(m.Content, &parts)
			for _, p := range parts {
				switch {
				case p.Type == "text":
					text += p.Text
				case p.Type == "image_url" && strings.HasPrefix(p.ImageURL.URL, "data:image/png;base64,"):
					text += "+image"
				}
			}
		}
		out = append(out, m.Role+": "+text)
	}
	return strings.Join(out, " | ")
}

// onePixelPNG is a 1×1 PNG to attach.
var onePixelPNG = []byte{0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
	0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00,
	0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0, 0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99,
	0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82}

// firstPrompt is Markdown with HTML a page must never run; the echo model
// answers it back.
const firstPrompt = "What is **Tollgate**? <script>window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\"> [see](javascript:window.__pwned=3)"

const countJS = `document.querySelectorAll(%q).length`

func waitCount(t *testing.T, ctx context.Context, sel string, n int) {
	t.Helper()
	waitJS(t, ctx, fmt.Sprintf("%d × %s", n, sel), fmt.Sprintf(countJS+` === %d`, sel, n))
}

func names(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return evalString(t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(r => r.dataset.name).join(',')`, sel))
}

func sortedNames(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return evalString(t, ctx, fmt.Sprintf(`[...document.querySelectorAll(%q)].map(r => r.dataset.name).sort().join(',')`, sel))
}

// TestConsoleActivityAvailabilityRankingsChat drives the console pages of
// issue 20 in headless Chromium against the real proxy: a two-turn
// conversation in two model columns (the second request carries the first
// turn), an edited and re-sent turn, the comparison summary; the Activity
// page's filters and paging; the availability table and charts of a model
// whose first backend fails; rankings by app and category for a consumer
// and, for the admin, across consumers.
func TestConsoleActivityAvailabilityRankingsChat(t *testing.T) {
	ctx, pageLog := browser(t)
	flaky := mockup.New(t)
	cfg, g := gatewayConfig(t)
	cfg.Providers = append(cfg.Providers, config.Provider{Name: "flaky", Type: config.ProviderOpenAI, Endpoint: flaky.URL + "/v1", APIKey: "sk-vendor-flaky",
		AllowPrivateNetwork: true, Headers: map[string]string{"x-mock-status": "503"},
		Timeouts: config.Timeouts{Connect: config.D(time.Second), FirstToken: config.D(2 * time.Second), Idle: config.D(2 * time.Second), Request: config.D(10 * time.Second)}})
	// Priced: team-a has a budget, and an unpriced model is refused.
	// An echoing Mock with vision: its answer is the user's message.
	cfg.Providers = append(cfg.Providers, config.Provider{Name: "echo-mock", Type: config.ProviderMock,
		Mock: &config.MockSettings{Latency: config.D(60 * time.Millisecond), ChunkDelay: config.D(45 * time.Millisecond)}})
	cfg.Models = append(cfg.Models, config.Model{Name: "llama-echo", Provider: "echo-mock", ContextWindow: 8192,
		Pricing: config.Pricing{InputPerMillion: 0.2, OutputPerMillion: 0.4}, Capabilities: []config.Capability{config.CapChat, config.CapStreaming, config.CapVision}})
	retry := config.Retry{Attempts: 2, Backoff: config.D(time.Millisecond)}
	price := config.Pricing{InputPerMillion: 0.1, OutputPerMillion: 0.2}
	cfg.Routes = append(cfg.Routes,
		config.Route{Model: "llama-flaky", Retry: retry, Backends: []config.Backend{
			{Provider: "flaky", UpstreamModel: "llama", Pricing: price}, {Provider: "local-vllm", UpstreamModel: "llama", Priority: 1, Pricing: price}}},
		config.Route{Model: "llama-down", Backends: []config.Backend{{Provider: "flaky", UpstreamModel: "llama", Pricing: price}}})
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	serveGateway(t, cfg, g)

	// Traffic from two apps in two categories, through the fallback, one
	// failure, and one request of team-b.
	sent := 0
	for range 20 {
		if c := chatRequest(t, g, g.consumerA, "gpt-fast", map[string]string{"X-Title": "Acme Coder", "X-Tollgate-Category": "coding"}); c != http.StatusOK {
			t.Fatalf("gpt-fast: %d", c)
		}
		sent++
	}
	for range 3 {
		if c := chatRequest(t, g, g.consumerA, "claude-smart", map[string]string{"HTTP-Referer": "https://agents.example/smith", "X-Tollgate-Category": "agents"}); c != http.StatusOK {
			t.Fatalf("claude-smart: %d", c)
		}
		sent++
	}
	for range 4 {
		if c := chatRequest(t, g, g.consumerA, "llama-flaky", nil); c != http.StatusOK {
			t.Fatalf("llama-flaky through its fallback: %d", c)
		}
		sent++
	}
	if c := chatRequest(t, g, g.consumerA, "llama-down", nil); c < 500 {
		t.Fatalf("llama-down answered %d", c)
	}
	sent++
	if c := chatRequest(t, g, g.consumerB, "gpt-fast", map[string]string{"X-Title": "Other"}); c != http.StatusOK {
		t.Fatalf("team-b: %d", c)
	}

	run(t, ctx, "open the console", chromedp.Navigate(g.url+"/console"), chromedp.WaitVisible(chromedp.CSS("#key")))
	signIn(t, ctx, g.consumerA)

	// Two columns, two turns: each column keeps its own history.
	run(t, ctx, "open the playground", chromedp.Click(chromedp.CSS("#tab-playground")), chromedp.WaitVisible(chromedp.CSS("#pg-prompt")))
	setField(t, ctx, "#pg-search", "smart")
	waitJS(t, ctx, "the picker searches by name", `[...document.querySelectorAll('[data-testid="model-picks"] .pick')].map(p => p.dataset.model).join(',') === 'claude-smart'`)
	setField(t, ctx, "#pg-search", "")
	setField(t, ctx, "#pg-cap", "jsonmode")
	waitJS(t, ctx, "the picker filters by capability", `[...document.querySelectorAll('[data-testid="model-picks"] .pick')].map(p => p.dataset.model).join(',') === 'gpt-fast'`)
	setField(t, ctx, "#pg-cap", "")
	setField(t, ctx, "#pg-price", "1")
	waitJS(t, ctx, "the picker filters by price", `![...document.querySelectorAll('[data-testid="model-picks"] .pick')].some(p => p.dataset.model === 'claude-smart')`)
	setField(t, ctx, "#pg-price", "")
	run(t, ctx, "pick three models", chromedp.Click(chromedp.CSS("#pg-pick-gpt-fast")), chromedp.Click(chromedp.CSS("#pg-pick-claude-smart")),
		chromedp.Click(chromedp.CSS("#pg-pick-llama-echo")))
	waitCount(t, ctx, "section.column", 3)
	run(t, ctx, "record what the page sends", chromedp.Evaluate[chromedp.Void](`window.__bodies = []; const f = window.fetch;
		window.fetch = function (u, o) { if (String(u).includes('/v1/chat/completions')) window.__bodies.push(JSON.parse(o.body)); return f.apply(this, arguments); }; true`))
	setField(t, ctx, "#pg-max-tokens", "200")
	setField(t, ctx, "#pg-stop", "END")
	png := t.TempDir() + "/pixel.png"
	if err := os.WriteFile(png, onePixelPNG, 0o600); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "attach an image", chromedp.SetUploadFiles(chromedp.CSS("#pg-images"), []string{png}))
	waitCount(t, ctx, `[data-testid="attachments"] img`, 1)
	setField(t, ctx, "#pg-prompt", firstPrompt)
	run(t, ctx, "first turn", chromedp.Click(chromedp.CSS(`.playground button[type="submit"]`)))
	waitCount(t, ctx, `article.answer[data-status="done"]`, 3)
	run(t, ctx, "second turn", chromedp.SendKeys(chromedp.CSS("#pg-prompt"), "And in five words?"), chromedp.Click(chromedp.CSS(`.playground button[type="submit"]`)))
	waitCount(t, ctx, `article.answer[data-status="done"]`, 6)

	// The second request of each column carries its first turn: the
	// question (with the image, to the vision models only) and that
	// column's own answer.
	bodies := sentBodies(t, ctx)
	if len(bodies) != 6 {
		t.Fatalf("the page sent %d chat requests, want 6", len(bodies))
	}
	reply := map[string]string{"gpt-fast": replyGPT, "claude-smart": replyClaude, "llama-echo": firstPrompt}
	image := map[string]string{"llama-echo": "+image", "claude-smart": "+image"} // the models with vision
	for i, b := range bodies {
		want := "system: You are a helpful assistant. | user: " + firstPrompt + image[b.Model]
		if i >= 3 {
			want += " | assistant: " + reply[b.Model] + " | user: And in five words?"
		}
		if got := b.transcript(); got != want {
			t.Errorf("request %d to %s carries\n  %s\nwant\n  %s", i+1, b.Model, got, want)
		}
		if b.MaxTokens != 200 || len(b.Stop) != 1 || b.Stop[0] != "END" {
			t.Errorf("request %d to %s: max_tokens %d stop %v", i+1, b.Model, b.MaxTokens, b.Stop)
		}
	}
	if got := evalString(t, ctx, `[...document.querySelectorAll('section.column')].map(c => c.dataset.model + '=' + c.querySelectorAll('.turn.user .thumbs img').length).join(',')`); got != "gpt-fast=0,claude-smart=1,llama-echo=1" {
		t.Errorf("attachment thumbnails per column %s: only the vision models were sent the image", got)
	}
	// The echoed answer is Markdown: bold rendered, the HTML and the
	// javascript: link shown as text, nothing run.
	echo := `section.column[data-model="llama-echo"] article.answer .answer-text`
	if got := evalString(t, ctx, fmt.Sprintf(`(() => { const a = document.querySelector(%q);
		return [a.querySelector('strong')?.textContent, a.querySelectorAll('script, img, iframe, a, [onerror]').length, String(window.__pwned),
			a.textContent.includes('<script>window.__pwned=1</script>') && a.textContent.includes('[see](javascript:')].join('|'); })()`, echo)); got != "Tollgate|0|undefined|true" {
		t.Errorf("echoed answer rendered as %s, want bold Tollgate, no elements from the answer, nothing run, the HTML as text", got)
	}
	// The comparison summary after the round: cost, TTFT and tokens/s.
	cmp := evalString(t, ctx, `JSON.stringify([...document.querySelectorAll('[data-testid="comparison"] tbody tr')].map(r =>
		[r.dataset.model, r.querySelector('[data-col="cost"]').textContent, r.querySelector('[data-col="ttft"]').textContent, r.querySelector('[data-col="tps"]').textContent]))`)
	if !strings.Contains(cmp, `"gpt-fast"`) || !strings.Contains(cmp, `"claude-smart"`) || !strings.Contains(cmp, `"llama-echo"`) || strings.Contains(cmp, `"–"`) {
		t.Errorf("comparison %s", cmp)
	}
	run(t, ctx, "show the comparison and the columns", chromedp.Evaluate[chromedp.Void](`document.querySelector('.comparison').scrollIntoView(); true`))
	chatShot := shot(t, ctx, "chat")
	run(t, ctx, "back to the top", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0, 0); true`))

	// Edit the second question in one column and re-send from it: the
	// old answer is replaced, the other column is untouched.
	gpt := `section.column[data-model="gpt-fast"]`
	run(t, ctx, "edit the second question",
		chromedp.Click(chromedp.CSS(gpt+` div.turn.user:nth-of-type(2) button`)),
		chromedp.WaitVisible(chromedp.CSS(gpt+` .turn.editing textarea`)))
	setField(t, ctx, gpt+` .turn.editing textarea`, "And in three words?")
	run(t, ctx, "save and resend", chromedp.Click(chromedp.CSS(gpt+` .turn.editing button[type="submit"]`)))
	waitJS(t, ctx, "the edit is saved", fmt.Sprintf(`[...document.querySelectorAll(%q)].map(p => p.textContent).join('|') === %q`, gpt+" .user-text", firstPrompt+"|And in three words?"))
	run(t, ctx, "resend", chromedp.Click(chromedp.CSS(gpt+` div.turn.user:nth-of-type(2) button.resend`)))
	waitJS(t, ctx, "seven requests sent and answered", `window.__bodies.length === 7 && document.querySelectorAll('article.answer[data-status="done"]').length === 6`)
	if got, want := sentBodies(t, ctx)[6].transcript(), "system: You are a helpful assistant. | user: "+firstPrompt+" | assistant: "+replyGPT+" | user: And in three words?"; got != want {
		t.Errorf("resent request carries\n  %s\nwant\n  %s", got, want)
	}
	sent += 7

	// Activity: the consumer's own records, filtered and paged.
	run(t, ctx, "open activity", chromedp.Click(chromedp.CSS("#tab-activity")))
	waitCount(t, ctx, `[data-testid="activity"] tbody tr`, 25)
	run(t, ctx, "older page", chromedp.Click(chromedp.CSS("#act-next")))
	waitJS(t, ctx, "the second page", fmt.Sprintf(`document.querySelector('[data-testid="activity-page"]').textContent === 'Page 2' && `+countJS+` === %d`, `[data-testid="activity"] tbody tr`, sent-25))
	run(t, ctx, "newer page", chromedp.Click(chromedp.CSS("#act-prev")))
	waitCount(t, ctx, `[data-testid="activity"] tbody tr`, 25)
	activityShot := shot(t, ctx, "activity")
	setField(t, ctx, "#act-app", "agents.example")
	waitJS(t, ctx, "filtered by app", `[...document.querySelectorAll('[data-testid="activity"] tbody tr')].map(r => r.dataset.app + '/' + r.dataset.model).join(',') === 'agents.example/claude-smart,agents.example/claude-smart,agents.example/claude-smart'`)
	setField(t, ctx, "#act-app", "")
	setField(t, ctx, "#act-status", "error")
	waitJS(t, ctx, "filtered by status", `[...document.querySelectorAll('[data-testid="activity"] tbody tr')].map(r => r.dataset.model + '/' + (Number(r.dataset.status) >= 500)).join(',') === 'llama-down/true'`)
	setField(t, ctx, "#act-status", "")
	setField(t, ctx, "#act-model", "llama-flaky")
	waitJS(t, ctx, "filtered by model", `[...document.querySelectorAll('[data-testid="activity"] tbody tr')].map(r => r.dataset.model).join(',') === 'llama-flaky,llama-flaky,llama-flaky,llama-flaky'`)
	if got := evalString(t, ctx, `document.querySelector('[data-testid="activity"] tbody tr').textContent`); !strings.Contains(got, "local-vllm") {
		t.Errorf("llama-flaky row: %s (served by the fallback, local-vllm)", got)
	}

	// Availability: the failing backend and its fallback, table and charts.
	run(t, ctx, "open availability", chromedp.Click(chromedp.CSS("#tab-availability")), chromedp.WaitVisible(chromedp.CSS("#av-model")))
	setField(t, ctx, "#av-model", "llama-flaky")
	waitJS(t, ctx, "both backends listed", `[...document.querySelectorAll('[data-testid="endpoints"] tbody tr')].map(r => r.dataset.provider + '=' + r.querySelector('[data-col="uptime"]').textContent).join(',') === 'flaky=0%,local-vllm=100%'`)
	waitJS(t, ctx, "sampling done", `!document.querySelector('#av-refresh').disabled`)
	run(t, ctx, "sample again", chromedp.Click(chromedp.CSS("#av-refresh")))
	for _, c := range []struct{ chart, series string }{{"uptime", "flaky"}, {"uptime", "local-vllm"}, {"latency", "local-vllm"}, {"ttft", "local-vllm"}, {"throughput", "local-vllm"}} {
		waitJS(t, ctx, c.chart+" chart of "+c.series, fmt.Sprintf(`!!document.querySelector('[data-chart=%q] polyline[data-series=%q]')`, c.chart, c.series))
	}
	// The failing backend's uptime line lies on the chart's floor, the
	// fallback's on its ceiling.
	if got := evalString(t, ctx, `['flaky', 'local-vllm'].map(s => document.querySelector('[data-chart="uptime"] polyline[data-series="' + s + '"]').getAttribute('points').split(' ')[0].split(',')[1]).join(',')`); got != "132,18" {
		t.Errorf("uptime lines start at y %s, want 132 (0%%) and 18 (100%%)", got)
	}
	availShot := shot(t, ctx, "availability")

	// Rankings of team-a's own records by app and by category.
	run(t, ctx, "open rankings", chromedp.Click(chromedp.CSS("#tab-rankings")))
	waitJS(t, ctx, "ranked by app", `[...document.querySelectorAll('[data-ranking="app"] tbody tr')].length === 3`)
	// The requests without an app (the playground's among them) rank
	// under "no app named"; the exact order of that row depends on the
	// playground's prompt lengths.
	if got := sortedNames(t, ctx, `[data-ranking="app"] tbody tr`); got != ",Acme Coder,agents.example" {
		t.Errorf("apps ranked %q", got)
	}
	if got := sortedNames(t, ctx, `[data-ranking="category"] tbody tr`); got != ",agents,coding" {
		t.Errorf("categories ranked %q", got)
	}
	if got := names(t, ctx, `[data-ranking="app"] tbody tr`); strings.Index(got, "Acme Coder") > strings.Index(got, "agents.example") {
		t.Errorf("Acme Coder (20 requests) ranks below agents.example (3): %q", got)
	}
	if got := evalString(t, ctx, `String(!!document.querySelector('[data-ranking="consumer"]'))`); got != "false" {
		t.Error("a consumer sees a consumer ranking")
	}
	run(t, ctx, "rank the day", chromedp.Click(chromedp.CSS(`#panel-rankings button[data-period="day"]`)))
	waitJS(t, ctx, "the day's rankings", `document.querySelector('[data-testid="rankings"]').dataset.period === 'day' && document.querySelectorAll('[data-ranking="app"] tbody tr').length === 3`)
	rankShot := shot(t, ctx, "rankings")

	// The admin ranks across consumers and reads every consumer's activity.
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`header.top button.secondary`)), chromedp.WaitVisible(chromedp.CSS("#key")))
	signIn(t, ctx, g.admin)
	run(t, ctx, "admin rankings", chromedp.Click(chromedp.CSS("#tab-rankings")))
	waitJS(t, ctx, "ranked by consumer", `!!document.querySelector('[data-ranking="consumer"] tbody tr[data-name="team-a"]')`)
	if got := sortedNames(t, ctx, `[data-ranking="app"] tbody tr`); got != ",Acme Coder,Other,agents.example" {
		t.Errorf("admin apps ranked %q", got)
	}
	if got := sortedNames(t, ctx, `[data-ranking="consumer"] tbody tr`); got != "team-a,team-b" {
		t.Errorf("admin consumers ranked %q", got)
	}
	run(t, ctx, "admin activity", chromedp.Click(chromedp.CSS("#tab-activity")), chromedp.WaitVisible(chromedp.CSS("#act-consumer")))
	setField(t, ctx, "#act-consumer", "team-a")
	setField(t, ctx, "#act-model", "llama-down")
	waitJS(t, ctx, "team-a's llama-down request", `[...document.querySelectorAll('[data-testid="activity"] tbody tr')].map(r => r.dataset.model).join(',') === 'llama-down'`)

	if *updateScreenshot {
		for src, dst := range map[string]string{chatShot: "console-chat.png", availShot: "console-availability.png", rankShot: "console-rankings.png",
			activityShot: "console-activity.png"} {
			b, err := os.ReadFile(src)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile("../../docs/images/"+dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("rewrote docs/images/%s", dst)
		}
	}
	for _, l := range pageLog.get() {
		t.Errorf("browser console: %s", l)
	}
	if strings.Contains(evalString(t, ctx, `document.documentElement.outerHTML`), g.consumerA) {
		t.Error("the key appears in the page")
	}
	g.assertNoKeys(t)
}
