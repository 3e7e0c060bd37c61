import type { ExemplarRecord } from './exemplar.js';

/**
 * Series keep times as milliseconds since this base rather than since the
 * epoch: such numbers fit V8's small-integer range for about 12 days of
 * uptime, so they are stored inline instead of as a 16-byte heap number each.
 */
const TIME_BASE_MS = Date.now();

/** Milliseconds since {@link TIME_BASE_MS}, for series time fields. */
export function seriesNow(): number {
  return Date.now() - TIME_BASE_MS;
}

/** Converts a series time field back to milliseconds since the epoch. */
export function seriesTimeToEpochMs(seriesTime: number): number {
  return seriesTime + TIME_BASE_MS;
}

/**
 * State every series of every metric type carries. Series double as the
 * "bound children" handed out by `metric.labels(...)`, so hot paths update
 * them directly without a label lookup.
 */
export abstract class SeriesBase {
  /** Escaped label text without braces (`method="GET",route="/users/:id"`); '' without labels. */
  readonly labelsText: string;
  /** When the series was created (or last reset), in {@link seriesNow} time; `_created` in OpenMetrics. */
  createdAt: number;
  /** Set by every update, cleared by the expiry sweep. */
  touched = false;
  /** When the sweep last saw the series updated, in {@link seriesNow} time. */
  lastSeenAt: number;
  /** False once removed from its metric; the next update puts it back. */
  attached = true;

  constructor(labelsText: string, now: number) {
    this.labelsText = labelsText;
    this.createdAt = now;
    this.lastSeenAt = now;
  }

  /** Zeroes the series for removal and reset; it starts anew at `now`. */
  clear(now: number): void {
    this.clearValues();
    this.createdAt = now;
    this.lastSeenAt = now;
    this.touched = false;
  }

  /** Zeroes the type-specific values. */
  protected abstract clearValues(): void;
}

/** Holds the latest exemplar of a series or bucket. */
export type ExemplarSlot = ExemplarRecord | undefined;

/**
 * Recovers the label values, in declared order, from a series' label text
 * (`a="x",b="y\\"z"`). Series do not keep a values array: that would cost
 * about 70 bytes per series for what only removal and expiry need.
 */
export function parseLabelValues(labelsText: string): string[] {
  const values: string[] = [];
  let i = 0;
  while (i < labelsText.length) {
    i = labelsText.indexOf('="', i) + 2;
    let value = '';
    let start = i;
    for (;;) {
      const c = labelsText.charCodeAt(i);
      if (c === 0x22 /* " */) break;
      if (c === 0x5c /* \ */) {
        value += labelsText.slice(start, i);
        const next = labelsText[i + 1];
        value += next === 'n' ? '\n' : next;
        i += 2;
        start = i;
      } else {
        i++;
      }
    }
    values.push(value + labelsText.slice(start, i));
    i += 2; // closing quote and comma
  }
  return values;
}

/** The label text of a series with the registry's default labels (`prefix`) in front. */
export function withPrefix(prefix: string, labelsText: string): string {
  if (prefix === '') return labelsText;
  return labelsText === '' ? prefix : prefix + ',' + labelsText;
}
