/**
 * The two exposition formats, content negotiation, and the escaping and
 * number rules both formats share. Used by the SDK's serialiser, the generic
 * writer and the parser, so that writer and reader agree on every character.
 */
import { formatGoG } from '@vigil/model';

/** An exposition format: Prometheus text 0.0.4 or OpenMetrics 1.0.0. */
export type ExpositionFormat = 'text' | 'openmetrics';

/** Content type of the Prometheus text format, version 0.0.4. */
export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** Content type of OpenMetrics 1.0.0. */
export const OPENMETRICS_CONTENT_TYPE =
  'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The content type to answer with for `format`. */
export function contentTypeFor(format: ExpositionFormat): string {
  return format === 'openmetrics' ? OPENMETRICS_CONTENT_TYPE : TEXT_CONTENT_TYPE;
}

interface MediaRange {
  type: string;
  version: string | undefined;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const params = part.split(';');
    const type = params[0]!.trim().toLowerCase();
    if (type === '') continue;
    let q = 1;
    let version: string | undefined;
    for (let i = 1; i < params.length; i++) {
      const eq = params[i]!.indexOf('=');
      if (eq < 0) continue;
      const key = params[i]!.slice(0, eq).trim().toLowerCase();
      const value = params[i]!.slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      if (key === 'q') {
        const parsed = Number(value);
        q = Number.isFinite(parsed) ? Math.min(1, Math.max(0, parsed)) : 0;
      } else if (key === 'version') {
        version = value;
      }
    }
    ranges.push({ type, version, q });
  }
  return ranges;
}

const OPENMETRICS_VERSIONS = new Set([undefined, '1.0.0', '0.0.1']);

/**
 * Chooses the format for an HTTP `Accept` header, as Prometheus clients do:
 * OpenMetrics when the client accepts `application/openmetrics-text` (version
 * 1.0.0, 0.0.1 or unversioned) at least as much as plain text; otherwise the
 * text format, which is also the answer for a missing or unparsable header.
 */
export function negotiateFormat(accept: string | undefined | null): ExpositionFormat {
  if (!accept) return 'text';
  let openMetricsQ = 0;
  let textQ = 0;
  for (const range of parseAccept(accept)) {
    if (range.type === 'application/openmetrics-text' && OPENMETRICS_VERSIONS.has(range.version)) {
      openMetricsQ = Math.max(openMetricsQ, range.q);
    } else if (range.type === 'text/plain' || range.type === 'text/*' || range.type === '*/*') {
      textQ = Math.max(textQ, range.q);
    }
  }
  return openMetricsQ > 0 && openMetricsQ >= textQ ? 'openmetrics' : 'text';
}

const LABEL_ESCAPE_RE = /[\\"\n]/;
const LABEL_ESCAPE_ALL_RE = /[\\"\n]/g;
const HELP_TEXT_ESCAPE_RE = /[\\\n]/g;
const HELP_OM_ESCAPE_RE = /[\\"\n]/g;

function escapeChar(c: string): string {
  return c === '\n' ? '\\n' : c === '\\' ? '\\\\' : '\\"';
}

/** Escapes a label value for either format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return LABEL_ESCAPE_RE.test(value) ? value.replace(LABEL_ESCAPE_ALL_RE, escapeChar) : value;
}

/**
 * Escapes HELP text. The text format escapes backslash and line feed;
 * OpenMetrics also escapes the double quote.
 */
export function escapeHelp(text: string, format: ExpositionFormat): string {
  return text.replace(
    format === 'openmetrics' ? HELP_OM_ESCAPE_RE : HELP_TEXT_ESCAPE_RE,
    escapeChar,
  );
}

/** Formats a sample value: `NaN`, `+Inf`, `-Inf`, or the shortest round-trip decimal. */
export function formatSampleValue(value: number): string {
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  // String() gives the shortest text that parses back to the same float, and NaN as "NaN".
  return String(value);
}

/**
 * Formats a histogram bucket bound (`le`) or quantile as Prometheus's Go
 * clients do (`strconv.FormatFloat(v, 'g', -1, 64)`: `0.005`, `1`, `1e+06`).
 * OpenMetrics requires that canonical form with `.0` appended when there is
 * neither a decimal point nor an exponent (`1.0`, `100000.0`, `1e+06`).
 */
export function formatBoundValue(bound: number, format: ExpositionFormat): string {
  if (!Number.isFinite(bound)) return formatSampleValue(bound);
  // Negative zero is written `0`, as the Go clients' bounds never carry a sign on zero.
  const text = formatGoG(bound === 0 ? 0 : bound);
  if (format === 'openmetrics' && !text.includes('.') && !text.includes('e')) {
    return text + '.0';
  }
  return text;
}

/** Formats a millisecond timestamp as the seconds OpenMetrics writes (`1520879607.789`). */
export function formatTimestampSeconds(timestampMs: number): string {
  return String(timestampMs / 1000);
}
