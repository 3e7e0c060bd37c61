import { ErrorCodes, VigilError, isValidLabelName, type Labels } from '@vigil/model';
import { escapeLabelValue } from '@vigil/exposition';

/** An exemplar as stored on a series: its label text, value and time. */
export interface ExemplarRecord {
  /** Escaped label text without braces, e.g. `trace_id="4bf9..."`. */
  readonly labelsText: string;
  /** The observed value or increment the exemplar belongs to. */
  readonly value: number;
  /** When it was recorded, ms since the epoch. */
  readonly timestampMs: number;
}

/** OpenMetrics caps an exemplar's label names and values at 128 code points in all. */
export const MAX_EXEMPLAR_LABEL_CHARS = 128;

/**
 * A function that returns the exemplar labels for the current context (the
 * tracing integration returns `{ trace_id, span_id }` of the active sampled
 * span), or `undefined` when there is none.
 */
export type ExemplarProvider = () => Labels | undefined;

let provider: ExemplarProvider | undefined;

/**
 * Installs the provider used by metrics created with `exemplars: true` when no
 * exemplar is passed explicitly. Tracing installs one; pass `undefined` to remove it.
 */
export function setExemplarProvider(next: ExemplarProvider | undefined): void {
  provider = next;
}

/** Labels from the installed provider, or undefined; never throws. */
export function currentExemplarLabels(): Labels | undefined {
  if (provider === undefined) return undefined;
  try {
    return provider();
  } catch {
    return undefined;
  }
}

function codePoints(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * Builds an exemplar record, or returns a {@link VigilError} (`EXEMPLAR_INVALID`)
 * when the labels break the OpenMetrics rules.
 */
export function makeExemplar(
  metric: string,
  labels: Labels,
  value: number,
  timestampMs: number,
): ExemplarRecord | VigilError {
  let text = '';
  let units = 0;
  for (const name in labels) {
    const v = labels[name];
    if (!isKnownLabelName(name) || typeof v !== 'string') {
      return new VigilError(
        ErrorCodes.EXEMPLAR_INVALID,
        `Metric "${metric}": exemplar label ${JSON.stringify(name)} must be a valid label name ` +
          `with a string value.`,
      );
    }
    units += name.length + v.length;
    text += (text === '' ? '' : ',') + name + '="' + escapeLabelValue(v) + '"';
  }
  // UTF-16 units are never fewer than code points: count exactly only when
  // the cheap count is over the limit.
  if (units > MAX_EXEMPLAR_LABEL_CHARS) {
    let length = 0;
    for (const name in labels) length += name.length + codePoints(labels[name] as string);
    if (length > MAX_EXEMPLAR_LABEL_CHARS) {
      return new VigilError(
        ErrorCodes.EXEMPLAR_INVALID,
        `Metric "${metric}": exemplar labels are ${length} characters long; OpenMetrics allows ` +
          `${MAX_EXEMPLAR_LABEL_CHARS} for names and values together. Keep only the trace id.`,
      );
    }
  }
  // Flattened now: the text outlives the label values it was built from
  // (trace ids may be slices of a larger string, which a flat copy lets go).
  text.charCodeAt(0);
  return { labelsText: text, value, timestampMs };
}

/** Label names already found valid; exemplars reuse a handful (`trace_id`, `span_id`). */
const validNames = new Set<string>();

function isKnownLabelName(name: string): boolean {
  if (validNames.has(name)) return true;
  if (!isValidLabelName(name)) return false;
  if (validNames.size < 64) validNames.add(name);
  return true;
}
