import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { EventEmitter, once } from 'node:events';
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pino } from 'pino';
import { VigilError, isVigilError } from '@vigil/model';
import { diagWarn, setDiagnosticSink } from '../diag.js';
import { runWithCorrelation, setTraceContextProvider } from '../context/index.js';
import { createLogger, flushLogger, installDiagnosticLogger } from './index.js';
import type { LoggerOptions } from './index.js';

type Line = Record<string, any>;

/** A real writable stream that keeps what it receives. */
function capture(): { stream: Writable; text: () => string; lines: () => Line[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Line),
  };
}

function make(options: Partial<LoggerOptions> = {}) {
  const out = capture();
  const logger = createLogger({
    service: 'users-api',
    version: '1.4.0',
    env: {},
    destination: out.stream,
    ...options,
  });
  return { logger, ...out };
}

test('a line is JSON with ISO time, level label, service, version, fields and msg', () => {
  const { logger, lines, text } = make();
  const before = Date.now();
  logger.info({ user_id: 42 }, 'user %s fetched', 'ann');
  const after = Date.now();
  assert.ok(text().endsWith('}\n'));
  const [line] = lines();
  assert.equal(line!.level, 'info');
  assert.match(line!.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  const t = Date.parse(line!.time);
  assert.ok(t >= before && t <= after);
  assert.equal(line!.service, 'users-api');
  assert.equal(line!.version, '1.4.0');
  assert.equal(line!.user_id, 42);
  assert.equal(line!.msg, 'user ann fetched');
  assert.equal(line!.pid, process.pid);
  assert.equal(line!.trace_id, undefined);
  assert.equal(line!.request_id, undefined);
});

test('version and extra fields are optional', () => {
  const { logger, lines } = make({ version: undefined, fields: { region: 'eu-west-1' } });
  logger.warn('w');
  const [line] = lines();
  assert.equal('version' in line!, false);
  assert.equal(line!.region, 'eu-west-1');
  assert.equal(line!.level, 'warn');
});

test('level filtering: lines below the level are not written', () => {
  const { logger, lines } = make({ level: 'warn' });
  logger.trace('t');
  logger.debug('d');
  logger.info('i');
  logger.warn('w');
  logger.error('e');
  logger.fatal('f');
  assert.deepEqual(
    lines().map((l) => String(l.level)),
    ['warn', 'error', 'fatal'],
  );
  const silent = make({ level: 'silent' });
  silent.logger.fatal('nothing');
  assert.equal(silent.text(), '');
});

test('LOG_LEVEL applies when no level option is given; the option wins', () => {
  const fromEnv = make({ env: { LOG_LEVEL: 'DEBUG' } });
  fromEnv.logger.debug('shown');
  fromEnv.logger.trace('hidden');
  assert.deepEqual(
    fromEnv.lines().map((l) => String(l.msg)),
    ['shown'],
  );
  const optionWins = make({ env: { LOG_LEVEL: 'debug' }, level: 'error' });
  optionWins.logger.warn('hidden');
  assert.equal(optionWins.text(), '');
  const saved = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'error';
  try {
    const out = capture();
    const viaProcess = createLogger({ service: 's', destination: out.stream });
    viaProcess.warn('hidden');
    viaProcess.error('shown');
    assert.deepEqual(
      out.lines().map((l) => String(l.msg)),
      ['shown'],
    );
  } finally {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  }
});

test('invalid configuration is a CONFIG_INVALID VigilError', () => {
  assert.throws(
    () => make({ env: { LOG_LEVEL: 'loud' } }),
    (err: unknown) =>
      isVigilError(err, 'CONFIG_INVALID') &&
      err.message.includes('"loud"') &&
      err.message.includes('valid levels are fatal, error, warn, info, debug, trace, silent'),
  );
  assert.throws(
    () => make({ service: '' }),
    (err: unknown) => isVigilError(err, 'CONFIG_INVALID'),
  );
  assert.throws(
    () => make({ redact: { paths: ['a..b'] } }),
    (err: unknown) => isVigilError(err, 'CONFIG_INVALID') && err.message.includes('a..b'),
  );
});

test('child loggers add bindings and keep the parent configuration', () => {
  const { logger, lines } = make({ level: 'info' });
  const child = logger.child({ component: 'repo' });
  const grandchild = child.child({ table: 'users' });
  grandchild.debug('hidden');
  grandchild.info('query');
  child.info('plain');
  const [g, c] = lines();
  assert.equal(g!.component, 'repo');
  assert.equal(g!.table, 'users');
  assert.equal(g!.service, 'users-api');
  assert.equal(g!.level, 'info');
  assert.equal(c!.table, undefined);
  assert.deepEqual(grandchild.bindings(), {
    service: 'users-api',
    version: '1.4.0',
    component: 'repo',
    table: 'users',
  });
  const debugChild = logger.child({ x: 1 }, { level: 'debug' });
  debugChild.debug('shown');
  assert.equal(lines().at(-1)!.msg, 'shown');
});

// What pino's own `redact` option cannot catch, and why this logger matches
// paths itself: pino 10 (via @pinojs/redact) compares path segments exactly,
// so `req.headers.authorization` misses `Authorization` and `AUTHORIZATION`
// (Node lowercases incoming headers, but header objects built by hand or by
// HTTP clients keep their casing); a `*.password` path does not reach
// `users[0].password` (arrays need an explicit `[*]` segment); and with a
// wildcard path it clones and stringifies the object on every line (measured
// 6-10x the cost of the line). Vigil's matcher fixes casing and arrays. Some
// things neither can catch: secrets inside strings (the message text, a JSON
// string, a URL with a token in its query), values under names no path lists
// (`{ creds: 'hunter2' }`), anything deeper than the paths reach, arrays
// inside arrays, and values that serialise through `toJSON` (Date, Buffer,
// class instances with toJSON), whose JSON is not their properties.
test('redaction: a secret never appears in the output (hostile cases)', () => {
  const { logger, text, lines } = make({ fields: { api_key: 'SECRET-base' } });
  const secrets: string[] = [];
  const s = (name: string): string => {
    const value = `SECRET-${name}`;
    secrets.push(value);
    return value;
  };
  const payload = {
    password: s('top-password'),
    token: s('top-token'),
    apiKey: s('apiKey'),
    APIKEY: s('APIKEY'),
    Secret: s('Secret'),
    user: { name: 'ann', password: s('nested-password'), Token: s('nested-Token') },
    users: [
      { name: 'a', password: s('array-0') },
      { name: 'b', secret: s('array-1') },
    ],
    headers: {
      Authorization: s('Authorization-header'),
      COOKIE: s('COOKIE-header'),
      'Set-Cookie': [s('set-cookie-1'), s('set-cookie-2')],
      'X-Api-Key': s('x-api-key'),
      accept: 'application/json',
    },
    req: {
      method: 'GET',
      headers: { authorization: s('req-auth'), 'proxy-authorization': s('proxy') },
    },
    res: { statusCode: 200, headers: { 'set-cookie': s('res-set-cookie') } },
    'set-cookie': s('top-set-cookie'),
  };
  const frozen = JSON.stringify(payload);
  logger.info(payload, 'login');
  logger.child({ token: s('child-binding') }).info('child');
  const err = Object.assign(new Error('auth failed'), { password: s('error-prop') });
  logger.error({ err }, 'failed');
  logger.error(
    new Error('wrapped', { cause: Object.assign(new Error('inner'), { token: s('cause-prop') }) }),
  );

  const output = text();
  secrets.push('SECRET-base');
  for (const secret of secrets) assert.ok(!output.includes(secret), `leaked ${secret}`);
  // The caller's object is not modified.
  assert.equal(JSON.stringify(payload), frozen);
  const [line, childLine, errLine, wrapped] = lines();
  assert.equal(line!.password, '[Redacted]');
  assert.equal(line!.user.name, 'ann');
  assert.equal(line!.user.password, '[Redacted]');
  assert.equal(line!.users[1].name, 'b');
  assert.equal(line!.headers.accept, 'application/json');
  assert.equal(line!.headers['Set-Cookie'], '[Redacted]');
  assert.equal(line!.req.method, 'GET');
  assert.equal(line!.api_key, '[Redacted]');
  assert.equal(childLine!.token, '[Redacted]');
  assert.equal(errLine!.err.password, '[Redacted]');
  assert.equal(errLine!.err.message, 'auth failed');
  assert.equal(wrapped!.err.cause.token, '[Redacted]');
});

test('redaction: what the defaults do not reach, and how paths extend them', () => {
  const { logger, lines } = make({
    redact: { paths: ['a.*.password', 'session.sid'], censor: '***' },
  });
  logger.info(
    {
      a: { b: { password: 'deep', other: 1 } },
      x: { y: { password: 'too-deep-for-defaults' } },
      session: { sid: 'abc', user: 'u' },
      password: 'top',
    },
    'message text is never redacted: password=hunter2',
  );
  const [line] = lines();
  assert.equal(line!.a.b.password, '***');
  assert.equal(line!.x.y.password, 'too-deep-for-defaults');
  assert.equal(line!.session.sid, '***');
  assert.equal(line!.session.user, 'u');
  assert.equal(line!.password, '***');
  assert.match(line!.msg, /hunter2/);
});

test('redaction: replaceDefaults replaces, and can turn redaction off', () => {
  const only = make({ redact: { paths: ['pin'], replaceDefaults: true } });
  only.logger.info({ pin: '1234', password: 'visible' });
  assert.deepEqual([only.lines()[0]!.pin, only.lines()[0]!.password], ['[Redacted]', 'visible']);
  const off = make({ redact: { paths: [], replaceDefaults: true } });
  off.logger.info({ password: 'visible' });
  assert.equal(off.lines()[0]!.password, 'visible');
});

test('redaction: a raw IncomingMessage is serialised without rawHeaders and redacted', () => {
  const { logger, text, lines } = make();
  const req = new IncomingMessage(new Socket());
  req.method = 'POST';
  req.url = '/login';
  req.headers = { authorization: 'Bearer SECRET-raw', host: 'example' };
  req.rawHeaders = ['Authorization', 'Bearer SECRET-raw', 'Host', 'example'];
  logger.info({ req }, 'request');
  assert.ok(!text().includes('SECRET-raw'));
  const [line] = lines();
  assert.equal(line!.req.method, 'POST');
  assert.equal(line!.req.url, '/login');
  assert.equal(line!.req.headers.host, 'example');
  assert.equal(line!.req.headers.authorization, '[Redacted]');
  req.socket.destroy();
});

test('redaction: a throwing getter drops the fields, not the line', () => {
  const { logger, lines } = make();
  const hostile = {
    get boom(): string {
      throw new Error('getter');
    },
  };
  Object.defineProperty(hostile, 'boom', { enumerable: true });
  assert.doesNotThrow(() => logger.info(hostile, 'still written'));
  const [line] = lines();
  assert.equal(line!.msg, 'still written');
  assert.ok(line!.log_fields_dropped);
});

test('errors: logger.error(err) and { err } carry type, message, stack, code and causes', () => {
  const { logger, lines } = make();
  const root = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
  const mid = new Error('fetch failed', { cause: root });
  const top = new VigilError('CONFIG_INVALID', 'load failed', { cause: mid });
  logger.error(top);
  logger.error({ err: top }, 'with message');
  logger.warn({ error: new TypeError('also under error') });
  const a = new Error('a');
  (a as { cause?: unknown }).cause = new Error('b', { cause: a });
  logger.error(a);
  const [direct, keyed, underError, cyclic] = lines();
  assert.equal(direct!.msg, 'load failed');
  assert.equal(direct!.err.type, 'VigilError');
  assert.equal(direct!.err.code, 'CONFIG_INVALID');
  assert.match(direct!.err.stack, /VigilError: load failed/);
  assert.equal(direct!.err.cause.message, 'fetch failed');
  assert.equal(direct!.err.cause.cause.message, 'socket hang up');
  assert.equal(direct!.err.cause.cause.code, 'ECONNRESET');
  assert.equal(keyed!.msg, 'with message');
  assert.deepEqual(keyed!.err, direct!.err);
  assert.equal(underError!.error.type, 'TypeError');
  assert.equal(cyclic!.err.cause.cause.circular, true);
});

test('correlation: lines inside runWithCorrelation carry the fields through async work', async () => {
  const { logger, lines } = make();
  const emitter = new EventEmitter();
  emitter.on('event', () => logger.info('emitter'));
  logger.info('before');
  await runWithCorrelation(
    { request_id: 'req-1', trace_id: 'trace-1', span_id: 'span-1' },
    async () => {
      logger.info('sync');
      await sleep(1);
      logger.info('after timer');
      await new Promise<void>((resolve) =>
        setTimeout(() => {
          logger.info('in timer');
          resolve();
        }, 1),
      );
      await Promise.all(
        [1, 2].map(async (i) => {
          await Promise.resolve();
          logger.child({ worker: i }).info('in promise');
        }),
      );
      emitter.emit('event');
      setImmediate(() => emitter.emit('event'));
      await once(emitter, 'event');
      await runWithCorrelation({ job: 'j-9' }, async () => {
        await sleep(1);
        logger.info('nested');
      });
    },
  );
  logger.info('after');
  const all = lines();
  assert.equal(all[0]!.request_id, undefined);
  assert.equal(all.at(-1)!.request_id, undefined);
  const inside = all.slice(1, -1);
  assert.equal(inside.length, 8);
  for (const line of inside) {
    assert.equal(line.request_id, 'req-1', line.msg);
    assert.equal(line.trace_id, 'trace-1', line.msg);
    assert.equal(line.span_id, 'span-1', line.msg);
  }
  assert.equal(inside.at(-1)!.job, 'j-9');
});

test('correlation: concurrent requests keep their own request_id', async () => {
  const { logger, lines } = make();
  await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      runWithCorrelation({ request_id: `r${i}` }, async () => {
        await sleep(10 - i);
        logger.info({ i }, 'done');
      }),
    ),
  );
  for (const line of lines()) {
    assert.equal(line.request_id, `r${line.i}`);
    // No provider and no trace ids in the context: no trace fields.
    assert.equal(line.trace_id, undefined);
    assert.equal(line.span_id, undefined);
  }
});

test('correlation: explicit fields and child bindings win, without duplicate keys', () => {
  const { logger, text, lines } = make();
  runWithCorrelation(
    { request_id: 'ctx', tenant: 't1', trace_id: 'ctx-trace', span_id: 'ctx-span' },
    () => {
      logger.info({ request_id: 'explicit' }, 'call');
      logger.child({ tenant: 'child' }).info('binding');
      logger.info({ request_id: undefined }, 'undefined does not override');
      logger.info({ span_id: 'explicit-span' }, 'span');
      const rebound = logger.child({});
      rebound.setBindings({ request_id: 'set-bindings', token: 'SECRET-set-bindings' });
      rebound.info('setBindings');
    },
  );
  assert.ok(!text().includes('SECRET-set-bindings'));
  for (const raw of text().trim().split('\n')) {
    for (const key of ['request_id', 'tenant', 'trace_id', 'span_id']) {
      assert.ok(raw.split(`"${key}":`).length <= 2, `duplicate ${key} in ${raw}`);
    }
  }
  const [call, binding, undef, span, rebound] = lines();
  assert.equal(rebound!.request_id, 'set-bindings');
  assert.equal(rebound!.token, '[Redacted]');
  assert.equal(call!.request_id, 'explicit');
  assert.equal(call!.tenant, 't1');
  assert.equal(binding!.tenant, 'child');
  assert.equal(binding!.request_id, 'ctx');
  assert.equal(undef!.request_id, 'ctx');
  assert.equal(span!.span_id, 'explicit-span');
  assert.equal(span!.trace_id, 'ctx-trace');
});

test('correlation: trace ids come from the provider; a throwing provider yields none', () => {
  const { logger, lines } = make();
  let active: { trace_id: string; span_id: string } | undefined = {
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
  };
  setTraceContextProvider(() => active);
  try {
    logger.info('span, no context');
    runWithCorrelation({ request_id: 'r', trace_id: 'from-context' }, () => {
      logger.info('span wins over context');
      active = undefined;
      logger.info('no span: context trace id');
      active = { trace_id: 'aaaa', span_id: 'bbbb' };
      logger.info({ trace_id: 'explicit' }, 'explicit wins over span');
    });
    setTraceContextProvider(() => {
      throw new Error('provider bug');
    });
    logger.info('throwing provider');
  } finally {
    setTraceContextProvider(undefined);
  }
  const [noCtx, spanWins, ctxOnly, explicit, throwing] = lines();
  assert.equal(noCtx!.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(noCtx!.span_id, '00f067aa0ba902b7');
  assert.equal(spanWins!.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
  assert.equal(spanWins!.request_id, 'r');
  assert.equal(ctxOnly!.trace_id, 'from-context');
  assert.equal(ctxOnly!.span_id, undefined);
  assert.equal(explicit!.trace_id, 'explicit');
  assert.equal(explicit!.span_id, 'bbbb');
  assert.equal(throwing!.msg, 'throwing provider');
  assert.equal(throwing!.trace_id, undefined);
});

test('diagnostics: SDK warnings go to the logger when asked', () => {
  const { lines } = make({ diagnostics: true });
  try {
    diagWarn({ code: 'COLLECT_FAILED', metric: 'x' }, 'collect failed');
  } finally {
    setDiagnosticSink(undefined);
  }
  const [line] = lines();
  assert.equal(line!.level, 'warn');
  assert.equal(line!.component, 'vigil');
  assert.equal(line!.code, 'COLLECT_FAILED');
  assert.equal(line!.msg, 'collect failed');
  const other = make();
  installDiagnosticLogger(other.logger);
  try {
    diagWarn({ code: 'X' }, 'to the other');
  } finally {
    setDiagnosticSink(undefined);
  }
  assert.equal(other.lines()[0]!.msg, 'to the other');
  assert.equal(lines().length, 1);
});

test('flushLogger writes out an asynchronous pino destination', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
  try {
    const file = join(dir, 'out.log');
    const dest = pino.destination({ dest: file, sync: false, minLength: 4096 });
    const logger = createLogger({ service: 's', env: {}, destination: dest });
    for (let i = 0; i < 100; i++) logger.info({ i }, 'line');
    await flushLogger(logger);
    const written = readFileSync(file, 'utf8').trim().split('\n');
    assert.equal(written.length, 100);
    assert.equal((JSON.parse(written[99]!) as Line).i, 99);
    dest.end();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flushLogger resolves for a plain stream and never rejects', async () => {
  const { logger } = make();
  logger.info('x');
  await flushLogger(logger);
  const stuck = createLogger({
    service: 's',
    env: {},
    destination: { write() {}, flush() {} } as never,
  });
  const started = Date.now();
  await flushLogger(stuck, 20);
  assert.ok(Date.now() - started < 1000);
});
