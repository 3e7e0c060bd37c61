/**
 * Test helpers: a real HTTP client over node:http and a throwaway server on
 * 127.0.0.1, port 0. Used by the health tests only.
 */
import http from 'node:http';
export { setTimeout as sleep } from 'node:timers/promises';
export { close, listen } from '@vigil/testing';

/** A finished response. */
export interface TestResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Sends one request and collects the whole response. */
export function request(
  port: number,
  path: string,
  options: { method?: string; agent?: http.Agent | false } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: options.method ?? 'GET',
        agent: options.agent ?? false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
