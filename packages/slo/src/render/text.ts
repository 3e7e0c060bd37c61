/**
 * Small text helpers shared by the renderers: ANSI colour, visible width,
 * padding, number formats.
 *
 * @module
 */
import type { PolicyState } from '../policy/policy.js';

/** ANSI colours used by the renderers. */
export type Colour = 'green' | 'yellow' | 'red' | 'magenta' | 'grey' | 'bold';

const CODES: Readonly<Record<Colour, string>> = {
  green: '32',
  yellow: '33',
  red: '31',
  magenta: '35',
  grey: '90',
  bold: '1',
};

/**
 * Whether to write ANSI colour: only when `stream` is a terminal and
 * `NO_COLOR` is unset or empty (https://no-color.org). Pure.
 */
export function shouldUseColour(
  stream: { readonly isTTY?: boolean },
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  return stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === '');
}

/** `text` in `colour` when `enabled`, else unchanged. */
export function paint(text: string, colour: Colour, enabled: boolean): string {
  return enabled ? `\u001b[${CODES[colour]}m${text}\u001b[0m` : text;
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*m/g;

/** `text` without ANSI colour sequences. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI_RE, '');
}

/** Visible width of `text` (code points, ANSI sequences not counted). */
export function visibleWidth(text: string): number {
  return [...stripAnsi(text)].length;
}

/** Pads `text` to `width` visible characters (right-aligned when `right`). */
export function pad(text: string, width: number, right = false): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return right ? fill + text : text + fill;
}

/** The colour of a policy state. */
export function stateColour(state: PolicyState): Colour {
  switch (state) {
    case 'ship':
      return 'green';
    case 'balance':
      return 'yellow';
    case 'reliability-first':
      return 'red';
    case 'freeze':
      return 'magenta';
    case 'unknown':
      return 'grey';
  }
}

/** A percentage with `digits` decimals, `-` for null. */
export function percentOrDash(fraction: number | null, digits = 1): string {
  return fraction === null || !Number.isFinite(fraction)
    ? '-'
    : `${(fraction * 100).toFixed(digits)}%`;
}

/**
 * A target as people write it: `99.9%`, `99.95%`, `95%` (as many decimals as
 * needed, at most 4).
 */
export function formatTarget(target: number): string {
  return `${Number((target * 100).toFixed(4))}%`;
}

/** A burn rate with two significant decimals (`0.52`, `14.40`), `-` for null. */
export function formatBurn(rate: number | null): string {
  if (rate === null || !Number.isFinite(rate)) return '-';
  return rate >= 100 ? rate.toFixed(0) : rate.toFixed(2);
}

/**
 * A text bar of the budget remaining: `[########............]` with `width`
 * cells, filled in proportion to `fraction` clamped to [0, 1];
 * `[      no data       ]` without data. Overspent budgets show empty.
 */
export function budgetBar(fraction: number | null, width = 20): string {
  if (fraction === null || !Number.isFinite(fraction)) {
    // Unknown is not empty: say so inside the bar rather than draw a level.
    const text = 'no data'.length <= width ? 'no data' : '?'.repeat(width);
    const left = Math.floor((width - text.length) / 2);
    return `[${' '.repeat(left)}${text}${' '.repeat(width - text.length - left)}]`;
  }
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
