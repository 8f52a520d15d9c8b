// A small Markdown renderer for model answers. The model's text is data,
// never markup: every character of it is HTML-escaped, and the only tags
// in the output are the ones this file writes (p, h3-h6, pre, code, em,
// strong, ul, ol, li, blockquote, a, br, hr), with no attribute but a
// link's href (http, https and mailto only), its fixed rel and target, and
// a code block's class. Anything else the model writes, HTML included,
// shows as text.

const escapes: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHTML(s: string): string {
  return s.replace(/[&<>"']/g, (c) => escapes[c]);
}

/** safeURL returns the URL when its scheme is http, https or mailto, else
 * null (javascript:, data:, vbscript:, relative and obfuscated URLs). */
export function safeURL(raw: string): string | null {
  const u = raw.trim();
  if (!/^(https?:\/\/|mailto:)[^\s<>"'`\\\u0000-\u001f]+$/i.test(u)) return null;
  return u;
}

/** inline renders one line's spans: code, links, bold, italic. */
function inline(src: string): string {
  let out = "";
  let i = 0;
  while (i < src.length) {
    const rest = src.slice(i);
    // Underscores emphasise only at a word's edge (snake_case, __init__
    // and window.__x stay as they are).
    const wordBefore = i > 0 && /\w/.test(src[i - 1]);
    let m: RegExpMatchArray | null;
    if ((m = rest.match(/^(`+)([\s\S]*?[^`])\1(?!`)/))) {
      out += "<code>" + escapeHTML(m[2].trim()) + "</code>";
    } else if ((m = rest.match(/^\[([^\]\n]+)\]\(([^)\s]+)\)/))) {
      const href = safeURL(m[2]);
      out += href
        ? `<a href="${escapeHTML(href)}" rel="noopener noreferrer nofollow" target="_blank">${inline(m[1])}</a>`
        : escapeHTML(m[0]);
    } else if ((m = rest.match(/^\*\*(?=\S)([\s\S]*?\S)\*\*/)) || (!wordBefore && (m = rest.match(/^__(?=\S)((?:(?!(?<!\w)__(?=\S))[\s\S])*?\S)__(?!\w)/)))) {
      out += "<strong>" + inline(m[1]) + "</strong>";
    } else if ((m = rest.match(/^\*(?=\S)([^*]*?\S)\*/)) || (!wordBefore && (m = rest.match(/^_(?=\S)([^_]*?\S)_(?!\w)/)))) {
      out += "<em>" + inline(m[1]) + "</em>";
    } else {
      // Plain text up to the next character that may start a span (a run
      // of underscores that emphasised nothing is text as a whole).
      const lead = rest.match(/^_+/)?.[0].length ?? 1;
      const n = rest.slice(lead).search(/[`[*_]/);
      const take = n < 0 ? rest.length : n + lead;
      out += escapeHTML(rest.slice(0, take));
      i += take;
      continue;
    }
    i += m[0].length;
  }
  return out;
}

const fence = /^(\s{0,3})(`{3,}|~{3,})\s*([\w+#.-]*)\s*$/;
const heading = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const bullet = /^\s{0,3}[-*+]\s+(.*)$/;
const ordered = /^\s{0,3}\d{1,9}[.)]\s+(.*)$/;
const quote = /^\s{0,3}>\s?(.*)$/;
const rule = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;

/** renderMarkdown turns Markdown into escaped, allow-listed HTML. */
export function renderMarkdown(src: string): string {
  const lines = src.replace(/\r\n?/g, "\n").split("\n");
  const out: string[] = [];
  let para: string[] = [];
  const flush = () => {
    if (para.length) out.push("<p>" + para.map(inline).join("<br>") + "</p>");
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m: RegExpMatchArray | null;
    if ((m = line.match(fence))) {
      flush();
      const close = m[2];
      const lang = m[3];
      const body: string[] = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(close); i++) body.push(lines[i]);
      const cls = lang ? ` class="language-${escapeHTML(lang)}"` : "";
      out.push(`<pre><code${cls}>` + escapeHTML(body.join("\n")) + "</code></pre>");
    } else if (line.trim() === "") {
      flush();
    } else if ((m = line.match(heading))) {
      flush();
      const level = Math.min(m[1].length + 2, 6); // h1 in an answer is h3 on the page
      out.push(`<h${level}>` + inline(m[2]) + `</h${level}>`);
    } else if (rule.test(line)) {
      flush();
      out.push("<hr>");
    } else if (bullet.test(line) || ordered.test(line)) {
      flush();
      const isOrdered = !bullet.test(line);
      const re = isOrdered ? ordered : bullet;
      const items: string[] = [];
      for (; i < lines.length && (m = lines[i].match(re)); i++) items.push("<li>" + inline(m[1]) + "</li>");
      i--;
      const tag = isOrdered ? "ol" : "ul";
      out.push(`<${tag}>` + items.join("") + `</${tag}>`);
    } else if (quote.test(line)) {
      flush();
      const body: string[] = [];
      for (; i < lines.length && (m = lines[i].match(quote)); i++) body.push(m[1]);
      i--;
      out.push("<blockquote>" + renderMarkdown(body.join("\n")) + "</blockquote>");
    } else {
      para.push(line);
    }
  }
  flush();
  return out.join("");
}
