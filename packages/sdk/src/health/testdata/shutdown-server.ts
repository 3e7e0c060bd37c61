/**
 * Fixture for the graceful-shutdown tests, run as a child process. Serves
 * the health endpoints and `/slow?ms=N` (answers after N ms), installs the
 * graceful shutdown, and logs with pino (JSON lines on stdout), so the test
 * can read what happened. Settings come from the environment:
 *
 * - `DRAIN_MS`: drain deadline (default 2000)
 * - `HOOK`: `ok` (default), `fail` or `hang`
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { HealthRegistry, healthHandlers, installGracefulShutdown } from '../index.js';

const logger = pino({ base: null });
const health = new HealthRegistry({ version: 'fixture', logger });
health.register({ name: 'always-up', check: () => true });
const { routeHealth } = healthHandlers(health);

const server = http.createServer((req, res) => {
  if (routeHealth(req, res)) return;
  const url = new URL(req.url ?? '/', 'http://fixture');
  if (url.pathname === '/slow') {
    const ms = Number(url.searchParams.get('ms') ?? '500');
    logger.info({ event: 'slow-started', ms }, 'slow request started');
    setTimeout(() => res.end('slow done'), ms);
    return;
  }
  res.statusCode = 404;
  res.end('not found');
});

const hookMode = process.env.HOOK ?? 'ok';
installGracefulShutdown({
  server,
  health,
  logger,
  drainTimeoutMs: Number(process.env.DRAIN_MS ?? '2000'),
  onShutdown: function closeResources(): Promise<void> | void {
    logger.info({ event: 'hook-ran' }, 'shutdown hook ran');
    if (hookMode === 'fail') throw new Error('pool refused to close');
    if (hookMode === 'hang') return new Promise<void>(() => {});
  },
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  logger.info({ event: 'listening', port }, 'listening');
});
