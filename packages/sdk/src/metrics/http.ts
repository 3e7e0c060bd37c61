import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCodes } from '@vigil/model';
import { contentTypeFor, negotiateFormat } from '@vigil/exposition';
import { diagError } from '../diag.js';
import { defaultRegistry, type Registry } from './registry.js';

/**
 * A `node:http` handler that serves a registry's metrics: OpenMetrics or the
 * text format as the `Accept` header asks, streamed in chunks with
 * back-pressure. GET and HEAD only.
 */
export function metricsHandler(
  registry: Registry = defaultRegistry,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void serveMetrics(registry, req, res);
  };
}

/** Serves one scrape; resolves when the response is finished. Never rejects. */
export async function serveMetrics(
  registry: Registry,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('Method not allowed: use GET.\n');
    return;
  }
  const format = negotiateFormat(req.headers.accept);
  try {
    res.writeHead(200, { 'content-type': contentTypeFor(format), 'cache-control': 'no-store' });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    await registry.writeExposition(format, (chunk) => {
      if (res.destroyed) return;
      if (!res.write(chunk)) {
        return new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    });
    res.end();
  } catch (err) {
    diagError({ code: ErrorCodes.COLLECT_FAILED, err }, 'Serving /metrics failed.');
    if (!res.headersSent) res.writeHead(500);
    res.destroy();
  }
}
