// The access log's fast path must write byte for byte what pino writes for
// the same fields, or refuse. Each case writes one line both ways through
// the same logger and compares the raw text (with the clock pinned).
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { runWithCorrelation, setTraceContextProvider } from '../context/index.js';
import { runWithCorrelationField } from '../context/correlation.js';
import { createLogger } from './index.js';
import type { Logger, LoggerOptions } from './index.js';
import { SerializedKeySet, writeSerializedLine } from './serialized-line.js';

const KEYS = new SerializedKeySet([
  'method',
  'route',
  'path',
  'status',
  'duration_ms',
  'request_id',
  'trace_id',
  'span_id',
]);
const NAMED = new Set(['request_id']);
const NAMED_TRACED = new Set(['request_id', 'trace_id', 'span_id']);

interface Fields {
  method: string;
  route: string;
  path: string;
  status: number;
  duration_ms: number;
  request_id: string;
  trace_id?: string;
  span_id?: string;
}

const PLAIN: Fields = {
  method: 'GET',
  route: '/api/users/:id',
  path: '/api/users/7',
  status: 200,
  duration_ms: 1.234,
  request_id: 'r-1',
};
const TRACED: Fields = {
  ...PLAIN,
  trace_id: '0af7651916cd43dd8448eb211c80319c',
  span_id: 'b7ad6b7169203331',
};

function members(fields: Fields): string {
  return Object.entries(fields)
    .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
    .join(',');
}

function capture(): { lines: string[]; destination: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

function make(options: Partial<LoggerOptions> = {}): { logger: Logger; lines: string[] } {
  const { lines, destination } = capture();
  const logger = createLogger({
    service: 'users-api',
    version: '1.4.0',
    env: {},
    destination,
    ...options,
  });
  return { logger, lines };
}

/** Writes `fields` through pino, then through the fast path; returns both lines. */
function both(
  logger: Logger,
  lines: string[],
  fields: Fields,
  level: 'info' | 'warn' | 'error' = 'info',
): [string, string | undefined] {
  const start = lines.length;
  logger[level]({ ...fields }, 'request completed');
  const ok = writeSerializedLine(
    logger,
    level,
    KEYS,
    fields.trace_id === undefined ? NAMED : NAMED_TRACED,
    members(fields),
    '"request completed"',
  );
  return [lines[start]!, ok ? lines[start + 1] : undefined];
}

function pinClock(t: TestContext): void {
  t.mock.timers.enable({ apis: ['Date'], now: Date.parse('2026-11-28T12:00:00.000Z') });
}

test('the fast path writes the line pino writes: plain, traced, every level', (t) => {
  pinClock(t);
  const { logger, lines } = make();
  for (const fields of [PLAIN, TRACED]) {
    for (const level of ['info', 'warn', 'error'] as const) {
      const [slow, fast] = both(logger, lines, fields, level);
      assert.equal(fast, slow);
    }
  }
});

test('…inside correlation contexts, nested ones and with an active span', (t) => {
  pinClock(t);
  const { logger, lines } = make();
  t.after(() => setTraceContextProvider(undefined));
  runWithCorrelation({ tenant: 'acme', request_id: 'outer' }, () => {
    const [slow, fast] = both(logger, lines, PLAIN);
    assert.equal(fast, slow);
    assert.match(fast, /"tenant":"acme"/);
    assert.equal(fast.match(/"request_id"/g)?.length, 1, 'the line names request_id once');
  });
  runWithCorrelationField('request_id', 'from-field', () => {
    const [slow, fast] = both(logger, lines, PLAIN);
    assert.equal(fast, slow);
  });
  setTraceContextProvider(() => ({ trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) }));
  runWithCorrelation({ tenant: 'acme' }, () => {
    for (const fields of [PLAIN, TRACED]) {
      const [slow, fast] = both(logger, lines, fields);
      assert.equal(fast, slow);
    }
  });
});

test('…for children with bindings (also bindings naming a correlation key) and base fields', (t) => {
  pinClock(t);
  const { logger, lines } = make({ fields: { region: 'eu-west-1' } });
  const child = logger.child({ component: 'http', request_id: 'bound' });
  runWithCorrelation({ request_id: 'ctx', tenant: 't' }, () => {
    const formatted = logger.child(
      { shape: 'round' },
      { formatters: { bindings: (b) => ({ ...b, reshaped: true }) } },
    );
    for (const target of [logger, child, child.child({ deeper: true }), formatted]) {
      const [slow, fast] = both(target, lines, TRACED);
      assert.equal(fast, slow);
    }
  });
});

test('…for values that need escaping', (t) => {
  pinClock(t);
  const { logger, lines } = make();
  const odd: Fields = { ...PLAIN, path: '/a"b\\c\u0001\u2028é', route: 'unmatched' };
  const [slow, fast] = both(logger, lines, odd);
  assert.equal(fast, slow);
  assert.deepEqual(JSON.parse(fast).path, odd.path);
});

test('the fast path refuses, writing nothing, whenever pino could write something else', () => {
  const refuses = (logger: Logger, lines: string[], why: string): void => {
    const before = lines.length;
    assert.equal(
      writeSerializedLine(logger, 'info', KEYS, NAMED, members(PLAIN), '"x"'),
      false,
      why,
    );
    assert.equal(lines.length, before, why);
  };
  // A redact path that censors one of the keys.
  const redacted = make({ redact: { paths: ['path'] } });
  refuses(redacted.logger, redacted.lines, 'redacted key');
  // The default paths (`*.password`, ...) only look inside objects: allowed.
  const plain = make();
  assert.equal(writeSerializedLine(plain.logger, 'info', KEYS, NAMED, members(PLAIN), '"x"'), true);
  // Children that change how fields or messages are written.
  refuses(plain.logger.child({}, { msgPrefix: '[http] ' }), plain.lines, 'message prefix');
  refuses(
    plain.logger.child({}, { serializers: { route: () => 'changed' } }),
    plain.lines,
    'child serializers',
  );
  refuses(
    plain.logger.child({}, { formatters: { log: (o) => ({ ...o, extra: 1 }) } }),
    plain.lines,
    'child log formatter',
  );
  refuses(plain.logger.child({}, { redact: ['route'] }), plain.lines, "child's own redaction");
  // A logger createLogger did not make.
  const { lines, destination } = capture();
  refuses(pino(destination), lines, 'plain pino');
  // A destination that wants pino's per-line metadata.
  const multi = capture();
  const viaMultistream = createLogger({
    service: 's',
    env: {},
    destination: pino.multistream([{ stream: multi.destination }]),
  });
  refuses(viaMultistream, multi.lines, 'multistream');
});
