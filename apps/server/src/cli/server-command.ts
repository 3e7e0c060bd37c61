/**
 * `vigil server`: resolves the configuration (flags, environment, file),
 * starts everything, prints where it runs, and stops cleanly on a signal.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { isVigilError } from '@vigil/model';
import { createLogger, flushLogger } from '@vigil/sdk';
import type { Logger } from '@vigil/sdk';
import { loadConfig, parseConfig } from '../config.js';
import type { ConfigOverrides, VigilConfig } from '../config.js';
import { describeQueryBackend, formatRetention, startServer } from '../server.js';
import type { RunningServer } from '../server.js';
import { describeSlos } from '../slos.js';
import { EXIT_FAILURE, EXIT_USAGE, errorText, fail, version } from './common.js';

const SERVER_HELP = `Usage: vigil server [options]

Runs the embedded time-series store, scrapes the configured targets into it,
and serves the Prometheus-compatible query API (/api/v1/query, query_range,
series, labels, metadata, targets, ...: Grafana and promtool work with it),
/api/v1/write (Prometheus remote write 1.0), /metrics, /-/healthy and
/-/ready. Evaluates the rule_files (recording and alerting rules; see
/api/v1/rules and /api/v1/alerts) and the slo_files (error budgets, burn
rates and their alerts; see /api/v1/slos and vigil slo status). Stops
cleanly on SIGINT or SIGTERM; SIGHUP or POST /-/reload reloads the
configuration file (scrape jobs, targets, rule and SLO files; storage,
listen address, receiver, query and slo settings need a restart).

Options:
  --config FILE        Configuration file (env VIGIL_CONFIG; default vigil.yml,
                       built-in defaults when that file does not exist).
  --storage.path DIR   Store directory; overrides storage.path (env VIGIL_STORAGE_PATH).
  --listen HOST:PORT   HTTP address; overrides server.listen (env VIGIL_LISTEN;
                       default 127.0.0.1:9090).
  --log.level LEVEL    trace, debug, info, warn, error or fatal (env LOG_LEVEL; default info).
  -h, --help           Show this help.
`;

function resolveConfig(values: {
  config?: string | undefined;
  'storage.path'?: string | undefined;
  listen?: string | undefined;
}): VigilConfig {
  const env = process.env;
  const overrides: ConfigOverrides = {
    storagePath: values['storage.path'] ?? env.VIGIL_STORAGE_PATH,
    storagePathFrom: values['storage.path'] !== undefined ? '--storage.path' : 'VIGIL_STORAGE_PATH',
    listen: values.listen ?? env.VIGIL_LISTEN,
    listenFrom: values.listen !== undefined ? '--listen' : 'VIGIL_LISTEN',
  };
  const explicit = values.config ?? env.VIGIL_CONFIG;
  if (explicit !== undefined) return loadConfig(explicit, overrides);
  if (existsSync('vigil.yml')) return loadConfig('vigil.yml', overrides);
  return parseConfig({}, '<defaults>', overrides);
}

/** Runs `vigil server` with `args`; resolves to the exit code once stopped. */
export async function serve(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        config: { type: 'string' },
        'storage.path': { type: 'string' },
        listen: { type: 'string' },
        'log.level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return fail(`${errorText(err)}\n\n${SERVER_HELP}`, EXIT_USAGE);
  }
  if (values.help === true) {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  let config: VigilConfig;
  try {
    config = resolveConfig(values);
  } catch (err) {
    return fail(errorText(err), isVigilError(err) ? EXIT_USAGE : EXIT_FAILURE);
  }
  let logger: Logger;
  try {
    logger = createLogger({ service: 'vigil', version: version(), level: values['log.level'] });
  } catch (err) {
    return fail(errorText(err), EXIT_USAGE);
  }
  // Listen for signals from now on, so that one arriving during start-up still shuts down cleanly.
  const signalled = new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  let server: RunningServer;
  try {
    server = await startServer(config, logger, { loadConfig: () => resolveConfig(values) });
  } catch (err) {
    logger.fatal({ err }, 'Vigil could not start.');
    await flushLogger(logger);
    return fail(errorText(err), EXIT_FAILURE);
  }
  logger.info(
    {
      url: server.url,
      config: config.source,
      storage: config.storage.path,
      scrapeJobs: config.scrapeConfigs.length,
      remoteWrite: config.remoteWriteReceiver.enabled,
    },
    'Vigil server started.',
  );
  process.stderr.write(statusLines(config, server));
  // SIGHUP reloads the configuration file, as it does for Prometheus.
  const onHangup = (): void => {
    server
      .reloadFromSource?.()
      .catch((err: unknown) =>
        logger.error(
          { err: errorText(err) },
          'Configuration reload failed; the previous configuration stays in force.',
        ),
      );
  };
  process.on('SIGHUP', onHangup);
  const signal = await signalled;
  process.off('SIGHUP', onHangup);
  // A second signal while shutting down exits at once.
  const force = (): void => process.exit(EXIT_FAILURE);
  process.once('SIGINT', force);
  process.once('SIGTERM', force);
  logger.info({ signal }, 'Shutting down.');
  try {
    await server.stop();
  } catch (err) {
    logger.error({ err }, 'Shutdown failed.');
    await flushLogger(logger);
    return EXIT_FAILURE;
  }
  logger.info('Vigil server stopped.');
  await flushLogger(logger);
  return 0;
}

/** "3 rule(s) in 2 group(s)", or "none (...)". */
function describeRules(server: RunningServer): string {
  const groups = server.rules.rules().groups;
  if (groups.length === 0) return 'none (no rule_files or SLO alerts)';
  const rules = groups.reduce((n, g) => n + g.rules.length, 0);
  return `${rules} rule(s) in ${groups.length} group(s), evaluated in this server`;
}

/** The human-readable lines printed once the server runs (stderr; logs stay JSON). */
function statusLines(config: VigilConfig, server: RunningServer): string {
  const targets = server.scraper.targets();
  const jobs = config.scrapeConfigs.map((c) => c.jobName);
  return [
    `Vigil ${version()} listening on ${server.url}`,
    `  query API:    ${server.url}/api/v1/query (Prometheus-compatible; Grafana data source URL ${server.url})`,
    `  remote write: ${config.remoteWriteReceiver.enabled ? `${server.url}/api/v1/write` : 'off'}`,
    `  scraping:     ${jobs.length === 0 ? 'nothing (no scrape_configs)' : `${targets.length} target(s) in ${jobs.length} job(s): ${jobs.join(', ')}`}`,
    `  data:         ${config.storage.path} (retention ${formatRetention(config)})`,
    `  queries:      ${describeQueryBackend(config)}`,
    `  rules:        ${describeRules(server)}`,
    `  slos:         ${describeSlos(server.loadedSlos(), config.slo.evaluationIntervalMs)}${server.loadedSlos().evaluable.length > 0 ? ` (${server.url}/api/v1/slos; vigil slo status)` : ''}`,
    `  config:       ${config.source} (reload: SIGHUP or POST ${server.url}/-/reload)`,
    '',
  ].join('\n');
}
