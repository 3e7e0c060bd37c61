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
 * Each command's module is imported when the command runs, so that a quick
 * command (`budget check` in a CI pipeline) does not load the server.
 *
 * @module
 */
import { EXIT_USAGE, fail, version } from './cli/common.js';

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

async function sloCommand(args: string[]): Promise<number> {
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  if (args[0] === 'status')
    return (await import('./cli/slo-status.js')).sloStatusCommand(args.slice(1), io);
  if (args[0] === 'report')
    return (await import('./cli/slo-report.js')).sloReportCommand(args.slice(1), io);
  if (args[0] === 'generate')
    return (await import('./cli/slo-generate.js')).sloGenerate(args.slice(1), {
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
  return (await import('./cli/slo-validate.js')).sloValidate(args.slice(1));
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
      return (await import('./cli/server-command.js')).serve(rest);
    case 'check':
      return (await import('./cli/check.js')).checkConfig(rest);
    case 'slo':
      return sloCommand(rest);
    case 'budget':
      return (await import('./cli/budget-check.js')).budgetCheckCommand(rest, {
        stdout: process.stdout,
        stderr: process.stderr,
        env: process.env,
      });
    case 'gameday':
      return (await import('./cli/gameday.js')).gamedayCommand(rest, {
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
    process.exit(1);
  },
);
