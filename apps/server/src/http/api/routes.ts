/**
 * The Prometheus-compatible HTTP API under `/api/v1` (query, query_range,
 * series, labels, label values, metadata, targets, status, format_query,
 * parse_query, and empty exemplars, rules and alerts so that Grafana's
 * Prometheus data source works unchanged). Parameters, JSON shapes, error
 * types, statuses and error texts follow Prometheus 3's `web/api/v1`.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCodes, VigilError, formatDurationMs, isVigilError } from '@vigil/model';
import type { LabelMatcher } from '@vigil/model';
import { exprToJson, formatParseError, parseExpr, prettyExpr } from '@vigil/promql';
import type { QueryApi, QueryOptions, QueryResult } from '@vigil/promql';
import { compareLabels, compareStrings, labelsKey } from '@vigil/storage';
import type { Queryable, SeriesLabels } from '@vigil/storage';
import type { ApiAlert, ApiRuleGroup } from '@vigil/rules';
import type { Logger } from '@vigil/sdk';
import { apiErrorTypeFor, httpStatusFor } from '../status.js';
import {
  API_MAX_TIME_MS,
  API_MIN_TIME_MS,
  FormParams,
  badData,
  invalidParam,
  limitParam,
  optionalDuration,
  optionalTime,
  parseApiDurationMs,
  requireDuration,
  requireTime,
  unescapeLabelName,
} from './params.js';

import { labelsJson, renderError, renderQueryData, renderSuccess, seriesCount } from './render.js';

/** Most points a range query may return per series, as in Prometheus. */
export const MAX_POINTS_PER_SERIES = 11_000;

/** Text that is not valid UTF-8 once encoded. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The parser's message for `{x=""}`. */
const EMPTY_SELECTOR = 'vector selector must contain at least one non-empty matcher';

/** What Prometheus says when a `limit` cut an answer short. */
export const TRUNCATED_WARNING = 'results truncated due to limit';

/** A scrape target as `/api/v1/targets` shows it (the scrape manager's `TargetHealth`). */
export interface ApiTarget {
  readonly job: string;
  readonly scrapeUrl: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly discoveredLabels: Readonly<Record<string, string>>;
  readonly health: string;
  readonly lastError: string;
  /** ms since the epoch, 0 before the first scrape. */
  readonly lastScrapeMs: number;
  readonly lastScrapeDurationSeconds: number;
  readonly scrapeIntervalMs: number;
  readonly scrapeTimeoutMs: number;
}

/** A dropped target as `/api/v1/targets` shows it. */
export interface ApiDroppedTarget {
  readonly job: string;
  readonly discoveredLabels: Readonly<Record<string, string>>;
}

/** Metadata of a metric family as a scrape saw it (`/api/v1/metadata`). */
export interface ApiMetricMetadata {
  /** `counter`, `gauge`, `histogram`, `summary`, `unknown`, ... */
  readonly type: string;
  readonly help: string;
  readonly unit: string;
}

/** Build information for `/api/v1/status/buildinfo` (Prometheus's field names). */
export interface ApiBuildInfo {
  readonly version: string;
  readonly revision: string;
  readonly branch: string;
  readonly buildUser: string;
  readonly buildDate: string;
  /** The runtime's version; the field keeps Prometheus's name for clients. */
  readonly goVersion: string;
}

/** Options of {@link registerPrometheusApi}. */
export interface PrometheusApiOptions {
  /** Evaluates `/api/v1/query` and `/api/v1/query_range`. */
  readonly engine: QueryApi;
  /** Where `/api/v1/series`, `/labels` and `/label/:name/values` read. */
  readonly queryable: Queryable;
  /** Active and dropped scrape targets (none when omitted). */
  readonly targets?: {
    targets(): readonly ApiTarget[];
    droppedTargets(): readonly ApiDroppedTarget[];
  };
  /** Rule groups and alerts for `/api/v1/rules` and `/api/v1/alerts` (none when omitted). */
  readonly rules?: {
    rules(): { groups: readonly ApiRuleGroup[] };
    alerts(): { alerts: readonly ApiAlert[] };
  };
  /** Metric metadata by metric name, as scrapes saw it (none when omitted). */
  readonly metadata?: () => ReadonlyMap<string, readonly ApiMetricMetadata[]>;
  /** `/api/v1/status/buildinfo`. */
  readonly buildInfo?: ApiBuildInfo;
  /** Extra `/api/v1/status/runtimeinfo` fields (start time, last reload, retention). */
  readonly runtimeInfo?: () => {
    readonly startTimeMs: number;
    readonly reloadConfigSuccess: boolean;
    readonly lastConfigTimeMs: number;
    readonly storageRetention: string;
  };
  /** `/api/v1/status/flags`: the command-line settings in force. */
  readonly flags?: () => Readonly<Record<string, string>>;
  /** `/api/v1/status/config`: the configuration in force, as YAML. */
  readonly configYaml?: () => string;
  /** The current time in ms (tests fix it). Default `Date.now`. */
  readonly now?: () => number;
  /** Failed requests are logged here (4xx at debug, 5xx at error). */
  readonly logger?: Logger;
}

type Handler = (
  form: FormParams,
  request: FastifyRequest,
  reply: FastifyReply,
) => Answer | Promise<Answer>;

/** What a handler produces: rendered `data` JSON and its warnings and infos. */
interface Answer {
  readonly data: string;
  readonly warnings?: readonly string[];
  readonly infos?: readonly string[];
}

function formOf(request: FastifyRequest): FormParams {
  const q = request.url.indexOf('?');
  const url = q < 0 ? undefined : new URLSearchParams(request.url.slice(q + 1));
  const body = request.body instanceof URLSearchParams ? request.body : undefined;
  return new FormParams(body, url);
}

function rfc3339(ms: number): string {
  return ms <= 0 ? '0001-01-01T00:00:00Z' : new Date(ms).toISOString();
}

/** The query's parse error in Prometheus's form, as the `query` parameter's error. */
function queryParamError(err: VigilError, query: string): VigilError {
  return new VigilError(
    ErrorCodes.PROMQL_PARSE,
    `invalid parameter "query": ${formatParseError(err, query)}`,
    { cause: err, details: err.details === undefined ? undefined : { ...err.details } },
  );
}

/**
 * Parses `match[]` selectors into matcher sets. Each must be a series
 * selector with at least one matcher that does not match the empty string.
 * Errors carry Prometheus's text, without the `invalid parameter` prefix
 * (callers add it where Prometheus does).
 */
function parseMatcherSets(selectors: readonly string[]): LabelMatcher[][] {
  const sets: LabelMatcher[][] = [];
  for (const text of selectors) {
    let expr;
    try {
      expr = parseExpr(text);
    } catch (err) {
      // Prometheus's selector parser leaves this check to the API, with its own text.
      if (isVigilError(err, ErrorCodes.PROMQL_PARSE) && err.message === EMPTY_SELECTOR) {
        throw badData('match[] must contain at least one non-empty matcher');
      }
      if (isVigilError(err, ErrorCodes.PROMQL_PARSE)) {
        throw new VigilError(ErrorCodes.PROMQL_PARSE, formatParseError(err, text), { cause: err });
      }
      throw err;
    }
    if (
      expr.type !== 'VectorSelector' ||
      expr.offset !== undefined ||
      expr.at !== undefined ||
      expr.modifier !== undefined
    ) {
      throw new VigilError(
        ErrorCodes.PROMQL_PARSE,
        `1:1: parse error: expected a series selector such as up{job="a"}, got ${JSON.stringify(text)}`,
      );
    }
    const matchers = [...expr.matchers];
    if (!matchers.some((m) => !m.matches(''))) {
      throw badData('match[] must contain at least one non-empty matcher');
    }
    sets.push(matchers);
  }
  return sets;
}

function prefixParam(err: unknown, param: string): unknown {
  if (!isVigilError(err)) return err;
  return new VigilError(err.code, `invalid parameter ${JSON.stringify(param)}: ${err.message}`, {
    cause: err,
  });
}

function truncated(limit: number, n: number): readonly string[] {
  return limit > 0 && n > limit ? [TRUNCATED_WARNING] : [];
}

/** Sorted union of string lists. */
function union(lists: readonly (readonly string[])[]): string[] {
  if (lists.length === 1) return [...lists[0]!];
  const all = new Set<string>();
  for (const list of lists) for (const v of list) all.add(v);
  return [...all].sort(compareStrings);
}

/**
 * Registers the API routes on `app` (in their own plugin scope, which
 * parses `application/x-www-form-urlencoded` bodies). Requests are
 * independent; any number may run at once.
 */
export function registerPrometheusApi(app: FastifyInstance, options: PrometheusApiOptions): void {
  void app.register((scope, _opts, done) => {
    // Form bodies as Go's ParseForm reads them; other bodies are ignored.
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string' },
      (_request, body, parsed) => parsed(null, new URLSearchParams(body as string)),
    );
    scope.addContentTypeParser('*', { parseAs: 'string' }, (_request, _body, parsed) =>
      parsed(null, undefined),
    );
    defineRoutes(scope, options);
    done();
  });
}

function defineRoutes(app: FastifyInstance, options: PrometheusApiOptions): void {
  const now = options.now ?? Date.now;
  const { engine, queryable, logger } = options;

  const sendError = (reply: FastifyReply, err: unknown, path: string): FastifyReply => {
    const status = httpStatusFor(err);
    const errorType = apiErrorTypeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    if (status >= 500 && status !== 503)
      logger?.error({ err, path }, 'A query API request failed.');
    else logger?.debug({ err: message, path, status }, 'A query API request was refused.');
    return reply.code(status).type('application/json').send(renderError(errorType, message));
  };

  const route = (methods: readonly ('GET' | 'POST')[], url: string, handler: Handler): void => {
    // Other methods are a client mistake, as Prometheus's router says.
    app.route({
      method: (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'] as const).filter(
        (m) => !methods.includes(m as 'GET' | 'POST'),
      ),
      url,
      handler: (_request, reply) =>
        reply
          .code(405)
          .header('allow', methods.join(', '))
          .type('text/plain; charset=utf-8')
          .send('Method Not Allowed\n'),
    });
    app.route({
      method: [...methods],
      url,
      handler: async (request, reply) => {
        try {
          const answer = await handler(formOf(request), request, reply);
          if (reply.sent) return reply;
          return reply
            .type('application/json')
            .send(renderSuccess(answer.data, answer.warnings, answer.infos));
        } catch (err) {
          return sendError(reply, err, url);
        }
      },
    });
  };

  /** Runs one query with the request's timeout and its client's disconnect as cancellation. */
  const execute = async (
    form: FormParams,
    reply: FastifyReply,
    run: (options: QueryOptions) => Promise<QueryResult>,
  ): Promise<QueryResult> => {
    const query = form.value('query');
    const timeoutMs = optionalDuration(form, 'timeout');
    let lookbackDeltaMs: number | undefined;
    const lookback = form.value('lookback_delta');
    if (lookback !== '') {
      const parsed = parseApiDurationMs(lookback);
      if (typeof parsed === 'string') {
        throw badData(`error parsing lookback delta duration: ${parsed}`);
      }
      if (parsed > 0) lookbackDeltaMs = Math.trunc(parsed);
    }
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      controller.signal.addEventListener('abort', () => reject(controller.signal.reason as Error), {
        once: true,
      });
    });
    aborted.catch(() => undefined);
    if (timeoutMs !== undefined) {
      timer = setTimeout(
        () =>
          controller.abort(
            new VigilError(ErrorCodes.PROMQL_TIMEOUT, 'query timed out in expression evaluation', {
              details: { timeoutMs },
            }),
          ),
        Math.max(0, timeoutMs),
      );
    }
    // The client went away before the answer was written.
    const onClose = (): void => {
      if (!reply.raw.writableFinished) {
        controller.abort(
          new VigilError(ErrorCodes.PROMQL_CANCELED, 'query was canceled in expression evaluation'),
        );
      }
    };
    reply.raw.once('close', onClose);
    try {
      // The engine evaluates synchronously, so the timer above cannot fire
      // while it runs: the timeout also goes in as the engine's deadline.
      const options: QueryOptions = {
        signal: controller.signal,
        ...(lookbackDeltaMs === undefined ? {} : { lookbackDeltaMs }),
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      };
      return await Promise.race([run(options), aborted]);
    } catch (err) {
      // An engine that reports the abort as a cancellation: it was our timeout.
      if (
        isVigilError(err, ErrorCodes.PROMQL_CANCELED) &&
        isVigilError(controller.signal.reason, ErrorCodes.PROMQL_TIMEOUT)
      ) {
        throw controller.signal.reason;
      }
      if (isVigilError(err, ErrorCodes.PROMQL_PARSE)) throw queryParamError(err, query);
      throw err;
    } finally {
      clearTimeout(timer);
      reply.raw.off('close', onClose);
    }
  };

  const queryAnswer = (result: QueryResult, limit: number): Answer => {
    const n = seriesCount(result.value);
    return {
      data: renderQueryData(result.value, limit),
      warnings: [...result.warnings, ...truncated(limit, n)],
      infos: result.infos,
    };
  };

  route(['GET', 'POST'], '/api/v1/query', async (form, _request, reply) => {
    const timeMs = optionalTime(form, 'time', now());
    const limit = limitParam(form);
    const query = form.value('query');
    const result = await execute(form, reply, (options) =>
      engine.instantQuery(query, timeMs, options),
    );
    return queryAnswer(result, limit);
  });

  route(['GET', 'POST'], '/api/v1/query_range', async (form, _request, reply) => {
    const startMs = requireTime(form.value('start'), 'start');
    const endMs = requireTime(form.value('end'), 'end');
    if (endMs < startMs) throw invalidParam('end', 'end timestamp must not be before start time');
    const step = requireDuration(form, 'step');
    if (step <= 0) {
      throw invalidParam(
        'step',
        'zero or negative query resolution step widths are not accepted. Try a positive integer',
      );
    }
    if (Math.floor((endMs - startMs) / step) > MAX_POINTS_PER_SERIES) {
      throw new VigilError(
        ErrorCodes.PROMQL_TOO_MANY_POINTS,
        'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        { details: { startMs, endMs, stepMs: step } },
      );
    }
    // The engine steps in whole ms (Prometheus truncates the same way).
    const stepMs = Math.max(1, Math.trunc(step));
    const limit = limitParam(form);
    const query = form.value('query');
    const result = await execute(form, reply, (options) =>
      engine.rangeQuery(query, startMs, endMs, stepMs, options),
    );
    return queryAnswer(result, limit);
  });

  route(['GET', 'POST'], '/api/v1/series', (form) => {
    const limit = limitParam(form);
    const startMs = optionalTime(form, 'start', API_MIN_TIME_MS);
    const endMs = optionalTime(form, 'end', API_MAX_TIME_MS);
    const selectors = form.values('match[]');
    if (selectors.length === 0) throw badData('no match[] parameter provided');
    let sets: LabelMatcher[][];
    try {
      sets = parseMatcherSets(selectors);
    } catch (err) {
      throw prefixParam(err, 'match[]');
    }
    const querier = queryable.querier(startMs, endMs);
    try {
      const byKey = new Map<string, SeriesLabels>();
      const warnings: string[] = [];
      for (const matchers of sets) {
        const set = querier.select(matchers);
        while (set.next()) {
          const labels = set.at().labels;
          byKey.set(labelsKey(labels), labels);
        }
        warnings.push(...set.warnings());
      }
      const all = [...byKey.values()].sort(compareLabels);
      const kept = limit > 0 ? all.slice(0, limit) : all;
      return {
        data: '[' + kept.map(labelsJson).join(',') + ']',
        warnings: [...warnings, ...truncated(limit, all.length)],
      };
    } finally {
      querier.close();
    }
  });

  route(['GET', 'POST'], '/api/v1/labels', (form) => {
    const limit = limitParam(form);
    const startMs = optionalTime(form, 'start', API_MIN_TIME_MS);
    const endMs = optionalTime(form, 'end', API_MAX_TIME_MS);
    const sets = parseMatcherSets(form.values('match[]'));
    const querier = queryable.querier(startMs, endMs);
    try {
      const names =
        sets.length === 0 ? querier.labelNames() : union(sets.map((m) => querier.labelNames(m)));
      const kept = limit > 0 ? names.slice(0, limit) : names;
      return { data: JSON.stringify(kept), warnings: truncated(limit, names.length) };
    } finally {
      querier.close();
    }
  });

  route(['GET'], '/api/v1/label/:name/values', (form, request) => {
    const raw = (request.params as { name: string }).name;
    const name = unescapeLabelName(raw);
    if (name === '' || LONE_SURROGATE.test(name)) {
      throw badData(`invalid label name: ${JSON.stringify(name)}`);
    }
    const limit = limitParam(form);
    const startMs = optionalTime(form, 'start', API_MIN_TIME_MS);
    const endMs = optionalTime(form, 'end', API_MAX_TIME_MS);
    const sets = parseMatcherSets(form.values('match[]'));
    const querier = queryable.querier(startMs, endMs);
    try {
      const values =
        sets.length === 0
          ? querier.labelValues(name)
          : union(sets.map((m) => querier.labelValues(name, m)));
      const kept = limit > 0 ? values.slice(0, limit) : values;
      return { data: JSON.stringify(kept), warnings: truncated(limit, values.length) };
    } finally {
      querier.close();
    }
  });

  route(['GET'], '/api/v1/metadata', (form) => {
    const numberParam = (param: string): number => {
      const text = form.value(param);
      if (text === '') return -1;
      if (!/^[+-]?\d+$/.test(text)) throw badData(`${param} must be a number`);
      return Number(text);
    };
    const limit = numberParam('limit');
    const limitPerMetric = numberParam('limit_per_metric');
    const metric = form.value('metric');
    const all = options.metadata?.() ?? new Map<string, readonly ApiMetricMetadata[]>();
    const names = metric !== '' ? (all.has(metric) ? [metric] : []) : [...all.keys()].sort();
    const parts: string[] = [];
    for (const name of names) {
      if (limit >= 0 && parts.length >= limit) break;
      let entries = all.get(name)!;
      if (limitPerMetric > 0) entries = entries.slice(0, limitPerMetric);
      parts.push(
        `${JSON.stringify(name)}:${JSON.stringify(entries.map((e) => ({ type: e.type, help: e.help, unit: e.unit })))}`,
      );
    }
    return { data: '{' + parts.join(',') + '}' };
  });

  route(['GET'], '/api/v1/targets', (form) => {
    const state = form.value('state').toLowerCase();
    const pool = form.value('scrapePool');
    const showActive = state === '' || state === 'any' || state === 'active';
    const showDropped = state === '' || state === 'any' || state === 'dropped';
    const source = options.targets;
    const active = showActive
      ? (source?.targets() ?? [])
          .filter((t) => pool === '' || t.job === pool)
          .map((t) => ({
            discoveredLabels: t.discoveredLabels,
            labels: t.labels,
            scrapePool: t.job,
            scrapeUrl: t.scrapeUrl,
            globalUrl: t.scrapeUrl,
            lastError: t.lastError,
            lastScrape: rfc3339(t.lastScrapeMs),
            lastScrapeDuration: t.lastScrapeDurationSeconds,
            health: t.health,
            scrapeInterval: formatDurationMs(t.scrapeIntervalMs),
            scrapeTimeout: formatDurationMs(t.scrapeTimeoutMs),
          }))
      : [];
    const droppedAll = (source?.droppedTargets() ?? []).filter(
      (t) => pool === '' || t.job === pool,
    );
    const droppedTargetCounts: Record<string, number> = {};
    for (const t of droppedAll) droppedTargetCounts[t.job] = (droppedTargetCounts[t.job] ?? 0) + 1;
    const dropped = showDropped
      ? droppedAll.map((t) => ({ discoveredLabels: t.discoveredLabels, scrapePool: t.job }))
      : [];
    return {
      data: JSON.stringify({ activeTargets: active, droppedTargets: dropped, droppedTargetCounts }),
    };
  });

  route(['GET'], '/api/v1/status/buildinfo', () => ({
    data: JSON.stringify(
      options.buildInfo ?? {
        version: '0.0.0',
        revision: '',
        branch: '',
        buildUser: '',
        buildDate: '',
        goVersion: process.version,
      },
    ),
  }));

  route(['GET'], '/api/v1/status/runtimeinfo', () => {
    const info = options.runtimeInfo?.();
    return {
      data: JSON.stringify({
        startTime: rfc3339(info?.startTimeMs ?? 0),
        CWD: process.cwd(),
        reloadConfigSuccess: info?.reloadConfigSuccess ?? true,
        lastConfigTime: rfc3339(info?.lastConfigTimeMs ?? 0),
        corruptionCount: 0,
        goroutineCount: 0,
        GOMAXPROCS: availableParallelism(),
        GOMEMLIMIT: 0,
        GOGC: '',
        GODEBUG: '',
        storageRetention: info?.storageRetention ?? '',
      }),
    };
  });

  route(['GET'], '/api/v1/status/flags', () => ({
    data: JSON.stringify(options.flags?.() ?? {}),
  }));

  route(['GET'], '/api/v1/status/config', () => ({
    data: JSON.stringify({ yaml: options.configYaml?.() ?? '' }),
  }));

  const parseQueryParam = (form: FormParams) => {
    const query = form.value('query');
    try {
      return parseExpr(query);
    } catch (err) {
      if (isVigilError(err, ErrorCodes.PROMQL_PARSE)) throw queryParamError(err, query);
      throw err;
    }
  };

  route(['GET', 'POST'], '/api/v1/format_query', (form) => ({
    data: JSON.stringify(prettyExpr(parseQueryParam(form))),
  }));

  route(['GET', 'POST'], '/api/v1/parse_query', (form) => ({
    data: JSON.stringify(exprToJson(parseQueryParam(form))),
  }));

  route(['GET', 'POST'], '/api/v1/query_exemplars', (form) => {
    const startMs = optionalTime(form, 'start', API_MIN_TIME_MS);
    const endMs = optionalTime(form, 'end', API_MAX_TIME_MS);
    if (endMs < startMs) throw badData('end timestamp must not be before start timestamp');
    const query = form.value('query');
    try {
      parseExpr(query);
    } catch (err) {
      if (isVigilError(err, ErrorCodes.PROMQL_PARSE)) {
        throw new VigilError(ErrorCodes.PROMQL_PARSE, formatParseError(err, query), { cause: err });
      }
      throw err;
    }
    // The store keeps no exemplars yet.
    return { data: '[]' };
  });

  // Prometheus's `type` filter (alert|record) on /api/v1/rules; an empty
  // answer when the server runs no rules, as Grafana asks anyway.
  route(['GET', 'POST'], '/api/v1/rules', (form) => {
    const type = form.value('type');
    if (type !== '' && type !== 'alert' && type !== 'record') {
      throw invalidParam('type', `expected "alert" or "record", got ${JSON.stringify(type)}`);
    }
    const groups = (options.rules?.rules().groups ?? [])
      .map((g) => ({
        ...g,
        rules: g.rules.filter((r) => type === '' || (type === 'alert') === (r.type === 'alerting')),
      }))
      .filter((g) => type === '' || g.rules.length > 0);
    return { data: JSON.stringify({ groups }) };
  });
  route(['GET', 'POST'], '/api/v1/alerts', () => ({
    data: JSON.stringify({ alerts: options.rules?.alerts().alerts ?? [] }),
  }));
}
