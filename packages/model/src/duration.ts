import { ErrorCodes, VigilError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};
const DURATION_RE =
  /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNITS_IN_ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

/**
 * Parses a Prometheus duration (`1h30m`, `5m`, `250ms`, `2w`) into milliseconds.
 * Units must appear from largest to smallest, each at most once, as in Prometheus.
 * Throws `DURATION_INVALID` for anything else, including the empty string.
 */
export function parseDurationMs(text: string): number {
  const match = typeof text === 'string' && text !== '' ? DURATION_RE.exec(text) : null;
  if (match === null) {
    throw new VigilError(
      ErrorCodes.DURATION_INVALID,
      `Invalid duration ${JSON.stringify(text)}: write a number with a unit, largest unit first ` +
        `(for example "30s", "5m", "1h30m"; units y, w, d, h, m, s, ms).`,
      { details: { text } },
    );
  }
  let total = 0;
  for (let i = 0; i < UNITS_IN_ORDER.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) total += Number(part) * UNIT_MS[UNITS_IN_ORDER[i]!]!;
  }
  if (!Number.isSafeInteger(total)) {
    throw new VigilError(ErrorCodes.DURATION_INVALID, `Duration "${text}" is too large.`, {
      details: { text },
    });
  }
  return total;
}

/**
 * Formats milliseconds as Prometheus formats a duration (`90000` → `1m30s`; `0` → `0s`).
 * Years and weeks are used only when they divide the duration exactly, as upstream does,
 * so 30 days is `30d` and 28 days is `4w` (Sloth's rule names depend on this).
 */
export function formatDurationMs(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0) {
    throw new VigilError(
      ErrorCodes.DURATION_INVALID,
      `Cannot format ${ms} ms as a duration: it must be a non-negative integer.`,
    );
  }
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  for (const unit of UNITS_IN_ORDER) {
    const size = UNIT_MS[unit]!;
    if ((unit === 'y' || unit === 'w') && rest % size !== 0) continue;
    if (rest >= size) {
      out += `${Math.floor(rest / size)}${unit}`;
      rest %= size;
    }
  }
  return out;
}
