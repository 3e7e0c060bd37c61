/**
 * Starts the example users service: `node examples/user-service/dist/main.js`.
 * Environment: PORT (default 3000), HOST (default 127.0.0.1), USERS_DB (default
 * ./.vigil-data/users.db), LOG_LEVEL.
 */
import { resolve } from 'node:path';
import {
  collectProcessMetrics,
  createLogger,
  defaultRegistry,
  flushLogger,
  installGracefulShutdown,
} from '@vigil/sdk';
import { openUserStore } from './db.js';
import { createUserService } from './app.js';

const VERSION = '0.1.0';
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const dbPath = resolve(process.env.USERS_DB ?? '.vigil-data/users.db');

const logger = createLogger({ service: 'user-service', version: VERSION, diagnostics: true });
collectProcessMetrics({ registry: defaultRegistry });
const store = openUserStore(dbPath);
const service = createUserService({ store, logger, registry: defaultRegistry, version: VERSION });

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
  process.exit(1);
}
installGracefulShutdown({
  server: service.server,
  health: service.health,
  logger,
  onShutdown: async () => {
    store.close();
    await flushLogger(logger);
  },
});
logger.info({ url, db: dbPath }, 'user-service started');
process.stderr.write(
  [
    '',
    `user-service ${VERSION} is running (Ctrl-C stops it)`,
    `  users API  ${url}/api/users/1`,
    `  metrics    ${url}/metrics`,
    `  health     ${url}/health   (also /livez, /readyz)`,
    `  database   ${dbPath}`,
    '',
  ].join('\n') + '\n',
);
