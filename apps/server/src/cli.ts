#!/usr/bin/env node
/**
 * The `vigil` command.
 *
 * ```
 * vigil server [--config vigil.yml] [--storage.path DIR] [--listen HOST:PORT] [--log.level LEVEL]
 * vigil check config FILE
 * vigil gameday run SCENARIO.yaml [--server URL] [--report FILE] [--json]
 * vigil --help | --version
 * ```
 *
 * Environment: `VIGIL_CONFIG`, `VIGIL_STORAGE_PATH`, `VIGIL_LISTEN` (flags
 * win over them; they win over the file), `LOG_LEVEL`.
 *
 * Exit codes: 0 success (and clean shutdown on SIGINT/SIGTERM), 1 runtime
 * failure, 2 usage error or invalid configuration.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isVigilError } from '@vigil/model';
import { createLogger, flushLogger } from '@vigil/sdk';
import type { Logger } from '@vigil/sdk';
import { loadConfig, parseConfig } from './config.js';
import type { ConfigOverrides, VigilConfig } from './config.js';
import { loadSloFiles } from '@vigil/slo';
import { sloGenerate } from './cli/slo-generate.js';
import { loadRuleFiles } from './rules.js';
import { describeSlos, loadSlos } from './slos.js';
import { budgetCheckCommand } from './cli/budget-check.js';
import { gamedayCommand } from './cli/gameday.js';
import { sloReportCommand } from './cli/slo-report.js';
import { sloStatusCommand } from './cli/slo-status.js';
import { describeQueryBackend, formatRetention, startServer } from './server.js';
import type { RunningServer } from './server.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

const MAIN_HELP = `Usage: vigil <command> [options]

Commands:
  server               Run the Vigil server: embedded store, scraper, remote-write receiver.
  check config FILE    Validate a configuration file (and the rule files it names) and exit.
  check rules FILE     Validate Prometheus rule files and exit.
  slo validate FILE    Validate SLO specs (Vigil, OpenSLO v1, Sloth prometheus/v1) and exit.
  slo status           Show SLOs, error budgets, burn rates and policy states from a server.
  slo report           Write a monthly SLO report (Markdown, SVG burn-down charts).
  budget check         Deploy gate: exit 0 when the budget policy allows deploying, 1 when not.
  slo generate FILE    Write Prometheus rules (Sloth's names) for SLO specs; see --help.
  gameday run FILE     Game day: inject faults, watch alerts and SLOs, verdicts, report.
  gameday validate F   Validate game-day scenarios and exit (see vigil gameday --help).

Options:
  -h, --help           Show help (also: vigil <command> --help).
  --version            Show the version.
`;

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

const SLO_HELP = `Usage: vigil slo validate FILE...
       vigil slo status [--service NAME] [--server URL] [--json]    (see vigil slo status --help)
       vigil slo report --period YYYY-MM [-o FILE]                  (see vigil slo report --help)
       vigil slo generate FILE... [options]   (vigil slo generate --help)

Reads SLO specs in any of three formats, detected per YAML document: Vigil's
(service + slos), OpenSLO v1 (apiVersion: openslo/v1; references resolve
across the files given) and Sloth's (version: prometheus/v1). Exit 0 when all
are valid (warnings printed), 2 otherwise, with the file, the path in it and
the rule broken.
`;

const CHECK_HELP = `Usage: vigil check config FILE...
       vigil check rules FILE...

Validates configuration files (with the rule files they name) or Prometheus
rule files: exit 0 when all are valid, 2 otherwise, with the file, the path
in it and what was expected.
`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function fail(message: string, code: number): number {
  process.stderr.write(`vigil: ${message}\n`);
  return code;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function checkConfig(args: string[]): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  if ((args[0] !== 'config' && args[0] !== 'rules') || args.length < 2) {
    return fail(
      `usage: vigil check config FILE or vigil check rules FILE (got "vigil check ${args.join(' ')}")`,
      EXIT_USAGE,
    );
  }
  let failed = false;
  for (const file of args.slice(1)) {
    try {
      if (args[0] === 'rules') {
        const { groups } = loadRuleFiles([resolve(file)]);
        const count = groups.reduce((n, g) => n + g.rules.length, 0);
        process.stdout.write(`Checking ${file}\n  SUCCESS: ${count} rules found\n`);
        continue;
      }
      const config = loadConfig(file);
      const rules = loadRuleFiles(config.ruleFiles);
      const slos = await loadSlos(config.sloFiles, { alerts: config.slo.alerts });
      process.stdout.write(
        `Checking ${file}\n  SUCCESS: ${config.scrapeConfigs.length} scrape config(s) found; ${rules.files.length} rule file(s); ${slos.specs.slos.length} SLO(s) in ${slos.files.length} SLO file(s); storage ${config.storage.path}; listen ${config.server.listen}\n`,
      );
    } catch (err) {
      failed = true;
      process.stderr.write(`Checking ${file}\n  FAILED: ${errorText(err)}\n`);
    }
  }
  return failed ? EXIT_USAGE : 0;
}

async function sloCommand(args: string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  if (args[0] === 'status') return sloStatusCommand(args.slice(1), io);
  if (args[0] === 'report') return sloReportCommand(args.slice(1), io);
  if (args[0] === 'generate')
    return sloGenerate(args.slice(1), {
      stdout: (text) => process.stdout.write(text),
      stderr: (text) => process.stderr.write(text),
    });
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(SLO_HELP);
    return 0;
  }
  if (args[0] !== 'validate' || args.length < 2) {
    return fail(
      `usage: vigil slo validate FILE... (got "vigil slo ${args.join(' ')}")`,
      EXIT_USAGE,
    );
  }
  const files = args.slice(1);
  try {
    const set = await loadSloFiles(files);
    for (const w of set.warnings) {
      process.stderr.write(
        `  warning: ${w.file}: ${w.path === '' ? '' : w.path + ': '}${w.message}\n`,
      );
    }
    const services = new Set(set.slos.map((slo) => slo.service));
    process.stdout.write(
      `Checking ${files.join(', ')}\n  SUCCESS: ${set.slos.length} SLO(s) for ${services.size} service(s): ${set.slos.map((slo) => slo.id).join(', ')}\n`,
    );
    return 0;
  } catch (err) {
    process.stderr.write(`Checking ${files.join(', ')}\n  FAILED: ${errorText(err)}\n`);
    return EXIT_USAGE;
  }
}

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

async function serve(args: string[]): Promise<number> {
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

/** Runs the command line `argv` (without node and the script) and resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
      process.stderr.write(MAIN_HELP);
      return EXIT_USAGE;
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(MAIN_HELP);
      return 0;
    case '--version':
    case 'version':
      process.stdout.write(`vigil ${version()}\n`);
      return 0;
    case 'server':
      return serve(rest);
    case 'check':
      return checkConfig(rest);
    case 'slo':
      return sloCommand(rest);
    case 'budget':
      return budgetCheckCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    case 'gameday':
      return gamedayCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    default:
      return fail(`unknown command "${command}"\n\n${MAIN_HELP}`, EXIT_USAGE);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `vigil: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(EXIT_FAILURE);
  },
);
