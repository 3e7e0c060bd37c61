/**
 * A hand-written SVG chart of an SLO's error-budget burn-down over a
 * period: the budget remaining over time, the 0% line, and the target line
 * (the straight burn from 100% to 0% that spends exactly the budget by the
 * end of the period, i.e. meets the target exactly).
 *
 * @module
 */
import type { HistorySeries } from '../policy/history.js';

/** Escapes text for XML character data and attribute values. */
export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Options of {@link renderBurndownSvg}. */
export interface BurndownSvgOptions {
  /** Title drawn at the top (e.g. the SLO id). */
  readonly title: string;
  /** Start and end of the period (x axis), ms since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  /** Width and height in px. Default 640 × 240. */
  readonly widthPx?: number;
  readonly heightPx?: number;
}

const DAY_MS = 86_400_000;

function fmt(n: number): string {
  return Number(n.toFixed(1)).toString();
}

/**
 * The chart as a standalone `<svg>` element (one line per element, no
 * XML declaration, so that it can be inlined in Markdown or HTML or saved
 * as a file). `burndown` holds the budget remaining (fraction) over time;
 * the y axis runs from 100% down to 0%, or lower when the budget was
 * overspent. Without points, the chart says "no data". Pure.
 */
export function renderBurndownSvg(burndown: HistorySeries, options: BurndownSvgOptions): string {
  const width = options.widthPx ?? 640;
  const height = options.heightPx ?? 240;
  const left = 48;
  const right = 16;
  const top = 28;
  const bottom = 28;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const { startMs, endMs } = options;
  const spanMs = Math.max(1, endMs - startMs);
  let minValue = 0;
  for (const v of burndown.values) if (v < minValue) minValue = v;
  const yMin = minValue < 0 ? Math.floor(minValue * 10) / 10 : 0;
  const yMax = 1;
  const x = (tMs: number): number => left + ((tMs - startMs) / spanMs) * plotW;
  const y = (v: number): number => top + ((yMax - v) / (yMax - yMin)) * plotH;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<title>${escapeXml(options.title)}: error budget remaining</title>`);
  out.push(`<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(
    `<text x="${left}" y="16" font-size="13" font-weight="bold">${escapeXml(options.title)}</text>`,
  );
  // Axes.
  out.push(
    `<line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333333"/>`,
  );
  out.push(
    `<line class="axis" x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333333"/>`,
  );
  // Y ticks: 100%, 50%, 0% and the bottom when below 0.
  const yTicks = [1, 0.5, 0, ...(yMin < 0 ? [yMin] : [])];
  for (const v of yTicks) {
    out.push(
      `<text x="${left - 6}" y="${fmt(y(v) + 4)}" text-anchor="end">${Math.round(v * 100)}%</text>`,
    );
  }
  // X ticks: every 7 days from the start, and the end.
  for (let t = startMs; t < endMs; t += 7 * DAY_MS) {
    out.push(
      `<line x1="${fmt(x(t))}" y1="${top + plotH}" x2="${fmt(x(t))}" y2="${top + plotH + 4}" stroke="#333333"/>`,
    );
    out.push(
      `<text x="${fmt(x(t))}" y="${top + plotH + 16}" text-anchor="middle">${new Date(t).toISOString().slice(5, 10)}</text>`,
    );
  }
  // The 0% line and the target line.
  out.push(
    `<line class="zero" x1="${left}" y1="${fmt(y(0))}" x2="${left + plotW}" y2="${fmt(y(0))}" stroke="#cc0000" stroke-dasharray="4 3"/>`,
  );
  out.push(
    `<line class="target" x1="${fmt(x(startMs))}" y1="${fmt(y(1))}" x2="${fmt(x(endMs))}" y2="${fmt(y(0))}" stroke="#888888" stroke-dasharray="2 2"/>`,
  );
  if (burndown.values.length === 0) {
    out.push(
      `<text x="${fmt(left + plotW / 2)}" y="${fmt(top + plotH / 2)}" text-anchor="middle" fill="#888888">no data</text>`,
    );
  } else {
    const points: string[] = [];
    for (let i = 0; i < burndown.values.length; i++) {
      points.push(`${fmt(x(burndown.timestampsMs[i]!))},${fmt(y(burndown.values[i]!))}`);
    }
    out.push(
      `<polyline class="remaining" points="${points.join(' ')}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>`,
    );
  }
  out.push(
    `<text x="${left + plotW}" y="${top - 6}" text-anchor="end" fill="#555555">budget remaining; grey: target pace; red: 0%</text>`,
  );
  out.push('</svg>');
  return out.join('\n');
}
