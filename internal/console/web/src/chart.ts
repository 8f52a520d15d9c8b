// Small SVG line charts drawn by our own code: a series is a list of
// (time, value) samples, null where nothing was measured.

export interface Sample {
  t: number; // unix ms
  v: number | null;
}

export interface Series {
  name: string;
  samples: Sample[];
}

export interface Box {
  width: number;
  height: number;
  pad: number;
}

/** niceMax rounds a chart's top up to 1, 2 or 5 times a power of ten. */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

/** domain is the time span and the value top of every series. */
export function domain(series: Series[], yMax?: number): { t0: number; t1: number; top: number } {
  let t0 = Infinity;
  let t1 = -Infinity;
  let top = 0;
  for (const s of series)
    for (const p of s.samples) {
      t0 = Math.min(t0, p.t);
      t1 = Math.max(t1, p.t);
      if (p.v !== null) top = Math.max(top, p.v);
    }
  if (t0 === Infinity) t0 = t1 = 0;
  return { t0, t1, top: yMax ?? niceMax(top) };
}

/** segments maps a series to SVG point lists, broken where a sample is
 * null (one list per unbroken run; a run of one sample is one point). */
export function segments(s: Series, box: Box, d: { t0: number; t1: number; top: number }): [number, number][][] {
  const w = box.width - 2 * box.pad;
  const h = box.height - 2 * box.pad;
  const x = (t: number) => box.pad + (d.t1 === d.t0 ? w : ((t - d.t0) / (d.t1 - d.t0)) * w);
  const y = (v: number) => box.pad + h - (Math.min(v, d.top) / d.top) * h;
  const out: [number, number][][] = [];
  let run: [number, number][] = [];
  for (const p of s.samples) {
    if (p.v === null) {
      if (run.length) out.push(run);
      run = [];
      continue;
    }
    run.push([Math.round(x(p.t) * 10) / 10, Math.round(y(p.v) * 10) / 10]);
  }
  if (run.length) out.push(run);
  return out;
}
