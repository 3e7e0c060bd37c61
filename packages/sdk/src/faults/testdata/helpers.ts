/**
 * Test helpers of the fault-injection tests: a real HTTP client over
 * node:http, a throwaway server on 127.0.0.1 port 0, a seeded random source
 * and a logger that keeps its lines.
 */
import http from 'node:http';
import { createLogger } from '../../log/index.js';
import type { Logger } from '../../log/index.js';
export { setTimeout as sleep } from 'node:timers/promises';
export { close, listen, seededRandom } from '@vigil/testing';

/** A finished response. */
export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/** Options of {@link request}. */
export interface RequestOptions {
  method?: string;
  headers?: http.OutgoingHttpHeaders;
  /** Sent with a Content-Length unless `chunked`. */
  body?: string | Buffer;
  /** Send the body with chunked transfer encoding (no Content-Length). */
  chunked?: boolean;
}

/** Sends one request and collects the whole response. */
export function request(
  port: number,
  path: string,
  options: RequestOptions = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const headers: http.OutgoingHttpHeaders = { ...options.headers };
    if (options.body !== undefined && !options.chunked) {
      headers['content-length'] = Buffer.byteLength(options.body);
    }
    const req = http.request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}





/** A parsed log line. */
export type LogLine = Record<string, any> & { level: string; msg: string };

/** A real Vigil (pino) logger at level info whose lines are kept in `lines`. */
export function recordingLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    service: 'fault-test',
    level: 'info',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}

/** Level labels as the Vigil logger writes them. */
export const LEVEL = { info: 'info', warn: 'warn' } as const;

/** The value of one series in a text exposition, or undefined when it is absent. */
export function sampleValue(exposition: string, series: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}
