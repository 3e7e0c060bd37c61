/**
 * Request parameters of the Prometheus-compatible query API, read and
 * checked the way Prometheus's `web/api/v1` does, with its error texts
 * (clients and tests compare them).
 *
 * @module
 */
import { ErrorCodes, VigilError, parseDurationMs } from '@vigil/model';

/**
 * The parameters of one request: the URL query and, for a POST with
 * `application/x-www-form-urlencoded`, the body. As in Go's `Request.Form`,
 * body values come first, so a body value wins over a URL value of the
 * same name.
 */
export class FormParams {
  readonly #values = new Map<string, string[]>();

  constructor(...sources: readonly (URLSearchParams | undefined)[]) {
    for (const source of sources) {
      if (source === undefined) continue;
      for (const [name, value] of source) {
        const list = this.#values.get(name);
        if (list === undefined) this.#values.set(name, [value]);
        else list.push(value);
      }
    }
  }

  /** The first value of `name`, or `''` when absent (Go's `FormValue`). */
  value(name: string): string {
    return this.#values.get(name)?.[0] ?? '';
  }

  /** Every value of `name` (for repeated parameters such as `match[]`). */
  values(name: string): readonly string[] {
    return this.#values.get(name) ?? [];
  }
}

/** A `bad_data` error with Prometheus's text. */
export function badData(message: string, details?: Record<string, unknown>): VigilError {
  return new VigilError(
    ErrorCodes.QUERY_BAD_REQUEST,
    message,
    details === undefined ? undefined : { details },
  );
}

/** Prometheus's `invalid parameter "name": reason` error. */
export function invalidParam(name: string, reason: string): VigilError {
  return badData(`invalid parameter ${JSON.stringify(name)}: ${reason}`, { parameter: name });
}

/**
 * The defaults of `start` and `end` on the metadata endpoints ("no
 * bound"), in ms since the epoch. Prometheus's own bounds (its `MinTime`
 * and `MaxTime`, which clients send back in RFC 3339) are accepted and
 * mean the same.
 */
export const API_MIN_TIME_MS = Number.MIN_SAFE_INTEGER;
/** See {@link API_MIN_TIME_MS}. */
export const API_MAX_TIME_MS = Number.MAX_SAFE_INTEGER;

// Prometheus prints its MinTime/MaxTime in RFC 3339 for clients to send back.
const MIN_TIME_TEXT = '-292273086-05-16T16:47:06Z';
const MAX_TIME_TEXT = '292277025-08-18T07:12:54.999999999Z';

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses an API time: Unix seconds with an optional fraction (rounded to
 * ms, as Prometheus does) or RFC 3339 with an optional fraction (truncated
 * to ms). Returns ms since the epoch, or undefined when `text` is neither.
 */
export function parseApiTimeMs(text: string): number | undefined {
  const trimmed = text;
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(trimmed)) {
    const seconds = Number(trimmed);
    if (!Number.isFinite(seconds)) return undefined;
    const whole = Math.trunc(seconds);
    const ms = whole * 1000 + Math.round((seconds - whole) * 1000);
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  const m = RFC3339.exec(trimmed);
  if (m !== null) {
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) =>
      Number(m[i]),
    ) as [number, number, number, number, number, number];
    if (
      month < 1 ||
      month > 12 ||
      day < 1 ||
      day > daysInMonth(year, month) ||
      hour > 23 ||
      minute > 59 ||
      second > 59
    ) {
      return undefined;
    }
    let ms = Date.UTC(year, month - 1, day, hour, minute, second);
    // Date.UTC maps years 0-99 to 1900-1999.
    if (year < 100) {
      const d = new Date(ms);
      d.setUTCFullYear(year);
      ms = d.getTime();
    }
    const fraction = m[7];
    if (fraction !== undefined) ms += Number(fraction.slice(0, 3).padEnd(3, '0'));
    if (m[9] !== undefined) {
      const offsetMs = (Number(m[10]) * 60 + Number(m[11])) * 60_000;
      ms += m[9] === '+' ? -offsetMs : offsetMs;
    }
    return ms;
  }
  if (trimmed === MIN_TIME_TEXT) return API_MIN_TIME_MS;
  if (trimmed === MAX_TIME_TEXT) return API_MAX_TIME_MS;
  return undefined;
}

/** Prometheus's `parseTime`: the time, or its error text. */
export function requireTime(text: string, param: string): number {
  const ms = parseApiTimeMs(text);
  if (ms === undefined) {
    throw invalidParam(param, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
  }
  return ms;
}

/**
 * Prometheus's `parseTimeParam`: an optional time with a default (its
 * error text names the parameter twice, as upstream's does).
 */
export function optionalTime(form: FormParams, param: string, defaultMs: number): number {
  const text = form.value(param);
  if (text === '') return defaultMs;
  const ms = parseApiTimeMs(text);
  if (ms === undefined) {
    throw invalidParam(
      param,
      `Invalid time value for '${param}': cannot parse ${JSON.stringify(text)} to a valid timestamp`,
    );
  }
  return ms;
}

/**
 * Parses an API duration: float seconds (`"15"`, `"0.5"`) or a Prometheus
 * duration (`"15s"`, `"1m30s"`). Returns ms, possibly with a fraction (a
 * float below 0.001 seconds stays positive, as Prometheus's nanosecond
 * durations do; callers truncate), or the Prometheus error text.
 */
export function parseApiDurationMs(text: string): number | string {
  if (/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(text)) {
    const seconds = Number(text);
    if (!Number.isFinite(seconds) || Math.abs(seconds) * 1e9 > 9.223372036854776e18) {
      return `cannot parse ${JSON.stringify(text)} to a valid duration. It overflows int64`;
    }
    return seconds * 1000;
  }
  try {
    return parseDurationMs(text);
  } catch {
    return `cannot parse ${JSON.stringify(text)} to a valid duration`;
  }
}

/** A required duration parameter (`step`), or Prometheus's `invalid parameter` error. */
export function requireDuration(form: FormParams, param: string): number {
  const parsed = parseApiDurationMs(form.value(param));
  if (typeof parsed === 'string') throw invalidParam(param, parsed);
  return parsed;
}

/** An optional duration parameter (`timeout`), undefined when absent. */
export function optionalDuration(form: FormParams, param: string): number | undefined {
  const text = form.value(param);
  if (text === '') return undefined;
  const parsed = parseApiDurationMs(text);
  if (typeof parsed === 'string') throw invalidParam(param, parsed);
  return parsed;
}

/** Prometheus's `limit` parameter: 0 (no limit) when absent. */
export function limitParam(form: FormParams): number {
  const text = form.value('limit');
  if (text === '') return 0;
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw invalidParam('limit', `strconv.Atoi: parsing ${JSON.stringify(text)}: invalid syntax`);
  }
  const limit = Number(text);
  if (limit < 0) throw invalidParam('limit', 'limit must be non-negative');
  return limit;
}

/**
 * Undoes Prometheus's `U__` value-encoding escaping of a label name in a
 * URL path (`U__my_2e_label` → `my.label`, `__` → `_`). Returns the name
 * unchanged when it does not start with `U__` or the escaping is invalid
 * (as upstream does).
 */
export function unescapeLabelName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const body = name.slice(3);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '_') {
      out += c;
      continue;
    }
    if (body[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = body.indexOf('_', i + 1);
    if (end < 0) return name;
    const hex = body.slice(i + 1, end);
    if (!/^[0-9a-fA-F]+$/.test(hex)) return name;
    const code = Number.parseInt(hex, 16);
    if (code > 0x10ffff) return name;
    out += String.fromCodePoint(code);
    i = end;
  }
  return out;
}
