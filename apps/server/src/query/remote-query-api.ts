/**
 * A {@link QueryApi} over a remote Prometheus-compatible HTTP API
 * (Prometheus, Thanos, Mimir, VictoriaMetrics, or another Vigil), so that
 * rules and SLOs run unchanged against a cluster.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import type { ErrorCode } from '@vigil/model';
import type {
  InstantSample,
  QueryApi,
  QueryOptions,
  QueryResult,
  QueryValue,
  RangeSeries,
} from '@vigil/promql';
import { sortLabelPairs } from '@vigil/storage';
import type { SeriesLabels } from '@vigil/storage';

/** Default time a remote query may take, ms (Prometheus's default query timeout). */
export const DEFAULT_REMOTE_QUERY_TIMEOUT_MS = 2 * 60_000;

/** Options of a {@link RemoteQueryApi}. */
export interface RemoteQueryApiOptions {
  /** Base URL of the API, e.g. `http://prometheus:9090` (`/api/v1/...` is appended). */
  readonly url: string;
  /** Sent as `Authorization: Bearer …`. Not together with `basicAuth`. */
  readonly bearerToken?: string | undefined;
  /** Sent as `Authorization: Basic …`. */
  readonly basicAuth?: { readonly username: string; readonly password: string } | undefined;
  /** Extra request headers (tenant IDs and the like). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Longest a query may take, ms (also sent as the API's `timeout`). Default 2 minutes. */
  readonly timeoutMs?: number | undefined;
}

interface ApiEnvelope {
  status?: unknown;
  data?: unknown;
  errorType?: unknown;
  error?: unknown;
  warnings?: unknown;
  infos?: unknown;
}

/** A sample value as the API writes it (`"1.5"`, `"NaN"`, `"+Inf"`, `"-Inf"`). */
export function parseSampleValue(text: unknown): number {
  if (typeof text !== 'string') return Number.NaN;
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    default:
      return Number(text);
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Queries a remote Prometheus-compatible API. Results come back as
 * {@link QueryValue}s: labels as sorted flat {@link SeriesLabels}, matrix
 * values in `Float64Array`s (NaN kept), times in integer ms. Native
 * histogram points, which Vigil's value types do not carry, are left out
 * with a warning.
 *
 * Errors: the remote's `bad_data` becomes `PROMQL_PARSE` (a parse error)
 * or `QUERY_BAD_REQUEST`; `execution` becomes `PROMQL_EXECUTION` (or
 * `PROMQL_TOO_MANY_SAMPLES`); `timeout` and our own timeout
 * `PROMQL_TIMEOUT`; an aborted `signal` `PROMQL_CANCELED`; anything else
 * (unreachable, not JSON, 5xx) `QUERY_REMOTE_FAILED`. Messages keep the
 * remote's text.
 *
 * Stateless apart from its options: any number of queries may run at once.
 */
export class RemoteQueryApi implements QueryApi {
  readonly options: RemoteQueryApiOptions;
  readonly #base: string;
  readonly #headers: Record<string, string>;
  readonly #timeoutMs: number;

  constructor(options: RemoteQueryApiOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch (err) {
      throw new VigilError(
        ErrorCodes.CONFIG_INVALID,
        `Invalid query backend URL ${JSON.stringify(options.url)}: expected an absolute http(s) URL such as "http://prometheus:9090".`,
        { cause: err },
      );
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new VigilError(
        ErrorCodes.CONFIG_INVALID,
        `Invalid query backend URL ${JSON.stringify(options.url)}: only http and https are supported.`,
      );
    }
    this.options = options;
    this.#base = options.url.replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_REMOTE_QUERY_TIMEOUT_MS;
    const headers: Record<string, string> = {
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
      ...options.headers,
    };
    if (options.bearerToken !== undefined) {
      headers.authorization = `Bearer ${options.bearerToken}`;
    } else if (options.basicAuth !== undefined) {
      const { username, password } = options.basicAuth;
      headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    }
    this.#headers = headers;
  }

  /** {@inheritDoc QueryApi.instantQuery} */
  async instantQuery(query: string, timeMs: number, options?: QueryOptions): Promise<QueryResult> {
    const form = new URLSearchParams({ query, time: String(timeMs / 1000) });
    return this.#query('/api/v1/query', form, options);
  }

  /** {@inheritDoc QueryApi.rangeQuery} */
  async rangeQuery(
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
    options?: QueryOptions,
  ): Promise<QueryResult> {
    const form = new URLSearchParams({
      query,
      start: String(startMs / 1000),
      end: String(endMs / 1000),
      step: String(stepMs / 1000),
    });
    const result = await this.#query('/api/v1/query_range', form, options);
    if (result.value.type !== 'matrix') {
      throw this.#failed(`answered a range query with a ${result.value.type}, not a matrix`);
    }
    return result;
  }

  async #query(path: string, form: URLSearchParams, options?: QueryOptions): Promise<QueryResult> {
    const timeoutMs = Math.min(this.#timeoutMs, options?.timeoutMs ?? Infinity);
    // Float seconds: Prometheus's duration syntax has no fractions ("1.5s" is refused).
    form.set('timeout', String(timeoutMs / 1000));
    if (options?.lookbackDeltaMs !== undefined) {
      form.set('lookback_delta', `${options.lookbackDeltaMs / 1000}`);
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal =
      options?.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout]);
    let response: Response;
    let text: string;
    try {
      response = await fetch(this.#base + path, {
        method: 'POST',
        headers: this.#headers,
        body: form,
        signal,
      });
      text = await response.text();
    } catch (err) {
      if (options?.signal?.aborted === true) {
        throw new VigilError(ErrorCodes.PROMQL_CANCELED, 'query was canceled by the caller', {
          cause: err,
          details: { url: this.#base },
        });
      }
      if (timeout.aborted) {
        throw new VigilError(
          ErrorCodes.PROMQL_TIMEOUT,
          `query timed out after ${this.#timeoutMs} ms waiting for ${this.#base}`,
          { cause: err, details: { url: this.#base, timeoutMs: this.#timeoutMs } },
        );
      }
      const reason =
        err instanceof Error
          ? err.cause instanceof Error
            ? err.cause.message
            : err.message
          : String(err);
      throw this.#failed(`could not be reached (${reason})`, err);
    }
    let envelope: ApiEnvelope;
    try {
      envelope = JSON.parse(text) as ApiEnvelope;
    } catch (err) {
      throw this.#failed(
        `answered HTTP ${response.status} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
        err,
        response.status,
      );
    }
    if (envelope === null || typeof envelope !== 'object') {
      throw this.#failed(`answered HTTP ${response.status} with JSON that is not an API answer`);
    }
    if (envelope.status !== 'success') {
      throw this.#apiError(envelope, response.status);
    }
    const warnings = strings(envelope.warnings);
    const value = this.#value(envelope.data, warnings);
    return { value, warnings, infos: strings(envelope.infos) };
  }

  #failed(what: string, cause?: unknown, status?: number): VigilError {
    return new VigilError(
      ErrorCodes.QUERY_REMOTE_FAILED,
      `The query backend at ${this.#base} ${what}; check query.remote.url and that the backend is up.`,
      {
        cause,
        details: { url: this.#base, ...(status === undefined ? {} : { status }) },
      },
    );
  }

  #apiError(envelope: ApiEnvelope, status: number): VigilError {
    const errorType = typeof envelope.errorType === 'string' ? envelope.errorType : '';
    const message = typeof envelope.error === 'string' ? envelope.error : '';
    let code: ErrorCode;
    switch (errorType) {
      case 'bad_data':
        code = / parse error: /.test(message)
          ? ErrorCodes.PROMQL_PARSE
          : ErrorCodes.QUERY_BAD_REQUEST;
        break;
      case 'execution':
        code = /too many samples/.test(message)
          ? ErrorCodes.PROMQL_TOO_MANY_SAMPLES
          : ErrorCodes.PROMQL_EXECUTION;
        break;
      case 'timeout':
        code = ErrorCodes.PROMQL_TIMEOUT;
        break;
      case 'canceled':
        code = ErrorCodes.PROMQL_CANCELED;
        break;
      default:
        return this.#failed(
          `answered HTTP ${status}${errorType === '' ? '' : ` (${errorType})`}: ${message || 'no error text'}`,
          undefined,
          status,
        );
    }
    return new VigilError(code, message || `${errorType} (HTTP ${status})`, {
      details: { url: this.#base, status, errorType },
    });
  }

  #value(data: unknown, warnings: string[]): QueryValue {
    const d = data as { resultType?: unknown; result?: unknown } | null;
    if (d === null || typeof d !== 'object') throw this.#failed('answered without a data object');
    const result = d.result;
    switch (d.resultType) {
      case 'scalar':
      case 'string': {
        if (!Array.isArray(result) || result.length !== 2 || typeof result[0] !== 'number') {
          throw this.#failed(`answered a malformed ${String(d.resultType)} result`);
        }
        const timestampMs = Math.round(result[0] * 1000);
        return d.resultType === 'scalar'
          ? { type: 'scalar', timestampMs, value: parseSampleValue(result[1]) }
          : { type: 'string', timestampMs, value: String(result[1]) };
      }
      case 'vector': {
        if (!Array.isArray(result)) throw this.#failed('answered a malformed vector result');
        const samples: InstantSample[] = [];
        let histograms = 0;
        for (const item of result as Array<{ metric?: unknown; value?: unknown }>) {
          const point = item.value;
          if (!Array.isArray(point)) {
            histograms++;
            continue;
          }
          samples.push({
            labels: this.#labels(item.metric),
            timestampMs: Math.round(Number(point[0]) * 1000),
            value: parseSampleValue(point[1]),
          });
        }
        if (histograms > 0) warnings.push(histogramWarning(histograms));
        return { type: 'vector', samples };
      }
      case 'matrix': {
        if (!Array.isArray(result)) throw this.#failed('answered a malformed matrix result');
        const series: RangeSeries[] = [];
        let histograms = 0;
        for (const item of result as Array<{
          metric?: unknown;
          values?: unknown;
          histograms?: unknown;
        }>) {
          const points = Array.isArray(item.values) ? (item.values as unknown[][]) : [];
          if (Array.isArray(item.histograms)) histograms += item.histograms.length;
          if (points.length === 0 && Array.isArray(item.histograms)) continue;
          const timestampsMs = new Float64Array(points.length);
          const values = new Float64Array(points.length);
          for (let i = 0; i < points.length; i++) {
            const p = points[i]!;
            timestampsMs[i] = Math.round(Number(p[0]) * 1000);
            values[i] = parseSampleValue(p[1]);
          }
          series.push({ labels: this.#labels(item.metric), timestampsMs, values });
        }
        if (histograms > 0) warnings.push(histogramWarning(histograms));
        return { type: 'matrix', series };
      }
      default:
        throw this.#failed(`answered an unknown resultType ${JSON.stringify(d.resultType)}`);
    }
  }

  #labels(metric: unknown): SeriesLabels {
    if (metric === null || typeof metric !== 'object') return [];
    const pairs: string[] = [];
    for (const [name, value] of Object.entries(metric as Record<string, unknown>)) {
      pairs.push(name, String(value));
    }
    return sortLabelPairs(pairs);
  }
}

function histogramWarning(n: number): string {
  return `${n} native histogram sample(s) of the remote answer were left out: Vigil's query values hold floats only`;
}
