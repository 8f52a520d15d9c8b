// Package console_test drives the gateway console in a real headless
// Chromium (Debian's package, installed by hack/install-chromium.sh when
// missing) against the real proxy with Mock providers: sign in, filter the
// catalogue, stream one prompt to three models side by side, and watch the
// usage rankings change. Screenshots land in artifacts/ (git-ignored);
// -update-screenshot also rewrites docs/images/playground.png.
package console_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/tollgate-dev/tollgate/test/testbin"
)

var updateScreenshot = flag.Bool("update-screenshot", false, "rewrite docs/images/playground.png from this run")

// chromiumPath finds Chromium, installing Debian's package when missing.
// It skips the test only when Chromium cannot be had, and fails instead
// when TOLLGATE_REQUIRE_BROWSER=1 (CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	script := testbin.Script(t, "install-chromium.sh")
	out, err := exec.Command("bash", script).CombinedOutput()
	if p, lerr := exec.LookPath("chromium"); err == nil && lerr == nil {
		return p
	}
	testbin.Missing(t, "TOLLGATE_REQUIRE_BROWSER", fmt.Sprintf("no Chromium for the console browser test, and %s could not install it (%v):\n%s", script, err, out))
	return ""
}

// browser starts a fresh headless Chromium with its own profile.
func browser(t *testing.T) (context.Context, *consoleLog) {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1440, 1000),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("force-color-profile", "srgb"),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	cl := &consoleLog{}
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithListener(func(ev any) {
		switch e := ev.(type) {
		case *cdplog.EventEntryAdded:
			// The refused wrong key is an expected 401 in the network log;
			// anything the security checks (CSP) report is a failure.
			if e.Entry.Source == cdplog.EntrySourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				cl.add("security: " + e.Entry.Text)
			}
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
				var parts []string
				for _, a := range e.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				cl.add(string(e.Type) + ": " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			cl.add(fmt.Sprintf("exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception))
		}
	}))
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser; its context must have no deadline.
	enableLog := chromedp.Action[chromedp.Void](func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, tg, cdplog.Enable, cdp.Empty{})
		return chromedp.Void{}, err
	})
	if err := chromedp.Do(ctx, enableLog); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	return ctx, cl
}

// consoleLog collects the page's errors, warnings and exceptions (a CSP
// violation shows up here).
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *consoleLog) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, s)
}

func (c *consoleLog) get() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		shot(t, ctx, "failed-"+strings.ReplaceAll(step, " ", "-"))
		t.Fatalf("%s: %v", step, err)
	}
}

// waitJS polls a JavaScript condition until it is true.
func waitJS(t *testing.T, ctx context.Context, step, expr string) {
	t.Helper()
	run(t, ctx, step, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingInterval(20*time.Millisecond), chromedp.WithPollingTimeout(20*time.Second)))
}

func evalString(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	if err != nil {
		shot(t, ctx, "failed-evaluate")
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return s
}

// shot saves a screenshot under artifacts/ and returns its path.
func shot(t *testing.T, ctx context.Context, name string) string {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	if err := os.MkdirAll("artifacts", 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join("artifacts", name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: test/console/%s", p)
	return p
}

const (
	answersDone = `document.querySelectorAll('article.answer[data-status="done"]').length === 3`
	rowsShown   = `[...document.querySelectorAll('#panel-catalogue tbody tr')].map(r => r.dataset.model).join(',')`
)

func TestConsoleInBrowser(t *testing.T) {
	ctx, pageLog := browser(t)
	g := startGateway(t)

	// A wrong key is refused; the right one signs in.
	run(t, ctx, "open the console",
		chromedp.Navigate(g.url+"/console"),
		chromedp.WaitVisible(chromedp.CSS("#key")),
		chromedp.SendKeys(chromedp.CSS("#key"), "tg-wrong_key"),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#login-error")),
	)
	if msg := evalString(t, ctx, `document.querySelector('#login-error').textContent`); msg != "That key was not accepted." {
		t.Fatalf("login error %q", msg)
	}
	waitJS(t, ctx, "the refused key is cleared", `document.querySelector('#key').value === ''`)
	signIn(t, ctx, g.consumerA)
	if who := evalString(t, ctx, `document.querySelector('[data-testid="principal"]').textContent`); !strings.Contains(who, "team-a") {
		t.Fatalf("signed in as %q", who)
	}

	// The catalogue lists what team-a may use, and filters and sorts.
	if got := evalString(t, ctx, rowsShown); got != "claude-smart,embed-small,gpt-fast,llama-cheap" {
		t.Fatalf("catalogue rows %q (secret-model must not be listed)", got)
	}
	setField(t, ctx, "#cat-cap", "vision")
	waitJS(t, ctx, "vision filter applied", rowsShown+` === 'claude-smart'`)
	setField(t, ctx, "#cat-cap", "")
	run(t, ctx, "filter by text and price",
		chromedp.SendKeys(chromedp.CSS("#cat-search"), "mock"),
		chromedp.SendKeys(chromedp.CSS("#cat-price"), "2"),
	)
	waitJS(t, ctx, "text and price filter applied", rowsShown+` === 'embed-small,gpt-fast'`)
	setField(t, ctx, "#cat-search", "")
	setField(t, ctx, "#cat-price", "")
	setField(t, ctx, "#cat-sort", "context")
	waitJS(t, ctx, "sorted by context", rowsShown+` === 'claude-smart,gpt-fast,llama-cheap,embed-small'`)
	shot(t, ctx, "catalogue")

	// Usage before: nothing yet.
	run(t, ctx, "open usage", chromedp.Click(chromedp.CSS("#tab-usage")))
	waitJS(t, ctx, "usage loaded", `!!document.querySelector('[data-total="requests"]')`)
	if n := evalString(t, ctx, `document.querySelector('[data-total="requests"]').textContent`); n != "0" {
		t.Fatalf("requests before any prompt: %q", n)
	}

	// Three models, one prompt, three streamed answers side by side.
	run(t, ctx, "pick three models",
		chromedp.Click(chromedp.CSS("#tab-catalogue")),
		chromedp.Click(chromedp.CSS(`#pick-gpt-fast`)),
		chromedp.Click(chromedp.CSS(`#pick-claude-smart`)),
		chromedp.Click(chromedp.CSS(`#pick-llama-cheap`)),
		chromedp.Click(chromedp.CSS(`#panel-catalogue button.link`)),
		chromedp.WaitVisible(chromedp.CSS("#pg-prompt")),
	)
	// Record every status each answer card goes through.
	run(t, ctx, "watch statuses", chromedp.Evaluate[chromedp.Void](`window.__seen = {};
		new MutationObserver(() => document.querySelectorAll('article.answer').forEach(a => {
			(window.__seen[a.dataset.model] ??= new Set()).add(a.dataset.status + (a.querySelector('.answer-text').textContent ? '+text' : ''));
		})).observe(document.querySelector('[data-testid="answers"]'), {subtree: true, childList: true, attributes: true, characterData: true}); true`))
	run(t, ctx, "send the prompt",
		chromedp.SendKeys(chromedp.CSS("#pg-prompt"), "In one sentence: why use an AI gateway?"),
		chromedp.Click(chromedp.CSS(`.playground button[type="submit"]`)),
	)
	waitJS(t, ctx, "three answers done", answersDone)
	streamed := evalString(t, ctx, `JSON.stringify(Object.fromEntries(Object.entries(window.__seen).map(([k, v]) => [k, [...v].sort()])))`)
	for _, m := range []string{"gpt-fast", "claude-smart", "llama-cheap"} {
		if !strings.Contains(streamed, fmt.Sprintf(`"%s":[`, m)) || !strings.Contains(streamed[strings.Index(streamed, `"`+m+`"`):], "streaming+text") {
			t.Errorf("%s was never seen streaming with partial text: %s", m, streamed)
		}
	}
	answers := evalString(t, ctx, `JSON.stringify([...document.querySelectorAll('article.answer')].map(a => ({
		model: a.dataset.model, text: a.querySelector('.answer-text').textContent,
		ttft: a.querySelector('[data-stat="ttft"]').textContent, total: a.querySelector('[data-stat="total"]').textContent,
		tokens: a.querySelector('[data-stat="tokens"]').textContent, cost: a.querySelector('[data-stat="cost"]').textContent})))`)
	for _, want := range []string{"Tollgate routes one OpenAI-compatible API", "Side by side, the same prompt", "Short answer: yes."} {
		if !strings.Contains(answers, want) {
			t.Errorf("answers lack %q: %s", want, answers)
		}
	}
	if strings.Contains(answers, `"–"`) {
		t.Errorf("an answer lacks time to first token, total time, tokens or cost: %s", answers)
	}
	// Snippets show $TOLLGATE_API_KEY, never the key.
	run(t, ctx, "open a snippet", chromedp.Click(chromedp.CSS(`article.answer[data-model="gpt-fast"] details summary`)),
		chromedp.Click(chromedp.CSS(`article.answer[data-model="gpt-fast"] .snippet-bar button:nth-child(2)`)))
	code := evalString(t, ctx, `document.querySelector('article.answer[data-model="gpt-fast"] pre code').textContent`)
	if !strings.Contains(code, `os.environ["TOLLGATE_API_KEY"]`) || !strings.Contains(code, `model="gpt-fast"`) {
		t.Errorf("python snippet:\n%s", code)
	}
	run(t, ctx, "close the snippet", chromedp.Click(chromedp.CSS(`article.answer[data-model="gpt-fast"] details summary`)))
	if html := evalString(t, ctx, `document.documentElement.outerHTML`); strings.Contains(html, g.consumerA) {
		t.Error("the key appears in the page")
	}
	playground := shot(t, ctx, "playground")
	if *updateScreenshot && playground != "" {
		b, err := os.ReadFile(playground)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("../../docs/images/playground.png", b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("rewrote docs/images/playground.png")
	}

	// Usage after: three requests, one row per model and provider.
	run(t, ctx, "usage after the prompt", chromedp.Click(chromedp.CSS("#tab-usage")),
		chromedp.Click(chromedp.CSS(`#panel-usage .toolbar button`)))
	waitJS(t, ctx, "usage counts the three answers", `document.querySelector('[data-total="requests"]')?.textContent === '3'`)
	if got := evalString(t, ctx, `[...document.querySelectorAll('[data-ranking="provider"] tbody tr')].map(r => r.dataset.name).sort().join(',')`); got != "anthropic-mock,local-vllm,openai-mock" {
		t.Errorf("provider ranking %q", got)
	}
	if got := evalString(t, ctx, `[...document.querySelectorAll('[data-ranking="model"] tbody tr')].map(r => r.dataset.name).sort().join(',')`); got != "claude-smart,gpt-fast,llama-cheap" {
		t.Errorf("model ranking %q", got)
	}
	if got := evalString(t, ctx, `String(!!document.querySelector('[data-ranking="consumer"]'))`); got != "false" {
		t.Errorf("a consumer sees a consumer ranking")
	}
	shot(t, ctx, "usage-consumer")

	// The key lives in memory only.
	if got := evalString(t, ctx, `String(localStorage.length + sessionStorage.length) + '|' + document.cookie`); got != "0|" {
		t.Errorf("storage or cookies hold something: %q", got)
	}

	// team-b sees none of team-a's usage; the admin sees both consumers.
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`header.top button`)), chromedp.WaitVisible(chromedp.CSS("#key")))
	signIn(t, ctx, g.consumerB)
	run(t, ctx, "team-b usage", chromedp.Click(chromedp.CSS("#tab-usage")))
	waitJS(t, ctx, "team-b usage loaded", `document.querySelector('[data-total="requests"]')?.textContent === '0'`)
	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`header.top button`)), chromedp.WaitVisible(chromedp.CSS("#key")))
	signIn(t, ctx, g.admin)
	run(t, ctx, "admin usage", chromedp.Click(chromedp.CSS("#tab-usage")))
	waitJS(t, ctx, "admin sees team-a", `[...document.querySelectorAll('[data-ranking="consumer"] tbody tr')].map(r => r.dataset.name).join(',') === 'team-a'`)
	shot(t, ctx, "usage-admin")

	for _, l := range pageLog.get() {
		t.Errorf("browser console: %s", l)
	}
	g.assertNoKeys(t)
}

// setField sets a form field's value as a user would and fires its input
// and change events (the page's filters listen to one or the other).
func setField(t *testing.T, ctx context.Context, sel, value string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const el = document.querySelector(%q); el.value = %q;
		el.dispatchEvent(new Event('input', {bubbles: true})); el.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value)
	run(t, ctx, "set "+sel, chromedp.Evaluate[chromedp.Void](js))
	waitJS(t, ctx, sel+" holds its value", fmt.Sprintf(`document.querySelector(%q).value === %q`, sel, value))
}

func signIn(t *testing.T, ctx context.Context, key string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.SendKeys(chromedp.CSS("#key"), key),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="principal"]`)),
	)
}
