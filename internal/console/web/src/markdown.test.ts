import { describe, expect, it } from "vitest";
import { renderMarkdown, safeURL } from "./markdown";

// tags lists every tag the output holds, with its attributes' names.
const allowed = new Set(["p", "h3", "h4", "h5", "h6", "pre", "code", "em", "strong", "ul", "ol", "li", "blockquote", "a", "br", "hr"]);
function tags(html: string): { name: string; attrs: string[] }[] {
  return [...html.matchAll(/<\/?([a-zA-Z0-9]+)([^>]*)>/g)].map((m) => ({
    name: m[1].toLowerCase(),
    attrs: [...m[2].matchAll(/([^\s=]+)\s*=/g)].map((a) => a[1].toLowerCase()),
  }));
}
function assertSafe(html: string) {
  for (const t of tags(html)) {
    expect(allowed.has(t.name), `tag <${t.name}> in ${html}`).toBe(true);
    for (const a of t.attrs) expect(["href", "rel", "target", "class"], `attribute ${a} in ${html}`).toContain(a);
  }
  for (const m of html.matchAll(/href="([^"]*)"/g)) expect(m[1]).toMatch(/^(https?:\/\/|mailto:)/i);
}

const attacks = [
  "<script>alert(1)</script>",
  "Hello <SCRIPT src=//evil.example/x.js></SCRIPT> world",
  '<img src=x onerror="alert(1)">',
  "<a href=\"javascript:alert(1)\" onclick='alert(2)'>click</a>",
  "<svg onload=alert(1)><circle/></svg>",
  "<iframe srcdoc='<script>alert(1)</script>'></iframe>",
  "[click](javascript:alert(1))",
  "[click](JaVaScRiPt:alert(1))",
  "[click]( javascript:alert(1))",
  "[click](jav&#x61;script:alert(1))",
  "[click](data:text/html,<script>alert(1)</script>)",
  "[click](vbscript:msgbox(1))",
  '[x](https://ok.example/"onmouseover="alert(1))',
  "**<b onmouseover=alert(1)>bold</b>**",
  "```html\n<script>alert(1)</script>\n```",
  "```\"><script>alert(1)</script>\nx\n```",
  "`<img src=x onerror=alert(1)>`",
  "> <style>body{display:none}</style>",
  "- <a href=javascript:alert(1)>item</a>",
  "# <script>alert(1)</script>",
];

describe("renderMarkdown sanitises", () => {
  it.each(attacks)("%s", (src) => {
    const html = renderMarkdown(src);
    assertSafe(html);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<[^>]*\son\w+\s*=/i);
    expect(html).not.toMatch(/href="\s*(javascript|data|vbscript):/i);
  });
  it("shows the model's HTML as text", () => {
    expect(renderMarkdown("<script>alert(1)</script>")).toBe("<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>");
    expect(renderMarkdown("[click](javascript:alert(1))")).toBe("<p>[click](javascript:alert(1))</p>");
  });
});

describe("renderMarkdown renders", () => {
  it("paragraphs, emphasis, code and links", () => {
    expect(renderMarkdown("Use **bold**, *it* and `x < y`.\nNext line.\n\nSecond [docs](https://tollgate.example/docs).")).toBe(
      "<p>Use <strong>bold</strong>, <em>it</em> and <code>x &lt; y</code>.<br>Next line.</p>" +
        '<p>Second <a href="https://tollgate.example/docs" rel="noopener noreferrer nofollow" target="_blank">docs</a>.</p>',
    );
  });
  it("fenced code, headings, lists, quotes and rules", () => {
    expect(renderMarkdown("## Steps\n1. one\n2. two\n\n- a\n- b\n\n```go\nif a < b {}\n```\n> quoted\n\n---")).toBe(
      "<h4>Steps</h4><ol><li>one</li><li>two</li></ol><ul><li>a</li><li>b</li></ul>" +
        '<pre><code class="language-go">if a &lt; b {}</code></pre><blockquote><p>quoted</p></blockquote><hr>',
    );
  });
  it("keeps snake_case words and an unclosed fence", () => {
    expect(renderMarkdown("max_tokens and top_p")).toBe("<p>max_tokens and top_p</p>");
    expect(renderMarkdown("snake__case__names, window.__x=1; window.__y=2 but __strong__")).toBe("<p>snake__case__names, window.__x=1; window.__y=2 but <strong>strong</strong></p>");
    expect(renderMarkdown("a <b>window.__pwned=1</b> window.__pwned=2")).toBe("<p>a &lt;b&gt;window.__pwned=1&lt;/b&gt; window.__pwned=2</p>");
    expect(renderMarkdown("```\nstill streaming")).toBe("<pre><code>still streaming</code></pre>");
  });
});

describe("safeURL", () => {
  it("allows http, https and mailto only", () => {
    expect(safeURL("https://a.example/x?y=1")).toBe("https://a.example/x?y=1");
    expect(safeURL("mailto:a@b.example")).toBe("mailto:a@b.example");
    for (const u of ["javascript:alert(1)", "/relative", "//evil.example", "data:text/html,x", "https://a.example/\u0000"]) expect(safeURL(u)).toBeNull();
  });
});
