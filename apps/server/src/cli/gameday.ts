/**
 * `vigil gameday run SCENARIO.yaml` and `vigil gameday validate SCENARIO.yaml`:
 * practise an incident on purpose. See docs/gameday.md.
 *
 * Exit codes: 0 every expectation met, 1 some failed (or could not be
 * decided), 2 usage, scenario or connection errors, 130 interrupted (SIGINT
 * or SIGTERM; the injected faults are removed first).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { httpGamedayApi, listFaults } from '../gameday/http.js';
import { renderGamedayReport } from '../gameday/report.js';
import { describeExpectation, formatDuration, runGameday, systemClock } from '../gameday/runner.js';
import type { GamedayResult } from '../gameday/runner.js';
import { loadScenario, planFaults, resolveServer, resolveTargets } from '../gameday/scenario.js';
import type { Scenario } from '../gameday/scenario.js';
import { errorText, fetchSlos, serverUrl } from './slo-client.js';
import type { CliIo } from './slo-client.js';

/** Exit code of an interrupted run. */
export const EXIT_INTERRUPTED = 130;

const HELP = `Usage: vigil gameday run SCENARIO.yaml [--server URL] [--report FILE] [--json]
       vigil gameday validate SCENARIO.yaml...

Runs a game day: injects the scenario's faults into instrumented services
through the SDK's fault admin endpoint at their times, watches the Vigil
server's alerts and SLOs every second, removes every fault at the end (also
on Ctrl-C), prints a verdict per expectation with the measured time to
detect, and writes a Markdown report (the first draft of a postmortem).

Options:
  --server URL     Vigil server (default: the scenario's server, else VIGIL_URL,
                   else http://127.0.0.1:9090).
  --report FILE    Where to write the report (default
                   .vigil-data/gamedays/<scenario>-<time>.md).
  --json           Print the result as JSON on stdout (progress goes to stderr).
  -h, --help       Show this help.

Exit codes: 0 all expectations met, 1 some failed, 2 usage, scenario or
connection error, 130 interrupted (faults removed). Format: docs/gameday.md.
`;

/** Extra inputs of {@link gamedayCommand} (tests). */
export interface GamedayIo extends CliIo {
  /** Directory relative paths resolve against; default `process.cwd()`. */
  readonly cwd?: string;
}

function compactTime(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
}

function validate(files: readonly string[], io: GamedayIo): number {
  let failed = false;
  for (const file of files) {
    try {
      const s = loadScenario(file);
      io.stdout.write(
        `Checking ${file}\n  SUCCESS: scenario ${s.name}: ${s.faults.length} fault(s) on ${s.targets.size} target(s), ${s.expectations.length} expectation(s), ${formatDuration(s.durationMs)} run\n`,
      );
    } catch (err) {
      failed = true;
      io.stderr.write(`Checking ${file}\n  FAILED: ${errorText(err)}\n`);
    }
  }
  return failed ? 2 : 0;
}

/**
 * Runs `vigil gameday <args>` and resolves to the exit code. Installs SIGINT
 * and SIGTERM handlers for the length of a run (they end it early, after the
 * faults are removed; a second signal exits at once).
 */
export async function gamedayCommand(args: readonly string[], io: GamedayIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: {
        server: { type: 'string' },
        report: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
  } catch (err) {
    io.stderr.write(`vigil gameday: ${errorText(err)}\n\n${HELP}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.stdout.write(HELP);
    return 0;
  }
  const [sub, ...files] = positionals;
  if (sub === 'validate' && files.length > 0) return validate(files, io);
  if (sub !== 'run' || files.length !== 1) {
    io.stderr.write(
      `vigil gameday: usage: vigil gameday run SCENARIO.yaml or vigil gameday validate SCENARIO.yaml (got "vigil gameday ${args.join(' ')}")\n\n${HELP}`,
    );
    return 2;
  }
  const cwd = io.cwd ?? process.cwd();
  const json = values.json === true;
  const progress = json ? io.stderr : io.stdout;
  let scenario: Scenario;
  let targets;
  let fromScenario: string | undefined;
  try {
    scenario = loadScenario(resolve(cwd, files[0]!));
    targets = resolveTargets(scenario, io.env, cwd);
    if (values.server === undefined) fromScenario = resolveServer(scenario, io.env, cwd);
  } catch (err) {
    io.stderr.write(`vigil gameday: ${errorText(err)}\n`);
    return 2;
  }
  const server = values.server?.replace(/\/+$/, '') ?? fromScenario ?? serverUrl(undefined, io.env);
  // Check everything the run needs before injecting anything.
  try {
    await fetchSlos(server);
    for (const t of targets.values()) {
      for (const u of t.urls) await listFaults(t, u);
    }
  } catch (err) {
    io.stderr.write(`vigil gameday: ${errorText(err)}\n`);
    return 2;
  }
  const runId = randomBytes(4).toString('hex');
  const faults = planFaults(scenario, targets, runId);
  progress.write(
    `Game day ${scenario.name}: ${faults.length} fault(s) on ${[...targets.values()].reduce((n, t) => n + t.urls.length, 0)} instance(s), ${formatDuration(scenario.durationMs)}; server ${server}; run ${runId}\n`,
  );
  for (const e of scenario.expectations) progress.write(`  expect: ${describeExpectation(e)}\n`);

  const controller = new AbortController();
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals++;
    if (signals > 1) {
      io.stderr.write(
        `vigil gameday: second ${signal}: exiting now; the faults left expire on their own\n`,
      );
      process.exit(EXIT_INTERRUPTED);
    }
    io.stderr.write(`vigil gameday: ${signal}: removing the injected faults (again to exit now)\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let result: GamedayResult;
  try {
    result = await runGameday(scenario, {
      clock: systemClock,
      api: httpGamedayApi(server, targets),
      faults,
      signal: controller.signal,
      onEvent: (e) => progress.write(`  [${formatDuration(e.offsetMs).padStart(7)}] ${e.text}\n`),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const reportFile = resolve(
    cwd,
    values.report ??
      join('.vigil-data', 'gamedays', `${scenario.name}-${compactTime(result.startedAtMs)}.md`),
  );
  let reportError: string | undefined;
  try {
    mkdirSync(dirname(reportFile), { recursive: true });
    writeFileSync(reportFile, renderGamedayReport(result));
  } catch (err) {
    reportError = errorText(err);
  }
  if (json) {
    io.stdout.write(
      `${JSON.stringify({ ...result, report: reportError === undefined ? reportFile : null }, null, 2)}\n`,
    );
  } else {
    io.stdout.write('\nVerdicts:\n');
    for (const v of result.verdicts) {
      io.stdout.write(
        `  ${v.status === 'pass' ? 'PASS' : v.status === 'fail' ? 'FAIL' : 'UNDECIDED'}  ${v.expectation}: ${v.measured}\n`,
      );
    }
    if (result.verdicts.length === 0) io.stdout.write('  (no expectations)\n');
  }
  if (reportError === undefined) progress.write(`Report: ${reportFile}\n`);
  else io.stderr.write(`vigil gameday: could not write the report ${reportFile}: ${reportError}\n`);
  if (result.leftBehind.length > 0) {
    io.stderr.write(
      `vigil gameday: could not remove ${result.leftBehind.join(', ')}; they expire on their own within a minute of the run's planned end\n`,
    );
  }
  if (result.outcome === 'interrupted') {
    io.stderr.write('vigil gameday: interrupted; the injected faults were removed\n');
    return EXIT_INTERRUPTED;
  }
  if (result.outcome === 'aborted') {
    io.stderr.write(`vigil gameday: aborted: ${result.error ?? ''}\n`);
    return 2;
  }
  return result.verdicts.every((v) => v.status === 'pass') ? 0 : 1;
}
