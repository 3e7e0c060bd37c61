/**
 * The SLO API: `/api/v1/slos` (every SLO's status and each service's policy
 * decision) and `/api/v1/slos/<id>` (one SLO with its history of SLI and
 * budget remaining, read from the recorded series). Answers use Prometheus's
 * envelope (`{"status":"success","data":…}` or `{"status":"error",
 * "errorType":…,"error":…}`), as the rest of `/api/v1` does.
 *
 * @module
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { QueryApi } from '@vigil/promql';
import {
  DEFAULT_BUDGET_POLICY,
  budgetHistoryFromQueryApi,
  evaluatePolicy,
  nominalPeriodMs,
  windowText,
} from '@vigil/slo';
import type {
  BudgetPolicy,
  HistorySeries,
  PolicyDecision,
  PolicyThresholds,
  SloHistory,
  SloStatus,
} from '@vigil/slo';
import type { Logger } from '@vigil/sdk';
import { FormParams, invalidParam, parseApiDurationMs, parseApiTimeMs } from './api/params.js';
import { formatSampleValue, renderError, renderSuccess } from './api/render.js';
import { MAX_POINTS_PER_SERIES } from './api/routes.js';
import { apiErrorTypeFor, httpStatusFor } from './status.js';

/**
 * What the SLO routes read: the engine's latest statuses, each service's
 * policy, and a query API over the recorded SLO series for history.
 */
export interface SloProvider {
  /** The latest status of every SLO (called once per request; must be cheap). */
  statuses(): readonly SloStatus[];
  /** A service's budget policy; undefined means {@link DEFAULT_BUDGET_POLICY}. */
  policy(service: string): BudgetPolicy | undefined;
  /**
   * Where history is read (`slo:period_error_budget_remaining:ratio`,
   * `slo:sli_error:ratio_rate<window>`): Vigil's engine or a remote
   * Prometheus-compatible API. Without it, histories are empty and the
   * policy's written rules are not evaluated.
   */
  readonly queryApi?: QueryApi;
  /** The current time, ms (tests fix it). Default `Date.now`. */
  now?(): number;
}

/** A service in the `/api/v1/slos` answer. */
export interface ApiSloService {
  readonly name: string;
  /** The policy's decision for the service. */
  readonly policy: PolicyDecision;
  /** The thresholds the decision used (for clients that map other figures to states). */
  readonly thresholds: PolicyThresholds;
}

/** `data` of `GET /api/v1/slos`. */
export interface ApiSlosData {
  readonly slos: readonly SloStatus[];
  readonly services: readonly ApiSloService[];
}

/** A history point as the Prometheus API writes one: `[unix seconds, "value"]`. */
export type ApiPoint = [number, string];

/** `data` of `GET /api/v1/slos/<id>`. */
export interface ApiSloData {
  readonly slo: SloStatus;
  /** The policy's decision for the SLO's service. */
  readonly policy: PolicyDecision;
  /** The range the history covers: unix seconds and step seconds. */
  readonly range: { readonly start: number; readonly end: number; readonly step: number };
  readonly history: {
    /** SLI over the SLO's window (`1 - slo:sli_error:ratio_rate<window>`). */
    readonly sli: readonly ApiPoint[];
    /** `slo:period_error_budget_remaining:ratio`. */
    readonly budgetRemaining: readonly ApiPoint[];
  };
}

/** Options of {@link registerSloRoutes}. */
export interface SloRoutesOptions {
  /** Failed requests are logged here (4xx at debug, 5xx at error). */
  readonly logger?: Logger;
}

/** Points of a default history range (the SLO's period). */
const DEFAULT_POINTS = 250;

function points(h: HistorySeries, map: (v: number) => number = (v) => v): ApiPoint[] {
  const out: ApiPoint[] = [];
  for (let i = 0; i < h.values.length; i++) {
    out.push([h.timestampsMs[i]! / 1000, formatSampleValue(map(h.values[i]!))]);
  }
  return out;
}

/** An unknown SLO or service: 404 with `errorType` `not_found`. */
class NotFound extends Error {}

function timeParam(form: FormParams, name: string, defaultMs: number): number {
  const text = form.value(name);
  if (text === '') return defaultMs;
  const ms = parseApiTimeMs(text);
  if (ms === undefined || Math.abs(ms) > 8.64e15) {
    throw invalidParam(name, `cannot parse ${JSON.stringify(text)} to a valid timestamp`);
  }
  return ms;
}

/**
 * Registers `GET /api/v1/slos[?service=NAME]` and `GET
 * /api/v1/slos/<id>[?start&end&step]` on `app`:
 *
 * - `/api/v1/slos`: `{slos: SloStatus[], services: [{name, policy, thresholds}]}`;
 *   404 (`not_found`) when `service` names no SLO's service.
 * - `/api/v1/slos/<id>`: `{slo, policy, range, history: {sli, budgetRemaining}}`,
 *   history points as `[unix seconds, "value"]`; `start`/`end` (unix
 *   seconds or RFC 3339; default the SLO's current period, up to its
 *   evaluation time) and `step` (seconds or a duration; default the range
 *   over 250 points, at least 1 minute). 404 for an unknown id; 400
 *   (`bad_data`) for bad parameters, `end` before `start`, a step that is not
 *   positive or more than 11,000 points.
 *
 * Requests are independent; any number may run at once.
 */
export function registerSloRoutes(
  app: FastifyInstance,
  provider: SloProvider,
  options: SloRoutesOptions = {},
): void {
  const history: SloHistory | undefined =
    provider.queryApi === undefined ? undefined : budgetHistoryFromQueryApi(provider.queryApi);
  const { logger } = options;

  const sendError = (reply: FastifyReply, err: unknown, path: string): FastifyReply => {
    if (err instanceof NotFound) {
      return reply.code(404).type('application/json').send(renderError('not_found', err.message));
    }
    const status = httpStatusFor(err);
    const message = err instanceof Error ? err.message : String(err);
    if (status >= 500 && status !== 503) logger?.error({ err, path }, 'An SLO API request failed.');
    else logger?.debug({ err: message, path, status }, 'An SLO API request was refused.');
    return reply
      .code(status)
      .type('application/json')
      .send(renderError(apiErrorTypeFor(err), message));
  };

  const decide = async (
    service: string,
    statuses: readonly SloStatus[],
  ): Promise<ApiSloService> => {
    const policy = provider.policy(service) ?? DEFAULT_BUDGET_POLICY;
    const decision = await evaluatePolicy(statuses, policy, history, { service });
    return { name: service, policy: decision, thresholds: policy.thresholds };
  };

  const formOf = (url: string): FormParams => {
    const q = url.indexOf('?');
    return new FormParams(q < 0 ? undefined : new URLSearchParams(url.slice(q + 1)));
  };

  app.get('/api/v1/slos', async (request, reply) => {
    try {
      const form = formOf(request.url);
      const service = form.value('service');
      let statuses = provider.statuses();
      if (service !== '') {
        statuses = statuses.filter((s) => s.service === service);
        if (statuses.length === 0) {
          throw new NotFound(`no SLO belongs to service ${JSON.stringify(service)}`);
        }
      }
      const names: string[] = [];
      for (const s of statuses) if (!names.includes(s.service)) names.push(s.service);
      const services: ApiSloService[] = [];
      for (const name of names) {
        services.push(
          await decide(
            name,
            statuses.filter((s) => s.service === name),
          ),
        );
      }
      const data: ApiSlosData = { slos: statuses, services };
      return await reply.type('application/json').send(renderSuccess(JSON.stringify(data)));
    } catch (err) {
      return sendError(reply, err, '/api/v1/slos');
    }
  });

  app.get<{ Params: { id: string } }>('/api/v1/slos/:id', async (request, reply) => {
    try {
      const id = request.params.id;
      const all = provider.statuses();
      const slo = all.find((s) => s.id === id);
      if (slo === undefined) throw new NotFound(`no SLO with id ${JSON.stringify(id)}`);
      const form = formOf(request.url);
      const defaultEndMs =
        slo.evaluatedAtMs > 0 ? slo.evaluatedAtMs : (provider.now?.() ?? Date.now());
      const endMs = timeParam(form, 'end', defaultEndMs);
      const startMs = timeParam(form, 'start', Math.min(endMs, slo.periodStartMs));
      if (endMs < startMs) throw invalidParam('end', 'end timestamp must not be before start time');
      let stepMs: number;
      const stepText = form.value('step');
      if (stepText === '') {
        stepMs = Math.max(60_000, Math.ceil((endMs - startMs) / DEFAULT_POINTS / 1000) * 1000);
      } else {
        const parsed = parseApiDurationMs(stepText);
        if (typeof parsed === 'string') throw invalidParam('step', parsed);
        if (parsed <= 0) {
          throw invalidParam(
            'step',
            'zero or negative query resolution step widths are not accepted. Try a positive integer',
          );
        }
        stepMs = Math.max(1, Math.trunc(parsed));
      }
      if (Math.floor((endMs - startMs) / stepMs) > MAX_POINTS_PER_SERIES) {
        throw invalidParam(
          'step',
          'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
        );
      }
      const service = await decide(
        slo.service,
        all.filter((s) => s.service === slo.service),
      );
      let sli: ApiPoint[] = [];
      let budgetRemaining: ApiPoint[] = [];
      if (history !== undefined) {
        const window = windowText(nominalPeriodMs(slo.window));
        const [errors, budget] = await Promise.all([
          history.errorRatio(slo.id, window, startMs, endMs, stepMs),
          history.budgetRemaining(slo.id, startMs, endMs, stepMs),
        ]);
        sli = points(errors, (e) => 1 - e);
        budgetRemaining = points(budget);
      }
      const data: ApiSloData = {
        slo,
        policy: service.policy,
        range: { start: startMs / 1000, end: endMs / 1000, step: stepMs / 1000 },
        history: { sli, budgetRemaining },
      };
      const warnings = history === undefined ? ['no history source: history is empty'] : [];
      return await reply
        .type('application/json')
        .send(renderSuccess(JSON.stringify(data), warnings));
    } catch (err) {
      return sendError(reply, err, '/api/v1/slos/:id');
    }
  });
}
