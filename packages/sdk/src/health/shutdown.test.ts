import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isVigilError } from '@vigil/model';
import { HealthRegistry, installGracefulShutdown } from './index.js';
import type { HealthLogger, ShutdownHook } from './index.js';
import { close, listen, request, sleep } from './testdata/http-client.js';

const FIXTURE = fileURLToPath(new URL('./testdata/shutdown-server.js', import.meta.url));

interface Logged {
  level: string;
  fields: Record<string, unknown>;
  msg: string;
}

function memoryLogger(): HealthLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, msg: string): void =>
      void lines.push({ level, fields, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

/** A server with `/slow?ms=N`; tracks requests that reached the handler. */
function slowServer(): { server: http.Server; started: () => number } {
  let started = 0;
  const server = http.createServer((req, res) => {
    const ms = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('ms') ?? '0');
    started++;
    setTimeout(() => res.end('done'), ms);
  });
  return { server, started: () => started };
}

describe('installGracefulShutdown (in process)', () => {
  test('rejects invalid options with SHUTDOWN_OPTIONS_INVALID', () => {
    const server = http.createServer();
    const bad = [
      undefined,
      {},
      { server: {} },
      { server, drainTimeoutMs: 0 },
      { server, drainTimeoutMs: -1 },
      { server, drainTimeoutMs: Infinity },
      { server, hookGraceMs: -1 },
      { server, onShutdown: 'close' },
      { server, onShutdown: [() => {}, 3] },
      { server, signals: 'SIGTERM' },
      { server, exit: 1 },
      { server, health: {} },
    ];
    for (const options of bad) {
      assert.throws(
        () => installGracefulShutdown(options as any),
        (err: unknown) => isVigilError(err, 'SHUTDOWN_OPTIONS_INVALID'),
        JSON.stringify(options),
      );
    }
  });

  test('readiness fails at once, an idle keep-alive connection does not hold the drain, exit 0', async () => {
    const { server } = slowServer();
    const port = await listen(server);
    const health = new HealthRegistry({ version: '1' });
    const logger = memoryLogger();
    const exits: number[] = [];
    const handle = installGracefulShutdown({
      server,
      health,
      logger,
      signals: [],
      exit: (code) => void exits.push(code),
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      // Leaves one idle keep-alive connection open.
      assert.equal((await request(port, '/', { agent })).status, 200);
      assert.equal(Object.values(agent.freeSockets).flat().length, 1);

      const pending = handle.shutdown('test');
      assert.equal(handle.shuttingDown, true);
      assert.equal((await health.readiness()).status, 'shutting_down');
      const summary = await pending;
      assert.deepEqual(
        { ...summary, elapsedMs: 0 },
        {
          reason: 'test',
          drained: 0,
          cut: 0,
          hooksFailed: 0,
          elapsedMs: 0,
          exitCode: 0,
        },
      );
      assert.ok(summary.elapsedMs < 1000, `took ${summary.elapsedMs} ms`);
      assert.deepEqual(exits, [0]);
      assert.equal(handle.shutdown('again'), pending, 'idempotent');
      await sleep(20);
      assert.equal(Object.values(agent.freeSockets).flat().length, 0, 'idle socket closed');
      assert.equal(server.listening, false);
      const last = logger.lines.at(-1)!;
      assert.equal(last.level, 'info');
      assert.match(
        last.msg,
        /^shutdown \(test\) finished in \d+ ms: drained 0 requests, none cut; exiting with 0$/,
      );
    } finally {
      agent.destroy();
      handle.dispose();
    }
  });

  test('an in-flight keep-alive request drains and gets Connection: close', async () => {
    const { server, started } = slowServer();
    const port = await listen(server);
    const exits: number[] = [];
    const logger = memoryLogger();
    const handle = installGracefulShutdown({
      server,
      logger,
      signals: [],
      exit: (code) => void exits.push(code),
    });
    const agent = new http.Agent({ keepAlive: true });
    try {
      const slow = request(port, '/slow?ms=200', { agent });
      while (started() === 0) await sleep(5);
      assert.equal(handle.inFlight, 1);
      const summary = await handle.shutdown('SIGTERM');
      const res = await slow;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'done');
      assert.equal(res.headers.connection, 'close');
      assert.equal(summary.drained, 1);
      assert.equal(summary.cut, 0);
      assert.ok(summary.elapsedMs >= 100 && summary.elapsedMs < 2000, `${summary.elapsedMs} ms`);
      assert.deepEqual(exits, [0]);
      assert.deepEqual(logger.lines.at(-1)!.fields, {
        reason: 'SIGTERM',
        drained: 1,
        cut: 0,
        hooks_failed: 0,
        elapsed_ms: summary.elapsedMs,
        exit_code: 0,
      });
    } finally {
      agent.destroy();
      handle.dispose();
      await close(server);
    }
  });

  test('hooks run in order after the drain; a failing hook makes the exit code 1', async () => {
    const { server } = slowServer();
    await listen(server);
    const order: string[] = [];
    const logger = memoryLogger();
    const exits: number[] = [];
    const hooks: ShutdownHook[] = [
      async function stopConsumers() {
        await sleep(10);
        order.push('consumers');
      },
      function closePool() {
        order.push('pool');
        throw new Error('pool refused to close');
      },
      () => void order.push('exporter'),
    ];
    const handle = installGracefulShutdown({
      server,
      logger,
      signals: [],
      onShutdown: hooks,
      exit: (code) => void exits.push(code),
    });
    try {
      const summary = await handle.shutdown('deploy');
      assert.deepEqual(order, ['consumers', 'pool', 'exporter']);
      assert.equal(summary.hooksFailed, 1);
      assert.equal(summary.exitCode, 1);
      assert.deepEqual(exits, [1]);
      assert.ok(
        logger.lines.some(
          (l) =>
            l.level === 'error' &&
            l.msg === 'shutdown hook closePool failed: pool refused to close',
        ),
      );
      const last = logger.lines.at(-1)!;
      assert.equal(last.level, 'warn');
      assert.match(last.msg, /1 of 3 shutdown hooks failed; exiting with 1$/);
    } finally {
      handle.dispose();
    }
  });

  test('a hanging hook is bounded: aborted after hookGraceMs when the drain left no time', async () => {
    const { server } = slowServer();
    await listen(server);
    let signal: AbortSignal | undefined;
    const exits: number[] = [];
    const handle = installGracefulShutdown({
      server,
      logger: memoryLogger(),
      signals: [],
      drainTimeoutMs: 1,
      hookGraceMs: 100,
      onShutdown: (s) => {
        signal = s;
        return new Promise(() => {});
      },
      exit: (code) => void exits.push(code),
    });
    try {
      const summary = await handle.shutdown('test');
      assert.equal(summary.hooksFailed, 1);
      assert.ok(summary.elapsedMs >= 90 && summary.elapsedMs < 1000, `${summary.elapsedMs} ms`);
      assert.equal(signal?.aborted, true);
      assert.deepEqual(exits, [1]);
    } finally {
      handle.dispose();
    }
  });

  test('installs and removes its signal listeners', () => {
    const before = process.listenerCount('SIGUSR2');
    const server = http.createServer();
    const handle = installGracefulShutdown({ server, signals: ['SIGUSR2'], exit: () => {} });
    assert.equal(process.listenerCount('SIGUSR2'), before + 1);
    handle.dispose();
    assert.equal(process.listenerCount('SIGUSR2'), before);
  });
});

/** The graceful-shutdown fixture in a child process, with its pino log lines parsed. */
class Fixture {
  readonly child: ChildProcess;
  readonly lines: Array<Record<string, unknown>> = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: Array<() => void> = [];

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.lines.push({ raw: line });
      }
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.exited = new Promise((resolve) => {
      // 'close', not 'exit': it comes after stdout has been read to the end.
      this.child.once('close', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Waits for a log line matching `match` (at most `timeoutMs`). */
  async line(
    match: (line: Record<string, unknown>) => boolean,
    timeoutMs = 5000,
  ): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such log line; got ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * The one summary line. Found by content, not position: with pino's default
   * asynchronous destination the last lines before exit may be written out of order.
   */
  summary(): Record<string, unknown> {
    const found = this.lines.filter((l) => 'exit_code' in l);
    assert.equal(found.length, 1, JSON.stringify(this.lines));
    return found[0]!;
  }

  async port(): Promise<number> {
    return (await this.line((l) => l.event === 'listening')).port as number;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}

function connectError(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

describe('graceful shutdown of a real process', () => {
  test('SIGTERM: the slow request completes, new connections are refused, exit 0', async () => {
    const fx = new Fixture({ DRAIN_MS: '5000' });
    try {
      const port = await fx.port();
      assert.equal((await request(port, '/readyz')).status, 200);
      const agent = new http.Agent({ keepAlive: true });
      const slow = request(port, '/slow?ms=600', { agent });
      await fx.line((l) => l.event === 'slow-started');
      fx.child.kill('SIGTERM');
      const started = await fx.line(
        (l) => typeof l.msg === 'string' && l.msg.startsWith('shutdown started'),
      );
      assert.equal(started.in_flight, 1);
      assert.equal(started.reason, 'SIGTERM');
      assert.equal(await connectError(port), 'ECONNREFUSED');

      const res = await slow;
      assert.equal(res.status, 200);
      assert.equal(res.body, 'slow done');
      assert.equal(res.headers.connection, 'close');
      agent.destroy();

      const { code, signal } = await fx.exited;
      assert.equal(signal, null);
      assert.equal(code, 0);
      assert.ok(fx.lines.some((l) => l.event === 'hook-ran'));
      const summary = fx.summary();
      assert.equal(summary.level, 30);
      assert.equal(summary.drained, 1);
      assert.equal(summary.cut, 0);
      assert.equal(summary.exit_code, 0);
      assert.equal(summary.hooks_failed, 0);
      assert.ok((summary.elapsed_ms as number) >= 300 && (summary.elapsed_ms as number) < 5000);
      assert.match(
        summary.msg as string,
        /^shutdown \(SIGTERM\) finished in \d+ ms: drained 1 request, none cut, 1 shutdown hook ran; exiting with 0$/,
      );
    } finally {
      fx.kill();
    }
  });

  test('the drain deadline cuts a request that runs too long: exit 1', async () => {
    const fx = new Fixture({ DRAIN_MS: '300' });
    try {
      const port = await fx.port();
      const slow = request(port, '/slow?ms=10000').then(
        () => 'completed',
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      );
      await fx.line((l) => l.event === 'slow-started');
      const signalledAt = performance.now();
      fx.child.kill('SIGTERM');
      assert.equal(await slow, 'ECONNRESET');
      const { code } = await fx.exited;
      assert.equal(code, 1);
      assert.ok(performance.now() - signalledAt < 3000);
      const summary = fx.summary();
      assert.equal(summary.level, 40);
      assert.equal(summary.cut, 1);
      assert.equal(summary.drained, 0);
      assert.equal(summary.exit_code, 1);
      assert.match(
        summary.msg as string,
        /^shutdown \(SIGTERM\) finished in \d+ ms: the 300 ms drain deadline cut 1 request, 0 drained, 1 shutdown hook ran; exiting with 1$/,
      );
    } finally {
      fx.kill();
    }
  });

  test('a second signal during shutdown exits at once with 1', async () => {
    const fx = new Fixture({ DRAIN_MS: '20000', HOOK: 'hang' });
    try {
      await fx.port();
      fx.child.kill('SIGTERM');
      await fx.line((l) => l.event === 'hook-ran');
      const secondAt = performance.now();
      fx.child.kill('SIGINT');
      const { code } = await fx.exited;
      assert.equal(code, 1);
      assert.ok(performance.now() - secondAt < 2000);
      const last = fx.summary();
      assert.equal(last.reason, 'SIGINT');
      assert.equal(last.exit_code, 1);
      assert.match(
        last.msg as string,
        /^received SIGINT again \d+ ms into the shutdown: exiting with 1 now/,
      );
    } finally {
      fx.kill();
    }
  });

  test('a failing hook: everything drained, still exit 1', async () => {
    const fx = new Fixture({ HOOK: 'fail' });
    try {
      await fx.port();
      fx.child.kill('SIGTERM');
      const { code } = await fx.exited;
      assert.equal(code, 1);
      assert.ok(
        fx.lines.some(
          (l) =>
            l.level === 50 &&
            l.msg === 'shutdown hook closeResources failed: pool refused to close',
        ),
      );
      assert.equal(fx.summary().hooks_failed, 1);
    } finally {
      fx.kill();
    }
  });
});
