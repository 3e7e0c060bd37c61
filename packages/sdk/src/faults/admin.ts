/**
 * The admin endpoint of fault injection: a small JSON API behind a bearer
 * token, for the game-day CLI (or curl) to add, list and remove faults.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes, VigilError, isVigilError } from '@vigil/model';
import type { ErrorCode } from '@vigil/model';
import { diagError } from '../diag.js';

/** Where the admin endpoint is served unless `adminPrefix` says otherwise. */
export const DEFAULT_FAULT_ADMIN_PREFIX = '/_vigil/faults';

/** Largest admin request body accepted, in bytes (64 KiB); larger ones get 413. */
export const MAX_FAULT_ADMIN_BODY_BYTES = 64 * 1024;

/** Shortest admin token accepted, in characters; a shorter one leaves the endpoint off. */
export const MIN_FAULT_ADMIN_TOKEN_LENGTH = 16;

/**
 * The HTTP status of each fault error code, in one place: the admin endpoint
 * answers with it, and an HTTP layer that exposes faults otherwise should too.
 */
export const FAULT_ERROR_STATUS: Readonly<Partial<Record<ErrorCode, number>>> = Object.freeze({
  [ErrorCodes.FAULT_SPEC_INVALID]: 400,
  [ErrorCodes.FAULT_ADMIN_BAD_REQUEST]: 400,
  [ErrorCodes.FAULT_ADMIN_UNAUTHORIZED]: 401,
  [ErrorCodes.FAULT_NOT_FOUND]: 404,
  [ErrorCodes.FAULT_ADMIN_BAD_METHOD]: 405,
  [ErrorCodes.FAULT_ID_CONFLICT]: 409,
  [ErrorCodes.FAULT_LIMIT_REACHED]: 409,
  [ErrorCodes.FAULT_ADMIN_BODY_LIMIT]: 413,
  [ErrorCodes.FAULT_INJECTION_DISABLED]: 503,
});

/** What the admin endpoint needs from the injector. @internal */
export interface AdminOperations {
  list(): unknown[];
  get(id: string): unknown;
  add(spec: unknown): { readonly id: string };
  remove(id: string): unknown;
  clear(): number;
  /** Called on a refused token (for throttled logging). */
  onUnauthorized(req: IncomingMessage): void;
}

const COLLECTION_ALLOW = 'GET, POST, DELETE';
const ITEM_ALLOW = 'GET, DELETE';
const BEARER_RE = /^Bearer[ \t]+([^\s]+)[ \t]*$/i;
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** SHA-256 of a token: what is kept and compared, so both sides have the same length. @internal */
export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/**
 * Whether the request carries `Authorization: Bearer <token>` with the
 * token whose digest is `expected`. Constant time in the token's content.
 *
 * @internal
 */
export function authorized(req: IncomingMessage, expected: Buffer): boolean {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return false;
  const match = BEARER_RE.exec(header);
  if (match === null) return false;
  return timingSafeEqual(tokenDigest(match[1]!), expected);
}

/**
 * Serves one admin request under `prefix` (the caller has checked that the
 * path is under it). Never throws: a failure answers 500.
 *
 * @internal
 */
export function serveAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  prefix: string,
  expectedDigest: Buffer,
  ops: AdminOperations,
): void {
  try {
    if (!authorized(req, expectedDigest)) {
      ops.onUnauthorized(req);
      res.setHeader('WWW-Authenticate', 'Bearer realm="vigil-faults"');
      return sendError(
        res,
        new VigilError(
          ErrorCodes.FAULT_ADMIN_UNAUTHORIZED,
          'The fault admin endpoint needs "Authorization: Bearer <token>" with the configured ' +
            'token (option adminToken or VIGIL_FAULTS_TOKEN).',
        ),
      );
    }
    const rest = path.slice(prefix.length);
    const method = req.method ?? 'GET';
    if (rest === '' || rest === '/') return serveCollection(req, res, method, prefix, ops);
    const raw = rest.slice(1);
    let id: string | undefined;
    if (!raw.includes('/')) {
      try {
        id = decodeURIComponent(raw);
      } catch {
        id = undefined;
      }
    }
    if (id === undefined) {
      return sendError(
        res,
        new VigilError(
          ErrorCodes.FAULT_NOT_FOUND,
          `No admin resource at ${JSON.stringify(path)}; use ${prefix} or ${prefix}/<fault id>.`,
        ),
      );
    }
    return serveItem(res, method, id, ops);
  } catch (err) {
    fail(res, err);
  }
}

function serveCollection(
  req: IncomingMessage,
  res: ServerResponse,
  method: string,
  prefix: string,
  ops: AdminOperations,
): void {
  switch (method) {
    case 'GET':
      return sendJson(res, 200, { faults: ops.list() });
    case 'DELETE':
      return sendJson(res, 200, { removed: ops.clear() });
    case 'POST':
      readJsonBody(req).then(
        (spec) => {
          try {
            const fault = ops.add(spec);
            res.setHeader('Location', `${prefix}/${encodeURIComponent(fault.id)}`);
            sendJson(res, 201, { fault });
          } catch (err) {
            fail(res, err);
          }
        },
        (err: unknown) => fail(res, err),
      );
      return;
    default:
      return notAllowed(res, method, COLLECTION_ALLOW);
  }
}

function serveItem(res: ServerResponse, method: string, id: string, ops: AdminOperations): void {
  if (method !== 'GET' && method !== 'DELETE') return notAllowed(res, method, ITEM_ALLOW);
  const fault = method === 'GET' ? ops.get(id) : ops.remove(id);
  if (fault === undefined) {
    return sendError(
      res,
      new VigilError(
        ErrorCodes.FAULT_NOT_FOUND,
        `No active fault with id ${JSON.stringify(id)}; it may have expired or been removed. ` +
          'GET the collection to list the active ones.',
        { details: { id } },
      ),
    );
  }
  sendJson(res, 200, method === 'GET' ? { fault } : { removed: 1, fault });
}

function notAllowed(res: ServerResponse, method: string, allow: string): void {
  res.setHeader('Allow', allow);
  sendError(
    res,
    new VigilError(
      ErrorCodes.FAULT_ADMIN_BAD_METHOD,
      `Method ${method} is not allowed here; allowed: ${allow}.`,
    ),
  );
}

/**
 * Reads the request body (at most {@link MAX_FAULT_ADMIN_BODY_BYTES}) and
 * parses it as JSON. Rejects with `FAULT_ADMIN_BODY_LIMIT` or
 * `FAULT_ADMIN_BAD_REQUEST`; with another error when the client went away.
 */
function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > MAX_FAULT_ADMIN_BODY_BYTES) {
      // The rest of the body is read and dropped by node:http after the answer.
      req.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const onData = (chunk: Buffer): void => {
      if (done) return;
      size += chunk.length;
      if (size > MAX_FAULT_ADMIN_BODY_BYTES) {
        done = true;
        chunks.length = 0;
        req.off('data', onData);
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('error', (err) => {
      if (done) return;
      done = true;
      reject(err);
    });
    req.once('end', () => {
      if (done) return;
      done = true;
      try {
        resolve(parseJson(Buffer.concat(chunks)));
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function parseJson(body: Buffer): unknown {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    throw badRequest('The request body is not valid UTF-8; send a JSON fault spec.');
  }
  if (text.trim() === '') {
    throw badRequest(
      'The request body is empty; send a JSON fault spec such as {"kind":"latency","delayMs":200}.',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw badRequest(`The request body is not valid JSON (${why}); send a JSON fault spec.`);
  }
}

function tooLarge(): VigilError {
  return new VigilError(
    ErrorCodes.FAULT_ADMIN_BODY_LIMIT,
    `The request body exceeds ${MAX_FAULT_ADMIN_BODY_BYTES} bytes; a fault spec is much smaller.`,
    { details: { limitBytes: MAX_FAULT_ADMIN_BODY_BYTES } },
  );
}

function badRequest(message: string): VigilError {
  return new VigilError(ErrorCodes.FAULT_ADMIN_BAD_REQUEST, message);
}

/** Answers a failure: a fault error with its status, anything else with 500. */
function fail(res: ServerResponse, err: unknown): void {
  if (isVigilError(err) && FAULT_ERROR_STATUS[err.code] !== undefined) {
    return sendError(res, err);
  }
  if (res.destroyed || res.req.destroyed) return; // the client went away mid-body
  diagError({ err }, 'the fault admin endpoint failed');
  sendJson(res, 500, {
    error: { code: 'INTERNAL', message: 'The fault admin endpoint failed; see the service log.' },
  });
}

function sendError(res: ServerResponse, err: VigilError): void {
  const status = FAULT_ERROR_STATUS[err.code] ?? 500;
  const body: { code: string; message: string; details?: unknown } = {
    code: err.code,
    message: err.message,
  };
  if (err.details !== undefined && Object.keys(err.details).length > 0) body.details = err.details;
  sendJson(res, status, { error: body });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  res.end(text);
}
