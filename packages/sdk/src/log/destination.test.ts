// The default log destination against real files and a real child process.
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { resetDiagnosticsOnce, setDiagnosticSink } from '../diag.js';
import { createLogDestination } from './destination.js';
import { createLogger, flushLogger } from './logger.js';

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-log-dest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function read(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

test('lines of one turn are written together at its end, in order', async (t) => {
  const file = join(tempDir(t), 'nested', 'app.log'); // the directory is created
  const dest = createLogDestination({ dest: file });
  t.after(() => dest.end());
  dest.write('{"n":1}\n');
  dest.write('{"n":2}\n');
  assert.equal(read(file), '', 'nothing is written during the turn');
  await nextTurn();
  assert.equal(read(file), '{"n":1}\n{"n":2}\n');
  dest.write('{"n":3}\n');
  await nextTurn();
  assert.equal(
    read(file),
    '{"n":1}\n{"n":2}\n{"n":3}\n',
    'a lone line goes out at the end of its turn',
  );
});

test('a burst over maxPendingChars is written at once', (t) => {
  const file = join(tempDir(t), 'burst.log');
  const dest = createLogDestination({ dest: file, maxPendingChars: 100 });
  t.after(() => dest.end());
  const line = `{"pad":"${'x'.repeat(25)}"}\n`;
  dest.write(line);
  dest.write(line);
  assert.equal(read(file), '', 'under the limit: waits');
  dest.write(line);
  assert.equal(read(file), line.repeat(3), 'past the limit: written in the same turn');
});

test('flushLogger and flush(cb) write what waits; end() drops later lines', async (t) => {
  const file = join(tempDir(t), 'flush.log');
  const dest = createLogDestination({ dest: file });
  const logger = createLogger({ service: 'svc', env: {}, destination: dest });
  logger.info('one');
  await flushLogger(logger);
  assert.match(read(file), /"msg":"one"/);
  logger.info('two');
  await new Promise<void>((resolve) => dest.flush(() => resolve()));
  assert.match(read(file), /"msg":"two"/);
  dest.end();
  logger.info('three');
  await nextTurn();
  assert.doesNotMatch(read(file), /"msg":"three"/);
});

test('process.exit() right after logging loses no line', (t) => {
  const file = join(tempDir(t), 'exit.log');
  const script = `
    import { createLogger, createLogDestination } from ${JSON.stringify(new URL('../index.js', import.meta.url).href)};
    const logger = createLogger({ service: 'svc', env: {}, destination: createLogDestination({ dest: ${JSON.stringify(file)} }) });
    for (let i = 0; i < 3; i++) logger.info({ i }, 'before exit');
    process.exit(0);
  `;
  execFileSync(process.execPath, ['--input-type=module', '-e', script]);
  const lines = read(file).trim().split('\n');
  assert.equal(lines.length, 3);
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as { i: number }).i),
    [0, 1, 2],
  );
});

test('the default logger writes to standard output, also on a quick exit', () => {
  const script = `
    import { createLogger } from ${JSON.stringify(new URL('../index.js', import.meta.url).href)};
    createLogger({ service: 'svc', env: {} }).info('to stdout');
    process.exit(0);
  `;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
  });
  assert.match(out, /"service":"svc".*"msg":"to stdout"/);
});

test('a failing destination drops lines with one LOG_WRITE_FAILED diagnostic and never throws', async (t) => {
  const warnings: Record<string, unknown>[] = [];
  resetDiagnosticsOnce();
  setDiagnosticSink({
    warn: (fields: Record<string, unknown>) => void warnings.push(fields),
    error: (fields: Record<string, unknown>) => void warnings.push(fields),
  });
  t.after(() => setDiagnosticSink(undefined));
  const fd = openSync(join(tempDir(t), 'closed.log'), 'a');
  closeSync(fd); // writing to it now fails with EBADF
  const dest = createLogDestination({ dest: fd });
  for (let i = 0; i < 5; i++) {
    dest.write('{"lost":true}\n');
    await nextTurn();
  }
  dest.flushSync();
  assert.equal(warnings.filter((w) => w.code === 'LOG_WRITE_FAILED').length, 1);
});
