// A horizontal bar chart as a self-contained SVG string (no fonts, scripts or links): one bar per
// item with ± std whiskers, the value printed beside it, and an optional dashed baseline. Used by
// `compare` to draw the metric of each pooling strategy. And a line chart (lineChartSvg): the loss
// curve of `pretrain`.

export interface Bar {
  label: string;
  value: number;
  /** Half-length of the whisker (e.g. a standard deviation); 0 or absent draws none. */
  std?: number;
}

export interface BarChartOptions {
  title: string;
  /** Text under the value axis, e.g. "test macroF1". */
  axisLabel: string;
  /** A reference value drawn as a dashed vertical line, e.g. the majority-class baseline. */
  baseline?: { label: string; value: number };
  /** Value range of the axis; default [0, 1] when every value lies in it, else [0, a rounded maximum]. */
  domain?: [number, number];
}

const ROW = 26;
const BAR = 16;
const CHAR = 7; // approximate width of one 12px sans-serif character
const PLOT_WIDTH = 420;

function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A "nice" upper bound (1, 2 or 5 times a power of ten) at or above x. */
function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 5, 10]) if (m * power >= x) return m * power;
  return 10 * power;
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : x.toFixed(Math.abs(x) < 10 ? 3 : 1);
}

/**
 * Draws `bars` top to bottom as a horizontal bar chart. NaN values are drawn as an empty row marked "n/a".
 * @example
 * barChartSvg([{ label: "mean", value: 0.82, std: 0.01 }], { title: "SpamAssassin", axisLabel: "test macroF1", baseline: { label: "majority", value: 0.41 } });
 */
export function barChartSvg(bars: readonly Bar[], options: BarChartOptions): string {
  const finite = bars.filter((b) => Number.isFinite(b.value));
  const highest = Math.max(0, ...finite.map((b) => b.value + (b.std ?? 0)), options.baseline?.value ?? 0);
  const lowest = Math.min(0, ...finite.map((b) => b.value - (b.std ?? 0)));
  const [lo, hi] = options.domain ?? (lowest >= 0 && highest <= 1 ? [0, 1] : [lowest < 0 ? -niceCeil(-lowest) : 0, niceCeil(highest)]);
  const labelWidth = Math.max(60, ...bars.map((b) => b.label.length * CHAR)) + 16;
  const left = labelWidth;
  const top = 58;
  const width = left + PLOT_WIDTH + 70;
  const height = top + bars.length * ROW + 56;
  const x = (v: number): number => left + ((Math.min(Math.max(v, lo), hi) - lo) / (hi - lo)) * PLOT_WIDTH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`);
  // grid lines and tick labels at fifths of the domain
  const plotBottom = top + bars.length * ROW;
  for (let i = 0; i <= 5; i++) {
    const v = lo + ((hi - lo) * i) / 5;
    const gx = x(v).toFixed(1);
    out.push(`<line x1="${gx}" y1="${top - 4}" x2="${gx}" y2="${plotBottom}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${gx}" y="${plotBottom + 16}" text-anchor="middle" fill="#444">${Number(v.toFixed(6))}</text>`);
  }
  out.push(`<text x="${left + PLOT_WIDTH / 2}" y="${plotBottom + 36}" text-anchor="middle">${escapeXml(options.axisLabel)}</text>`);
  bars.forEach((b, i) => {
    const cy = top + i * ROW + ROW / 2;
    out.push(`<text x="${left - 8}" y="${cy + 4}" text-anchor="end">${escapeXml(b.label)}</text>`);
    if (!Number.isFinite(b.value)) {
      out.push(`<text x="${left + 4}" y="${cy + 4}" fill="#888">n/a</text>`);
      return;
    }
    const x0 = x(Math.max(lo, 0));
    const x1 = x(b.value);
    out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${(cy - BAR / 2).toFixed(1)}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${BAR}" fill="#4C78A8"/>`);
    const std = b.std ?? 0;
    if (std > 0) {
      const wl = x(b.value - std).toFixed(1);
      const wr = x(b.value + std).toFixed(1);
      out.push(`<path d="M${wl} ${cy}H${wr}M${wl} ${cy - 5}V${cy + 5}M${wr} ${cy - 5}V${cy + 5}" stroke="#222" stroke-width="1.5" fill="none"/>`);
    }
    const text = std > 0 ? `${fmt(b.value)} ± ${fmt(std)}` : fmt(b.value);
    out.push(`<text x="${(x(b.value + std) + 6).toFixed(1)}" y="${cy + 4}" fill="#222">${escapeXml(text)}</text>`);
  });
  if (options.baseline !== undefined) {
    const bx = x(options.baseline.value).toFixed(1);
    out.push(`<line x1="${bx}" y1="${top - 8}" x2="${bx}" y2="${plotBottom}" stroke="#D62728" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${bx}" y="${top - 12}" text-anchor="middle" fill="#D62728">${escapeXml(`${options.baseline.label} ${fmt(options.baseline.value)}`)}</text>`);
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}

/** One line of a line chart: points (x, y) in order of x. */
export interface Series {
  label: string;
  points: readonly (readonly [number, number])[];
  color: string;
  /** Draw a dot at each point (for sparse series such as evaluations). */
  dots?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Horizontal reference lines, e.g. a baseline's loss, drawn dashed. */
  references?: { label: string; value: number; color: string }[];
}

const LINE_WIDTH = 560;
const LINE_HEIGHT = 300;

/**
 * Draws `series` as lines over a shared x and y range (both from 0, or from the lowest value when it
 * is negative), with a legend, axes at fifths of each range and dashed reference lines.
 * @example lineChartSvg([{ label: "train loss", color: "#4C78A8", points: [[1, 8.3], [2, 7.9]] }], { title: "MLM", xLabel: "step", yLabel: "loss" })
 */
export function lineChartSvg(series: readonly Series[], options: LineChartOptions): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...series.flatMap((s) => s.points.map((p) => p[1])), ...(options.references ?? []).map((r) => r.value)].filter(Number.isFinite);
  const xHi = niceCeil(Math.max(1, ...xs));
  const yHi = niceCeil(Math.max(0, ...ys));
  const yLo = Math.min(0, ...ys);
  const left = 64;
  const top = 40;
  const width = left + LINE_WIDTH + 24;
  const height = top + LINE_HEIGHT + 52 + 18 * (series.length + (options.references?.length ?? 0));
  const px = (x: number): string => (left + (x / xHi) * LINE_WIDTH).toFixed(1);
  const py = (y: number): string => (top + LINE_HEIGHT - ((y - yLo) / (yHi - yLo)) * LINE_HEIGHT).toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(options.title)}</text>`);
  for (let i = 0; i <= 5; i++) {
    const xv = (xHi * i) / 5;
    const yv = yLo + ((yHi - yLo) * i) / 5;
    out.push(`<line x1="${px(xv)}" y1="${top}" x2="${px(xv)}" y2="${top + LINE_HEIGHT}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${px(xv)}" y="${top + LINE_HEIGHT + 16}" text-anchor="middle" fill="#444">${Number(xv.toPrecision(6))}</text>`);
    out.push(`<line x1="${left}" y1="${py(yv)}" x2="${left + LINE_WIDTH}" y2="${py(yv)}" stroke="#e0e0e0"/>`);
    out.push(`<text x="${left - 6}" y="${(Number(py(yv)) + 4).toFixed(1)}" text-anchor="end" fill="#444">${Number(yv.toPrecision(6))}</text>`);
  }
  out.push(`<text x="${left + LINE_WIDTH / 2}" y="${top + LINE_HEIGHT + 34}" text-anchor="middle">${escapeXml(options.xLabel)}</text>`);
  out.push(`<text x="16" y="${top + LINE_HEIGHT / 2}" text-anchor="middle" transform="rotate(-90 16 ${top + LINE_HEIGHT / 2})">${escapeXml(options.yLabel)}</text>`);
  let legendY = top + LINE_HEIGHT + 56;
  for (const ref of options.references ?? []) {
    out.push(`<line x1="${left}" y1="${py(ref.value)}" x2="${left + LINE_WIDTH}" y2="${py(ref.value)}" stroke="${ref.color}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    out.push(`<line x1="${left}" y1="${legendY - 4}" x2="${left + 24}" y2="${legendY - 4}" stroke="${ref.color}" stroke-width="1.5" stroke-dasharray="5,4"/>`);
    out.push(`<text x="${left + 30}" y="${legendY}">${escapeXml(`${ref.label} ${fmt(ref.value)}`)}</text>`);
    legendY += 18;
  }
  for (const s of series) {
    const finite = s.points.filter((p) => Number.isFinite(p[1]));
    if (finite.length > 0) {
      const d = finite.map((p, i) => `${i === 0 ? "M" : "L"}${px(p[0])} ${py(p[1])}`).join("");
      out.push(`<path d="${d}" stroke="${s.color}" stroke-width="1.5" fill="none"/>`);
      if (s.dots === true) for (const p of finite) out.push(`<circle cx="${px(p[0])}" cy="${py(p[1])}" r="3" fill="${s.color}"/>`);
    }
    out.push(`<line x1="${left}" y1="${legendY - 4}" x2="${left + 24}" y2="${legendY - 4}" stroke="${s.color}" stroke-width="2"/>`);
    out.push(`<text x="${left + 30}" y="${legendY}">${escapeXml(s.label)}</text>`);
    legendY += 18;
  }
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
