/**
 * The runner's HTTP side over `fetch`: the SDK's fault admin endpoint on each
 * instance and the Vigil server's `/api/v1/alerts` and `/api/v1/slos`.
 *
 * @module
 */
import { ErrorCodes, VigilError } from '@vigil/model';
import type { FaultSpec } from '@vigil/sdk';
import type { GamedayApi, ObservedAlert, ObservedSlo } from './runner.js';
import type { ResolvedTarget } from './scenario.js';

/** How long one admin request may take, ms. */
export const ADMIN_TIMEOUT_MS = 5_000;

/**
 * How long one read of the server may take, ms: short, so that a slow server
 * delays neither the fault schedule nor the clean-up on an interrupt by much.
 */
export const POLL_TIMEOUT_MS = 5_000;

/**
 * GETs `path` from the Vigil server and returns the envelope's `data`.
 *
 * @throws VigilError `GAMEDAY_TARGET_FAILED` when unreachable, slow (see
 *   {@link POLL_TIMEOUT_MS}) or not answering with the API's envelope.
 */
export async function getServerData(serverUrl: string, path: string): Promise<unknown> {
  const url = `${serverUrl}${path}`;
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(POLL_TIMEOUT_MS),
    });
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw failure(
      `cannot reach the Vigil server at ${url} (${err instanceof Error ? err.message : String(err)}${cause})`,
      err,
    );
  }
  let body: { status?: unknown; data?: unknown; error?: unknown };
  try {
    body = (await response.json()) as typeof body;
  } catch (err) {
    throw failure(`${url} answered HTTP ${response.status} without the API's JSON`, err);
  }
  if (body.status !== 'success' || !response.ok) {
    throw failure(
      `${url} answered HTTP ${response.status}: ${typeof body.error === 'string' ? body.error : 'no error message'}`,
    );
  }
  return body.data;
}

/** What the admin endpoint answers on GET: the active faults. */
export interface AdminFault {
  readonly id: string;
  readonly kind: string;
}

function failure(message: string, cause?: unknown): VigilError {
  return new VigilError(ErrorCodes.GAMEDAY_TARGET_FAILED, message, { cause });
}

/**
 * Sends one admin request to `instanceUrl` + `adminPath` (+ `/<id>`) and returns
 * the HTTP status and the JSON body.
 *
 * @throws VigilError `GAMEDAY_TARGET_FAILED` when the instance cannot be reached.
 */
async function admin(
  target: ResolvedTarget,
  instanceUrl: string,
  method: string,
  id?: string,
  body?: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const url = `${instanceUrl}${target.adminPath}${id === undefined ? '' : `/${encodeURIComponent(id)}`}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(ADMIN_TIMEOUT_MS),
    });
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw failure(
      `cannot reach ${url} (${err instanceof Error ? err.message : String(err)}${cause}); is the service running?`,
      err,
    );
  }
  const text = await response.text();
  let json: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) json = parsed as Record<string, unknown>;
  } catch {
    // Leave json empty: the status says enough.
  }
  return { status: response.status, json };
}

function refusal(url: string, status: number, json: Record<string, unknown>): VigilError {
  const e = json.error as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : `HTTP ${status}`;
  const message = typeof e?.message === 'string' ? e.message : 'no error message';
  const hint =
    status === 401
      ? ' (check the target token)'
      : status === 503
        ? ' (start the service with VIGIL_FAULTS_ENABLED=true and VIGIL_FAULTS_TOKEN)'
        : status === 404 && code === `HTTP ${status}`
          ? ' (no fault admin endpoint there; check the URL and adminPath)'
          : '';
  return failure(`${url} refused: ${code}: ${message}${hint}`);
}

/**
 * Lists the active faults of one instance.
 *
 * @throws VigilError `GAMEDAY_TARGET_FAILED` when unreachable or refused.
 */
export async function listFaults(
  target: ResolvedTarget,
  instanceUrl: string,
): Promise<AdminFault[]> {
  const { status, json } = await admin(target, instanceUrl, 'GET');
  if (status !== 200 || !Array.isArray(json.faults)) {
    throw refusal(`${instanceUrl}${target.adminPath}`, status, json);
  }
  return json.faults as AdminFault[];
}

/**
 * A {@link GamedayApi} over HTTP: faults through each target's admin
 * endpoint, alerts and SLOs from the server at `serverUrl`.
 */
export function httpGamedayApi(
  serverUrl: string,
  targets: ReadonlyMap<string, ResolvedTarget>,
): GamedayApi {
  const byInstance = new Map<string, ResolvedTarget>();
  for (const t of targets.values()) for (const u of t.urls) byInstance.set(u, t);
  const targetOf = (instanceUrl: string): ResolvedTarget => {
    const t = byInstance.get(instanceUrl);
    if (t === undefined) throw failure(`no target has the instance ${instanceUrl}`);
    return t;
  };
  return {
    async addFault(instanceUrl: string, spec: FaultSpec & { readonly id: string }): Promise<void> {
      const t = targetOf(instanceUrl);
      const { status, json } = await admin(t, instanceUrl, 'POST', undefined, spec);
      if (status !== 201) throw refusal(`${instanceUrl}${t.adminPath}`, status, json);
    },
    async removeFault(instanceUrl: string, id: string): Promise<boolean> {
      const t = targetOf(instanceUrl);
      const { status, json } = await admin(t, instanceUrl, 'DELETE', id);
      if (status === 200) return true;
      if (status === 404) return false;
      throw refusal(`${instanceUrl}${t.adminPath}/${id}`, status, json);
    },
    async alerts(): Promise<readonly ObservedAlert[]> {
      const data = (await getServerData(serverUrl, '/api/v1/alerts')) as {
        alerts?: unknown;
      } | null;
      if (data === null || !Array.isArray(data.alerts)) {
        throw failure(`${serverUrl}/api/v1/alerts answered without an alerts list`);
      }
      return (data.alerts as { labels?: Record<string, string>; state?: string }[]).map((a) => ({
        labels: a.labels ?? {},
        state: a.state ?? 'unknown',
      }));
    },
    async slos(): Promise<readonly ObservedSlo[]> {
      const data = (await getServerData(serverUrl, '/api/v1/slos')) as {
        slos?: unknown;
      } | null;
      if (data === null || !Array.isArray(data.slos)) {
        throw failure(`${serverUrl}/api/v1/slos answered without an slos list`);
      }
      return (data.slos as { id: string; budget?: { remainingFraction?: number | null } }[]).map(
        (s) => ({ id: s.id, remaining: s.budget?.remainingFraction ?? null }),
      );
    },
  };
}
