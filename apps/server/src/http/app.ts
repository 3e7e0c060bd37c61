/**
 * The server's HTTP app: the remote-write receiver, `/metrics`, and the
 * health endpoints Prometheus operators expect (`/-/healthy`, `/-/ready`).
 *
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import Fastify from 'fastify';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCodes, VigilError } from '@vigil/model';
import type { Appendable } from '@vigil/storage';
import type { Logger, Registry } from '@vigil/sdk';
import { applyWriteRequest } from '../remote-write/handler.js';
import { RemoteWriteMetrics } from '../remote-write/metrics.js';
import { decodeWriteRequest } from '../remote-write/protobuf.js';
import { snappyDecompress } from '../remote-write/snappy.js';
import { httpStatusFor, reasonFor } from './status.js';
import { registerPrometheusApi } from './api/routes.js';
import type { PrometheusApiOptions } from './api/routes.js';

/** Size limits of the HTTP app. */
export interface ServerLimits {
  /** Largest remote-write body accepted as sent (compressed), in bytes. Default 16 MiB. */
  readonly remoteWriteMaxBodyBytes: number;
  /** Largest remote-write body accepted after snappy decompression, in bytes. Default 64 MiB. */
  readonly remoteWriteMaxDecodedBytes: number;
}

/** Default {@link ServerLimits}. */
export const DEFAULT_SERVER_LIMITS: ServerLimits = Object.freeze({
  remoteWriteMaxBodyBytes: 16 * 1024 * 1024,
  remoteWriteMaxDecodedBytes: 64 * 1024 * 1024,
});

/** The path of the remote-write receiver, as in Prometheus. */
export const REMOTE_WRITE_PATH = '/api/v1/write';

/** Options of {@link createServerApp}. */
export interface ServerAppOptions {
  /** Where remote-written samples go. */
  readonly appendable: Appendable;
  /** Exposed at `/metrics`; the receiver registers its own metrics on it. */
  readonly registry: Registry;
  /** Where request problems are logged (4xx at debug, 5xx at error). Default: nothing logged. */
  readonly logger?: Logger;
  /** Size limits; missing fields take {@link DEFAULT_SERVER_LIMITS}. */
  readonly limits?: Partial<ServerLimits>;
  /** Whether `/api/v1/write` is served (default true); when false it answers 404. */
  readonly remoteWrite?: boolean;
  /** Readiness for `/-/ready` (default: always ready). */
  readonly isReady?: () => boolean;
  /**
   * The Prometheus-compatible query API under `/api/v1` (query,
   * query_range, series, labels, metadata, targets, status, ...); not
   * served when omitted. Its logger defaults to `logger`.
   */
  readonly api?: PrometheusApiOptions;
  /**
   * `POST /-/reload` (and `PUT`, as Prometheus accepts): reloads the
   * configuration as SIGHUP does. 200 when it succeeded, 500 with the reason
   * when it failed (the running configuration stays). Not served when omitted.
   */
  readonly reload?: () => Promise<void>;
}

function unsupported(message: string): never {
  throw new VigilError(ErrorCodes.REMOTE_WRITE_UNSUPPORTED, message);
}

function bodyLimit(sizeBytes: number | undefined, maxBytes: number): VigilError {
  return new VigilError(
    ErrorCodes.REMOTE_WRITE_BODY_LIMIT,
    `The remote-write body is larger than the limit of ${maxBytes} bytes; send smaller batches (queue_config.max_samples_per_send) or raise remote_write_receiver.max_body_bytes.`,
    { details: { maxBytes, ...(sizeBytes === undefined ? {} : { sizeBytes }) } },
  );
}

/** Checks the headers of a remote-write 1.0 request. */
function checkWriteHeaders(request: IncomingMessage): void {
  const type = request.headers['content-type'];
  if (type === undefined) {
    unsupported('Content-Type is missing; remote write 1.0 sends application/x-protobuf.');
  }
  const [media, ...params] = type.split(';').map((p) => p.trim().toLowerCase());
  if (media !== 'application/x-protobuf') {
    unsupported(
      `Content-Type ${JSON.stringify(type)} is not supported; remote write 1.0 sends application/x-protobuf.`,
    );
  }
  for (const param of params) {
    if (param.startsWith('proto=') && param !== 'proto=prometheus.writerequest') {
      unsupported(
        `Content-Type ${JSON.stringify(type)} asks for a protobuf message this receiver does not speak; it accepts remote write 1.0 (prometheus.WriteRequest).`,
      );
    }
  }
  const encoding = request.headers['content-encoding'];
  if (encoding === undefined || encoding.trim().toLowerCase() !== 'snappy') {
    unsupported(
      `Content-Encoding ${encoding === undefined ? 'is missing' : JSON.stringify(encoding) + ' is not supported'}; remote write 1.0 bodies are snappy block-compressed (Content-Encoding: snappy).`,
    );
  }
}

/**
 * Reads a request body, refusing it as soon as it exceeds `maxBytes`: at
 * once when `Content-Length` says so, otherwise while reading.
 */
function readBody(request: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers['content-length'];
  if (declared !== undefined) {
    const size = Number(declared);
    if (Number.isFinite(size) && size > maxBytes) return Promise.reject(bodyLimit(size, maxBytes));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const cleanup = (): void => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
      request.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        cleanup();
        request.pause();
        reject(bodyLimit(undefined, maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, total));
    };
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAborted = (): void => {
      cleanup();
      reject(new Error('The client aborted the request.'));
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
    request.on('aborted', onAborted);
  });
}

/**
 * Builds the HTTP app (not listening yet: call `listen` on it, `close` to
 * stop). Routes:
 *
 * - `POST /api/v1/write`: Prometheus remote write 1.0 (snappy protobuf
 *   `WriteRequest`). 204 when every sample was written; 400 with a
 *   plain-text reason for a malformed body or a refused sample (then
 *   nothing of the request is written); 413 above the body limits; 415
 *   for another content type or encoding; 503 while storage is closed; 405
 *   (with `Allow: POST`) for another method.
 * - `GET /metrics`: `registry` in the format the `Accept` header asks for.
 * - `GET /-/healthy`, `GET /-/ready`: 200 (ready: 503 until `isReady()`).
 *
 * Requests are independent; any number may run at once.
 */
export function createServerApp(options: ServerAppOptions): FastifyInstance {
  const { appendable, registry, logger } = options;
  const limits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
  const app = Fastify({ logger: false });

  const sendError = (reply: FastifyReply, err: unknown, what: string): FastifyReply => {
    const status = httpStatusFor(err);
    const message =
      status === 500 && !(err instanceof VigilError)
        ? 'Internal error; see the server log.'
        : err instanceof Error
          ? err.message
          : String(err);
    if (status >= 500) logger?.error({ err, status }, `${what} failed.`);
    else logger?.debug({ err, status }, `${what} refused.`);
    if (status === 413) void reply.header('connection', 'close');
    return reply
      .code(status)
      .type('text/plain; charset=utf-8')
      .send(message + '\n');
  };

  if (options.remoteWrite !== false) {
    const metrics = new RemoteWriteMetrics(registry);
    void app.register((scope, _opts, done) => {
      // The handler reads the body itself, with its own limit and checks.
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', (_request, payload, parsed) => parsed(null, payload));
      scope.post(REMOTE_WRITE_PATH, async (request, reply) => {
        const started = performance.now();
        try {
          checkWriteHeaders(request.raw);
          const body = await readBody(request.raw, limits.remoteWriteMaxBodyBytes);
          const decoded = decodeWriteRequest(
            snappyDecompress(body, limits.remoteWriteMaxDecodedBytes),
          );
          const outcome = await applyWriteRequest(appendable, decoded);
          metrics.accepted(outcome);
          return reply.code(204).send();
        } catch (err) {
          metrics.rejected.inc({ reason: reasonFor(err) });
          return sendError(reply, err, 'A remote-write request');
        } finally {
          metrics.duration.observe((performance.now() - started) / 1000);
        }
      });
      // Another method on the write path is a client mistake, not a missing page.
      scope.route({
        method: ['GET', 'HEAD', 'PUT', 'DELETE', 'PATCH'],
        url: REMOTE_WRITE_PATH,
        handler: async (_request, reply) =>
          reply
            .code(405)
            .header('allow', 'POST')
            .type('text/plain; charset=utf-8')
            .send('Remote write takes POST requests only.\n'),
      });
      done();
    });
  }

  if (options.api !== undefined) {
    registerPrometheusApi(app, {
      ...options.api,
      ...(logger === undefined || options.api.logger !== undefined ? {} : { logger }),
    });
  }
  const reload = options.reload;
  if (reload !== undefined) {
    app.route({
      method: ['POST', 'PUT'],
      url: '/-/reload',
      handler: async (_request, reply) => {
        try {
          await reload();
          return await reply.type('text/plain; charset=utf-8').send('');
        } catch (err) {
          logger?.error({ err }, 'Configuration reload (POST /-/reload) failed.');
          return reply
            .code(500)
            .type('text/plain; charset=utf-8')
            .send(`failed to reload config: ${err instanceof Error ? err.message : String(err)}\n`);
        }
      },
    });
  }

  app.get('/metrics', async (request, reply) => {
    const format = registry.negotiate(request.headers.accept);
    const text = await registry.metrics({ format });
    return reply.type(registry.contentType(format)).send(text);
  });
  app.get('/-/healthy', async (_request, reply) =>
    reply.type('text/plain; charset=utf-8').send('Vigil is Healthy.\n'),
  );
  app.get('/-/ready', async (_request, reply) => {
    const ready = options.isReady?.() ?? true;
    return reply
      .code(ready ? 200 : 503)
      .type('text/plain; charset=utf-8')
      .send(ready ? 'Vigil is Ready.\n' : 'Vigil is not ready.\n');
  });
  return app;
}
