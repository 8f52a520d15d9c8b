// Number formatting shared by the views.

const intFmt = new Intl.NumberFormat("en-US");

export function formatInt(n: number): string {
  return intFmt.format(Math.round(n));
}

/** formatTokens shortens large counts: 1234 → "1.2K", 2500000 → "2.5M". */
export function formatTokens(n: number): string {
  if (n >= 1e9) return (n / 1e9).toFixed(1) + "B";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + "M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + "K";
  return formatInt(n);
}

/** formatUSD shows small costs with enough digits to be non-zero. */
export function formatUSD(n: number): string {
  if (n === 0) return "$0";
  if (n < 0.01) return "$" + n.toPrecision(2);
  return "$" + n.toFixed(n < 10 ? 4 : 2);
}

/** formatPrice is a price per million tokens. */
export function formatPrice(perMillion: number): string {
  if (perMillion === 0) return "free";
  return "$" + (perMillion < 1 ? perMillion.toFixed(3) : perMillion.toFixed(2));
}

export function formatMs(ms: number | undefined): string {
  if (ms === undefined) return "–";
  return ms < 1000 ? Math.round(ms) + " ms" : (ms / 1000).toFixed(2) + " s";
}

export function formatContext(n: number): string {
  if (!n) return "–";
  if (n >= 1e6) return (n / 1e6).toFixed(n % 1e6 === 0 ? 0 : 1) + "M";
  if (n >= 1e3) return Math.round(n / 1e3) + "K";
  return String(n);
}

/** costOf prices a request's usage with a model's per-million prices. */
export function costOf(inputTokens: number, outputTokens: number, inPerMillion: number, outPerMillion: number): number {
  return (inputTokens * inPerMillion + outputTokens * outPerMillion) / 1e6;
}
