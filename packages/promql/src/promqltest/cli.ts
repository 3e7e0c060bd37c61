#!/usr/bin/env node
import { runTestFile } from './runner.js';

/**
 * Debugging entry point: `node packages/promql/dist/promqltest/cli.js
 * <file.test> [line]` runs one test file (or only the eval whose header is
 * on `line`) and prints every failure's diff, then the counts. Exits 1 when
 * an in-scope eval fails.
 */
async function main(argv: readonly string[]): Promise<number> {
  const [file, lineText] = argv;
  if (file === undefined) {
    process.stderr.write('usage: cli.js <file.test> [line]\n');
    return 2;
  }
  const onlyLine = lineText === undefined ? undefined : Number(lineText);
  if (onlyLine !== undefined && !Number.isInteger(onlyLine)) {
    process.stderr.write(`line must be an integer, got ${lineText}\n`);
    return 2;
  }
  const report = await runTestFile(file, onlyLine === undefined ? {} : { onlyLine });
  for (const f of report.failures) process.stdout.write(`FAIL ${f}\n\n`);
  if (onlyLine !== undefined) {
    for (const e of report.evals) {
      if (e.outcome.status === 'skipped') {
        process.stdout.write(
          `SKIP ${e.file}:${e.line}: ${e.outcome.reason} (${e.outcome.detail})\n`,
        );
      } else if (e.outcome.status === 'pass') process.stdout.write(`PASS ${e.file}:${e.line}\n`);
    }
  }
  const s = report.skipped;
  process.stdout.write(
    `${report.file}: pass ${report.pass}, fail ${report.fail}, script errors ` +
      `${report.scriptErrors}, skipped native-histogram ` +
      `${s['native-histogram']}, experimental ${s.experimental}\n`,
  );
  return report.fail === 0 && report.scriptErrors === 0 ? 0 : 1;
}

// `cli.js … | head` closes the pipe early: stop quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 2;
  },
);
