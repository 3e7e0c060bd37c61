/**
 * What the SLO commands share: their output streams, the server address and
 * reading `/api/v1/slos` with errors that tell a connection problem from an
 * answer the server refused.
 *
 * @module
 */
import type { ApiSlosData } from '../http/slos.js';

/** Where a command writes and what it knows of its environment. */
export interface CliIo {
  /** Standard output; `isTTY` decides colour. */
  readonly stdout: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Standard error. */
  readonly stderr: { write(text: string): unknown };
  /** Environment variables (`VIGIL_URL`, `NO_COLOR`). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** The server the commands read when neither `--server` nor `VIGIL_URL` is given. */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:9090';

/** How long one request to the server may take, ms. */
export const REQUEST_TIMEOUT_MS = 30_000;

/** The server URL: `--server`, else `VIGIL_URL`, else {@link DEFAULT_SERVER_URL}; no trailing slash. */
export function serverUrl(flag: string | undefined, env: CliIo['env']): string {
  const url =
    flag ?? (env.VIGIL_URL === undefined || env.VIGIL_URL === '' ? undefined : env.VIGIL_URL);
  return (url ?? DEFAULT_SERVER_URL).replace(/\/+$/, '');
}

/** The server could not be reached, or did not answer with the API's JSON. */
export class ServerUnreachable extends Error {}

/** The server answered with an error envelope. */
export class ServerRefused extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly errorType: string,
  ) {
    super(message);
  }
}

interface Envelope {
  status?: unknown;
  data?: unknown;
  errorType?: unknown;
  error?: unknown;
}

/**
 * GETs `path` (with `params`) from the server and returns the envelope's
 * `data`. Throws {@link ServerUnreachable} when the server cannot be reached
 * or its answer is not the API's JSON, {@link ServerRefused} for an error
 * envelope (e.g. 404 for an unknown service).
 */
export async function getApiData(
  base: string,
  path: string,
  params: Readonly<Record<string, string | undefined>> = {},
): Promise<unknown> {
  let url: URL;
  try {
    url = new URL(base + path);
  } catch {
    throw new ServerUnreachable(
      `invalid server URL ${JSON.stringify(base)}: expected e.g. http://127.0.0.1:9090`,
    );
  }
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    const cause =
      err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    throw new ServerUnreachable(
      `cannot reach the Vigil server at ${base} (${err instanceof Error ? err.message : String(err)}${cause}); start it or pass --server URL (or set VIGIL_URL)`,
    );
  }
  const text = await response.text();
  let body: Envelope;
  try {
    body = JSON.parse(text) as Envelope;
  } catch {
    throw new ServerUnreachable(
      `${url.origin}${url.pathname} answered HTTP ${response.status} without the API's JSON; is ${base} a Vigil server?`,
    );
  }
  if (body.status === 'success' && response.ok) return body.data;
  if (body.status !== 'error') {
    throw new ServerUnreachable(
      `${url.origin}${url.pathname} answered HTTP ${response.status} without the API's envelope; is ${base} a Vigil server that serves SLOs?`,
    );
  }
  const message = typeof body.error === 'string' ? body.error : `HTTP ${response.status}`;
  const type = typeof body.errorType === 'string' ? body.errorType : 'unknown';
  throw new ServerRefused(message, response.status, type);
}

/** Reads `/api/v1/slos` (optionally for one service). Errors as {@link getApiData}'s. */
export async function fetchSlos(base: string, service?: string): Promise<ApiSlosData> {
  const data = (await getApiData(base, '/api/v1/slos', { service })) as Partial<ApiSlosData> | null;
  if (data === null || !Array.isArray(data.slos) || !Array.isArray(data.services)) {
    throw new ServerUnreachable(
      `${base}/api/v1/slos answered without slos and services; is it a Vigil server with SLOs?`,
    );
  }
  return data as ApiSlosData;
}

/** The message of an error. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
