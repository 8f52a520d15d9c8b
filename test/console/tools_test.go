package console_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/mcptools"
	"github.com/tollgate-dev/tollgate/test/mcpbackends"
)

// toolsShown is the sorted list of tool rows the Tools page shows.
const toolsShown = `Array.from(document.querySelectorAll('#panel-tools [data-tool]')).map(r => r.dataset.tool).sort().join(',')`

// TestConsoleTools: in headless Chromium the Tools page lists the MCP
// tools the signed-in key may call (team-a: two of the Notes API's four
// operations) and calls one through the gateway's /mcp; team-b, with no
// allowedTools, is told it may call none. The Notes API's own key never
// reaches the page.
func TestConsoleTools(t *testing.T) {
	ctx, _ := browser(t)
	notes := mcpbackends.StartNotes(t)
	tools, _, err := mcptools.FromOpenAPI([]byte(mcpbackends.NotesOpenAPI), mcptools.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cfg, g := gatewayConfig(t)
	cfg.MCPServers = []config.MCPServer{{Name: "notes", Type: config.MCPOpenAPIServer, AllowPrivateNetwork: true,
		OpenAPI: &config.MCPOpenAPI{BaseURL: notes.URL, Tools: tools,
			Auth: &config.MCPAuth{Type: config.MCPAuthAPIKeyHeader, Name: "X-API-Key", Secret: mcpbackends.NotesKey}}}}
	cfg.Consumers[0].AllowedTools = []string{"notes_listNotes", "notes_getNote"}
	cfg.Default()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	serveGateway(t, cfg, g)

	run(t, ctx, "open the console", chromedp.Navigate(g.url+"/console"), chromedp.WaitVisible(chromedp.CSS("#key")))
	signIn(t, ctx, g.consumerA)
	run(t, ctx, "open tools", chromedp.Click(chromedp.CSS("#tab-tools")))
	waitJS(t, ctx, "team-a's tools listed", toolsShown+` === 'notes_getNote,notes_listNotes'`)
	run(t, ctx, "call notes_listNotes",
		chromedp.Click(chromedp.CSS(`[data-tool="notes_listNotes"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#tool-args")),
		chromedp.Click(chromedp.CSS(`.tool-call button[type="submit"]`)),
	)
	waitJS(t, ctx, "the call's result shown", `(document.querySelector('[data-testid="tool-result"]')?.textContent || '').includes('second')`)
	if res := evalString(t, ctx, `document.querySelector('[data-testid="tool-result"]').textContent`); !strings.Contains(res, "first") {
		t.Fatalf("tool result %q", res)
	}
	shot(t, ctx, "tools")
	setField(t, ctx, "#tool-args", "{not json")
	run(t, ctx, "call with bad arguments", chromedp.Click(chromedp.CSS(`.tool-call button[type="submit"]`)))
	waitJS(t, ctx, "bad arguments refused", `(document.querySelector('#panel-tools .error')?.textContent || '') === 'The arguments are not valid JSON.'`)
	if strings.Contains(evalString(t, ctx, `document.documentElement.outerHTML`), mcpbackends.NotesKey) {
		t.Fatal("the Notes API's key reached the page")
	}

	run(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`header.top button.secondary`)), chromedp.WaitVisible(chromedp.CSS("#key")))
	signIn(t, ctx, g.consumerB)
	run(t, ctx, "team-b tools", chromedp.Click(chromedp.CSS("#tab-tools")))
	waitJS(t, ctx, "team-b may call no tools", `(document.querySelector('#panel-tools')?.textContent || '').includes('may call no tools')`)
	g.assertNoKeys(t)
}
