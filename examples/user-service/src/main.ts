/**
 * Starts the example users service: `node examples/user-service/dist/main.js`.
 *
 * Environment: PORT (default 3000), HOST (default 127.0.0.1), USERS_DB
 * (default ./.vigil-data/users.db), PEER_URL (the users instance that
 * `/api/users/:id/summary` calls; default this one), LOG_LEVEL, the OTEL_*
 * variables (traces are exported when OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is set), and VIGIL_FAULTS_ENABLED /
 * VIGIL_FAULTS_TOKEN for fault injection.
 */
import { resolve } from 'node:path';
import { FaultInjector, init, installGracefulShutdown, shutdown } from '@vigil/sdk';
import { openUserStore } from './db.js';
import { createUserService } from './app.js';

const VERSION = '0.1.0';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const dbPath = resolve(process.env.USERS_DB ?? '.vigil-data/users.db');
const tracingConfigured =
  (process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) !==
  undefined;

const vigil = init({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'user-service',
  version: VERSION,
  // Without a collector to send to, spans would only be dropped and warned about.
  tracing: tracingConfigured,
});
const { logger, health } = vigil;
const faults = new FaultInjector({ health, logger });
const store = openUserStore(dbPath);
const service = createUserService({
  store,
  logger,
  health,
  faults,
  ...(process.env.PEER_URL === undefined ? {} : { peerUrl: process.env.PEER_URL }),
});

let url: string;
try {
  url = await service.listen(port, host);
} catch (err) {
  const code = (err as NodeJS.ErrnoException).code;
  process.stderr.write(
    code === 'EADDRINUSE'
      ? `user-service: ${host}:${port} is already in use; start it on another port, e.g. PORT=3001 npm start\n`
      : `user-service: cannot listen on ${host}:${port}: ${String(err)}\n`,
  );
  store.close();
  await shutdown();
  process.exit(1);
}
installGracefulShutdown({
  server: service.server,
  health,
  logger,
  onShutdown: async () => {
    faults.close();
    store.close();
    await shutdown();
  },
});
logger.info({ url, db: dbPath, tracing: tracingConfigured }, 'user-service started');
process.stderr.write(
  [
    '',
    `user-service ${VERSION} is running (Ctrl-C stops it)`,
    `  users API  ${url}/api/users/1   (and ${url}/api/users/1/summary, via a peer)`,
    `  metrics    ${url}/metrics`,
    `  health     ${url}/health   (also /livez, /readyz)`,
    `  database   ${dbPath}`,
    `  traces     ${tracingConfigured ? 'exported over OTLP/HTTP' : 'off (set OTEL_EXPORTER_OTLP_ENDPOINT to export)'}`,
    `  faults     ${faults.enabled ? `admin endpoint ${url}/_vigil/faults` : 'off (VIGIL_FAULTS_ENABLED=true and VIGIL_FAULTS_TOKEN turn them on)'}`,
    '',
  ].join('\n') + '\n',
);
